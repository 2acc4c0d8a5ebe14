/// A CoAP token (RFC 7252 §5.3.1): 0...8 opaque bytes matching a response to its request,
/// stored inline so it can be kept (for example in an Observe registration) without the datagram.
public struct CoAPToken: BitwiseCopyable, Sendable, Equatable {
    /// Longest token in bytes.
    public static let capacityBytes = 8

    var bytes: InlineArray<8, UInt8>
    /// Length in bytes, 0...8.
    public private(set) var count: Int

    /// The empty token.
    public init() {
        bytes = InlineArray(repeating: 0)
        count = 0
    }

    /// A copy of `source`; traps when longer than 8 bytes.
    public init(_ source: UnsafeRawBufferPointer) {
        precondition(source.count <= CoAPToken.capacityBytes, "CoAP token longer than 8 bytes")
        self.init()
        for i in 0..<source.count { bytes[i] = source[i] }
        count = source.count
    }

    /// The token of up to 8 bytes taken from the low end of `value`, big-endian, `count` bytes long.
    public init(value: UInt64, count: Int) {
        precondition(count >= 0 && count <= CoAPToken.capacityBytes, "CoAP token longer than 8 bytes")
        self.init()
        var rest = value
        var i = count - 1
        while i >= 0 {
            bytes[i] = UInt8(truncatingIfNeeded: rest)
            rest = rest &>> 8
            i -= 1
        }
        self.count = count
    }

    /// The byte at `index` (0..<count).
    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < count, "CoAP token index out of range")
        return bytes[index]
    }

    public static func == (a: CoAPToken, b: CoAPToken) -> Bool {
        if a.count != b.count { return false }
        for i in 0..<a.count where a.bytes[i] != b.bytes[i] { return false }
        return true
    }
}
