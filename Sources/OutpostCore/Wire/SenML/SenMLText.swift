/// A short text field of a SenML record (name, unit, label), copied out of the payload with escapes
/// or chunks resolved. Holds at most `capacityBytes`; longer text is marked `overflowed` (its
/// full `count` and last byte are still known).
public struct SenMLText: BitwiseCopyable, Sendable {
    /// Longest text kept, in bytes: a 32-byte sensor name, a separator and a quantity fit.
    public static let capacityBytes = 64

    var bytes: InlineArray<64, UInt8>
    /// Length in bytes (may exceed the capacity when `overflowed`).
    public private(set) var count = 0
    /// The last byte appended (0 when empty).
    public private(set) var last: UInt8 = 0

    public init() { bytes = InlineArray(repeating: 0) }

    /// The text of `raw` as it stands (a JSON string without escapes, a CBOR text string).
    /// - Complexity: O(min(`raw.count`, `capacityBytes`)).
    public init(raw: UnsafeRawBufferPointer) {
        bytes = InlineArray(repeating: 0)
        let kept = min(raw.count, SenMLText.capacityBytes)
        for i in 0..<kept { bytes[i] = raw[i] }
        count = raw.count
        last = raw.count > 0 ? raw[raw.count - 1] : 0
    }

    /// True when more than `capacityBytes` bytes were appended.
    public var overflowed: Bool { count > SenMLText.capacityBytes }

    /// Appends `byte` (dropped beyond the capacity, but counted).
    public mutating func append(_ byte: UInt8) {
        if count < SenMLText.capacityBytes { bytes[count] = byte }
        count += 1
        last = byte
    }

    /// The byte at `index` (0..<min(count, capacityBytes)).
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < count && index < SenMLText.capacityBytes, "SenMLText index out of range")
        return bytes[index]
    }

    /// True when the text is exactly the ASCII `literal`.
    public func equals(_ literal: StaticString) -> Bool {
        if overflowed || count != literal.utf8CodeUnitCount { return false }
        let start = literal.utf8Start
        for i in 0..<count where bytes[i] != start[i] { return false }
        return true
    }
}
