/// A sensor identifier: up to `SensorName.capacityBytes` bytes of printable ASCII, stored inline.
///
/// Sensors are identified by name on the wire (SenML base name, CSV `sensor_id`); the name is kept
/// as bytes, never as a `String`, so the core needs no Unicode tables and no heap.
public struct SensorName: BitwiseCopyable, Sendable, Equatable {
    /// Longest accepted name in bytes.
    public static let capacityBytes = 32

    @usableFromInline var bytes: InlineArray<32, UInt8>
    /// Length of the name in bytes (1...capacityBytes for a valid name).
    public private(set) var count: UInt8

    /// The empty name (not a valid sensor name; used as filler).
    public init() {
        bytes = InlineArray(repeating: 0)
        count = 0
    }

    /// A name from `source`, or nil when it is empty, longer than 32 bytes or has a byte outside
    /// printable ASCII (0x21...0x7E; no spaces, quotes or backslashes, so it can be printed in JSON
    /// and CSV without escaping).
    public init?(_ source: Span<UInt8>) {
        if source.count == 0 || source.count > SensorName.capacityBytes { return nil }
        self.init()
        for i in 0..<source.count {
            let byte = source[i]
            if byte < 0x21 || byte > 0x7E || byte == 0x22 || byte == 0x5C || byte == 0x2C { return nil }
            bytes[i] = byte
        }
        count = UInt8(truncatingIfNeeded: source.count)
    }

    /// A name from a static ASCII string (tests, self-test); traps when invalid.
    public init(_ literal: StaticString) {
        let buffer = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        guard let name = SensorName(buffer.span) else { preconditionFailure("invalid sensor name literal") }
        self = name
    }

    /// The byte at `index` (0..<count).
    @inline(__always)
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < Int(count), "SensorName index out of range")
        return bytes[index]
    }

    /// FNV-1a hash of the name's bytes (stable across platforms and runs).
    public var hash32: UInt32 {
        var hash: UInt32 = 2_166_136_261
        for i in 0..<Int(count) {
            hash ^= UInt32(bytes[i])
            hash = hash &* 16_777_619
        }
        return hash
    }

    public static func == (a: SensorName, b: SensorName) -> Bool {
        if a.count != b.count { return false }
        for i in 0..<Int(a.count) where a.bytes[i] != b.bytes[i] { return false }
        return true
    }
}
