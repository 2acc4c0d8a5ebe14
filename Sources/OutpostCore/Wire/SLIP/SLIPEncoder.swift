/// Encodes frames with SLIP (RFC 1055) into caller-provided buffers.
///
/// A frame is written as an optional leading END, the payload with END and ESC escaped, and a
/// trailing END. The leading END makes the receiver drop any line noise received before it as one
/// junk frame instead of prepending it to ours (RFC 1055, "SEND_PACKET"); it costs one byte.
public enum SLIPEncoder {
    /// Bytes `encode` writes for `payload`: at most `2 × payload.count + 2`.
    /// - Complexity: O(n) in the payload size.
    public static func encodedCount(_ payload: UnsafeRawBufferPointer, leadingEnd: Bool = true) -> Int {
        var count = leadingEnd ? 2 : 1
        for byte in payload {
            count += (byte == SLIPByte.end || byte == SLIPByte.escape) ? 2 : 1
        }
        return count
    }

    /// Writes the SLIP frame of `payload` at the start of `output`.
    /// - Returns: the number of bytes written.
    /// - Throws: `.noRoom` when `output` is too small; nothing useful is written then.
    /// - Complexity: O(n) in the payload size.
    public static func encode(
        _ payload: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, leadingEnd: Bool = true
    ) throws(SLIPEncodeError) -> Int {
        // Checking the size first keeps the loop free of bounds failures half-way through a frame.
        let needed = encodedCount(payload, leadingEnd: leadingEnd)
        if needed > output.count { throw .noRoom }
        var at = 0
        if leadingEnd {
            output[at] = SLIPByte.end
            at += 1
        }
        for byte in payload {
            if byte == SLIPByte.end {
                output[at] = SLIPByte.escape
                output[at + 1] = SLIPByte.escapedEnd
                at += 2
            } else if byte == SLIPByte.escape {
                output[at] = SLIPByte.escape
                output[at + 1] = SLIPByte.escapedEscape
                at += 2
            } else {
                output[at] = byte
                at += 1
            }
        }
        output[at] = SLIPByte.end
        at += 1
        precondition(at == needed, "SLIP encoded size mismatch")
        return at
    }
}
