/// One option of a parsed message: its number and a view of its value inside the datagram.
///
/// The value is a slice of the caller's buffer, valid as long as that buffer is.
public struct CoAPOption {
    /// The option number (delta-decoded).
    public let number: CoAPOptionNumber
    /// The value bytes.
    public let value: UnsafeRawBufferPointer

    public init(number: CoAPOptionNumber, value: UnsafeRawBufferPointer) {
        self.number = number
        self.value = value
    }

    /// The value as an unsigned integer (RFC 7252 §3.2: big-endian, leading zeros allowed, empty
    /// is 0), or nil when longer than `maxBytes` (at most 4).
    public func uintValue(maxBytes: Int = 4) -> UInt32? {
        precondition(maxBytes >= 0 && maxBytes <= 4, "CoAP uint options hold at most 4 bytes")
        if value.count > maxBytes { return nil }
        var result: UInt32 = 0
        for byte in value { result = result &<< 8 | UInt32(byte) }
        return result
    }

    /// True when the value's bytes equal the ASCII text `text`.
    public func valueEquals(_ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        if value.count != count { return false }
        let start = text.utf8Start
        for i in 0..<count where value[i] != start[i] { return false }
        return true
    }
}
