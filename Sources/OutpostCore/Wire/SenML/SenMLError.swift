/// A SenML pack was refused: why, and where (the byte offset in the payload).
///
/// `write(into:)` renders `senml: offset 37: expected ':'` for a 4.00 Bad Request payload without
/// string interpolation or heap memory.
public struct SenMLError: Error, Equatable, Sendable {
    public let reason: SenMLErrorReason
    /// Offset in the payload of the byte, field or record at fault.
    public let offsetBytes: Int

    public init(_ reason: SenMLErrorReason, at offsetBytes: Int) {
        precondition(offsetBytes >= 0, "negative offset")
        self.reason = reason
        self.offsetBytes = offsetBytes
    }

    /// The short fixed diagnostic of the reason.
    public var diagnostic: StaticString { reason.diagnostic }

    /// Writes `senml: offset N: <diagnostic>` at the start of `output`, truncated to fit.
    /// - Returns: bytes written.
    /// - Complexity: O(n) in the output size.
    public func write(into output: UnsafeMutableRawBufferPointer) -> Int {
        var at = 0
        func put(_ byte: UInt8) {
            if at < output.count {
                output[at] = byte
                at += 1
            }
        }
        func put(_ text: StaticString) {
            let start = text.utf8Start
            for i in 0..<text.utf8CodeUnitCount { put(start[i]) }
        }
        put("senml: offset ")
        // Decimal digits of the offset, most significant first (an Int has at most 19 digits).
        var divisor = 1
        while divisor <= offsetBytes / 10 { divisor *= 10 }
        var rest = offsetBytes
        for _ in 0..<20 {
            put(0x30 + UInt8(truncatingIfNeeded: rest / divisor))
            rest %= divisor
            if divisor == 1 { break }
            divisor /= 10
        }
        put(": ")
        put(diagnostic)
        return at
    }

    public static func == (a: SenMLError, b: SenMLError) -> Bool {
        a.reason == b.reason && a.offsetBytes == b.offsetBytes
    }
}
