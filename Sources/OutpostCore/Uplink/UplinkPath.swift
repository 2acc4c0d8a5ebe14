/// The path of the upstream resource (`coap://HOST:PORT/PATH`), kept inline as bytes and sent as
/// one Uri-Path option per `/`-separated segment.
public struct UplinkPath: BitwiseCopyable, Sendable {
    /// Longest path in bytes.
    public static let capacityBytes = 64

    var bytes: InlineArray<64, UInt8>
    /// Length in bytes (0 is the root resource).
    public private(set) var count: Int

    /// A path from `text` without its leading `/`, or nil when longer than 64 bytes, with an empty
    /// segment (`a//b`, a trailing `/`) or a byte outside printable ASCII.
    public init?(_ text: UnsafeRawBufferPointer) {
        if text.count > UplinkPath.capacityBytes { return nil }
        bytes = InlineArray(repeating: 0)
        count = text.count
        var previous: UInt8 = 0x2F
        for i in 0..<text.count {
            let byte = text[i]
            if byte < 0x21 || byte > 0x7E { return nil }
            if byte == 0x2F && previous == 0x2F { return nil }
            bytes[i] = byte
            previous = byte
        }
        if count > 0 && previous == 0x2F { return nil }
    }

    /// A path from a literal (tests, defaults); traps when invalid.
    public init(_ literal: StaticString) {
        guard let path = UplinkPath(UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)) else {
            preconditionFailure("invalid uplink path literal")
        }
        self = path
    }

    /// Appends the Uri-Path options of this path to `writer`.
    func writeOptions(_ writer: inout CoAPMessageWriter) throws(CoAPWriteError) {
        var copy = bytes
        let total = count
        try withUnsafeBytes(of: &copy) { (raw) throws(CoAPWriteError) in
            var start = 0
            // One segment per pass; the path length bounds the loop.
            while start < total {
                var stop = start
                while stop < total && raw[stop] != 0x2F { stop += 1 }
                try writer.appendOption(.uriPath, value: UnsafeRawBufferPointer(rebasing: raw[start..<stop]))
                start = stop + 1
            }
        }
    }
}
