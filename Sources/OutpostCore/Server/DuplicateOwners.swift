/// Which source (`SourceTable` entry) made each entry of a duplicate memory (`DuplicateTable`,
/// `DuplicateLedger`) and how many entries each source holds, so one source can be held to its
/// share of it (docs/SECURITY.md §7, `sourceDuplicatePercent`). Without the cap in the profile it
/// has no arrays and every call does nothing.
public struct DuplicateOwners {
    static let none: UInt16 = 0xFFFF

    /// Entry slot → source entry index, or `none` (a serial line, or a source taken over since).
    let owners: UnsafeMutableBufferPointer<UInt16>
    /// Source entry index → entries it holds.
    let counts: UnsafeMutableBufferPointer<UInt16>

    /// Owners of `entryCount` slots among `sourceCount` sources (0: no tracking), from `arena`.
    init(arena: inout Arena, entryCount: Int, sourceCount: Int) {
        precondition(sourceCount >= 0 && sourceCount < Int(DuplicateOwners.none), "source count out of range")
        owners = arena.carve(sourceCount > 0 ? entryCount : 0, of: DuplicateOwners.none)
        counts = arena.carve(sourceCount, of: UInt16(0))
    }

    /// Arena bytes after `offset` bytes were carved.
    static func arenaBytes(after offset: Int, entryCount: Int, sourceCount: Int) -> Int {
        let bytes = Arena.bytes(after: offset, sourceCount > 0 ? entryCount : 0, of: UInt16.self)
        return Arena.bytes(after: bytes, sourceCount, of: UInt16.self)
    }

    /// True when entries are tracked.
    @inline(__always) var enabled: Bool { counts.count > 0 }

    /// Entries source `source` holds (0 for -1 or without tracking).
    /// - Complexity: O(1).
    public func held(_ source: Int) -> Int {
        if !enabled || source < 0 || source >= counts.count { return 0 }
        return Int(counts[source])
    }

    /// The source of the entry in `slot`, or -1.
    /// - Complexity: O(1).
    public func owner(ofSlot slot: Int) -> Int {
        if !enabled { return -1 }
        let owner = owners[slot]
        return owner == DuplicateOwners.none ? -1 : Int(owner)
    }

    /// The entry in `slot` was made by `source` (-1: nobody's).
    /// - Complexity: O(1).
    mutating func set(slot: Int, source: Int) {
        if !enabled { return }
        if source < 0 || source >= counts.count {
            owners[slot] = DuplicateOwners.none
            return
        }
        owners[slot] = UInt16(truncatingIfNeeded: source)
        if counts[source] < UInt16.max { counts[source] += 1 }
    }

    /// The entry in `slot` is gone.
    /// - Complexity: O(1).
    mutating func release(slot: Int) {
        if !enabled { return }
        let owner = owners[slot]
        if owner != DuplicateOwners.none && counts[Int(owner)] > 0 { counts[Int(owner)] -= 1 }
        owners[slot] = DuplicateOwners.none
    }

    /// Source `source`'s entry went to another source: its entries become nobody's.
    /// - Complexity: O(entries).
    public mutating func disown(source: Int) {
        if !enabled || source < 0 || source >= counts.count || counts[source] == 0 { return }
        let mark = UInt16(truncatingIfNeeded: source)
        for slot in 0..<owners.count where owners[slot] == mark { owners[slot] = DuplicateOwners.none }
        counts[source] = 0
    }

    /// Every entry is gone.
    /// - Complexity: O(entries + sources).
    mutating func reset() {
        if !enabled { return }
        for slot in 0..<owners.count { owners[slot] = DuplicateOwners.none }
        for source in 0..<counts.count { counts[source] = 0 }
    }
}
