/// The DTLS identities, their pre-shared keys and the sensors each may write, parsed from a key
/// file (`--psk-file`, docs/SECURITY.md) without the heap.
///
/// The storage (carved once by the caller) holds two tables of fixed-size entries: a load fills
/// the spare one and makes it current only when the whole file was accepted, so a refused reload
/// leaves the keys in force untouched. Entry layout (`entryBytes`): identity length, key length,
/// patterns length (2 bytes, little-endian), identity (64), key (64), patterns (380, comma-separated).
public struct PSKTable {
    public static let entryBytes = 512
    public static let identityBytesMax = 64
    public static let keyBytesMin = 16
    public static let keyBytesMax = 64
    public static let patternBytesMax = 380
    /// Longest line of a key file.
    public static let lineBytesMax = 1024
    static let identityOffset = 4
    static let keyOffset = 68
    static let patternsOffset = 132

    /// Entries one table holds.
    public let capacity: Int
    /// Entries of the table in force.
    public internal(set) var count = 0
    let storage: UnsafeMutableRawBufferPointer
    /// Which half of `storage` is in force (0 or 1).
    var current = 0

    /// Storage bytes for `capacity` entries (two tables).
    public static func storageBytes(capacity: Int) -> Int { 2 * max(0, capacity) * entryBytes }

    /// A table over `storage` (`storageBytes(capacity:)` bytes, carved by the caller), empty.
    public init(storage: UnsafeMutableRawBufferPointer) {
        self.storage = storage
        capacity = storage.count / (2 * PSKTable.entryBytes)
    }

    func entry(_ index: Int, table: Int) -> UnsafeMutableRawBufferPointer {
        let start = (table * capacity + index) * PSKTable.entryBytes
        return UnsafeMutableRawBufferPointer(rebasing: storage[start..<start + PSKTable.entryBytes])
    }

    /// The identity of entry `index` (0..<count).
    public func identity(_ index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < count, "PSK entry out of range")
        let e = entry(index, table: current)
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(e)[PSKTable.identityOffset..<PSKTable.identityOffset + Int(e[0])])
    }

    /// The key of entry `index`.
    public func key(_ index: Int) -> UnsafeRawBufferPointer {
        precondition(index >= 0 && index < count, "PSK entry out of range")
        let e = entry(index, table: current)
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(e)[PSKTable.keyOffset..<PSKTable.keyOffset + Int(e[1])])
    }

    /// The sensors entry `index` may write; nothing for an index no longer in the table (a
    /// session of an identity a reload removed).
    public func scope(_ index: Int) -> WriteScope {
        if index < 0 || index >= count { return WriteScope(patterns: UnsafeRawBufferPointer(start: nil, count: 0)) }
        let e = entry(index, table: current)
        let length = Int(e[2]) | Int(e[3]) << 8
        return WriteScope(patterns: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(e)[PSKTable.patternsOffset..<PSKTable.patternsOffset + length]))
    }

    /// Index of the entry whose identity is `identity`, or nil.
    public func find(_ identity: UnsafeRawBufferPointer) -> Int? {
        for i in 0..<count where PSKTable.equal(self.identity(i), identity) { return i }
        return nil
    }

    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        if a.count != b.count { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }
}
