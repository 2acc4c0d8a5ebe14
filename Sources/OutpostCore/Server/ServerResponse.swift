/// Writes one response (or server-originated) CoAP message: header, token, the options of
/// `ServerResponseOptions` in ascending number order, then the payload.
public enum ServerResponse {
    /// Writes the message into `buffer`.
    /// - Returns: its length, or 0 when it does not fit (nothing must be sent then).
    /// - Complexity: O(n) in the message size.
    public static func write(
        into buffer: UnsafeMutableRawBufferPointer, type: CoAPType, code: CoAPCode, messageID: UInt16, token: CoAPToken,
        options: ServerResponseOptions, payload: UnsafeRawBufferPointer
    ) -> Int {
        do {
            var writer = try CoAPMessageWriter(buffer: buffer, type: type, code: code, messageID: messageID, token: token)
            if let eTag = options.eTag {
                var bytes: InlineArray<4, UInt8> = [
                    UInt8(truncatingIfNeeded: eTag &>> 24), UInt8(truncatingIfNeeded: eTag &>> 16),
                    UInt8(truncatingIfNeeded: eTag &>> 8), UInt8(truncatingIfNeeded: eTag),
                ]
                try withUnsafeBytes(of: &bytes) { (raw) throws(CoAPWriteError) in try writer.appendOption(.eTag, value: raw) }
            }
            if let observe = options.observe { try writer.appendOption(.observe, uint: observe & 0xFF_FFFF) }
            if let format = options.contentFormat { try writer.appendOption(.contentFormat, uint: UInt32(format)) }
            if let maxAge = options.maxAgeS { try writer.appendOption(.maxAge, uint: maxAge) }
            if let block2 = options.block2 { try writer.appendOption(.block2, uint: block2.value) }
            if let block1 = options.block1 { try writer.appendOption(.block1, uint: block1.value) }
            if let size2 = options.size2 { try writer.appendOption(.size2, uint: size2) }
            if let size1 = options.size1 { try writer.appendOption(.size1, uint: size1) }
            try writer.appendPayload(payload)
            return writer.count
        } catch {
            return 0
        }
    }

    /// Writes an empty message (ACK or RST) with `messageID`: 4 bytes, or 0 when they do not fit.
    public static func empty(into buffer: UnsafeMutableRawBufferPointer, type: CoAPType, messageID: UInt16) -> Int {
        if buffer.count < 4 { return 0 }
        buffer[0] = 0x40 | type.rawValue &<< 4
        buffer[1] = 0
        buffer[2] = UInt8(truncatingIfNeeded: messageID &>> 8)
        buffer[3] = UInt8(truncatingIfNeeded: messageID)
        return 4
    }
}
