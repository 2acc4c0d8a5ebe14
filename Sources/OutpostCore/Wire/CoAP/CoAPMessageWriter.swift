/// Writes one CoAP message into a caller-provided buffer: header and token first, then options in
/// ascending number order (delta and length encoded, RFC 7252 §3.1), then the payload.
///
/// Every append either writes completely or throws `.noRoom` and leaves the writer unchanged, so a
/// caller can fall back (for example to a shorter diagnostic) without starting over.
public struct CoAPMessageWriter {
    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count: Int
    var lastOptionNumber: UInt16 = 0
    var hasPayload = false

    /// Starts a message in `buffer` with the 4-byte header and the token.
    /// - Throws: `.noRoom` when the buffer cannot hold header and token.
    public init(
        buffer: UnsafeMutableRawBufferPointer, type: CoAPType, code: CoAPCode, messageID: UInt16,
        token: CoAPToken = CoAPToken()
    ) throws(CoAPWriteError) {
        if buffer.count < 4 + token.count { throw .noRoom }
        self.buffer = buffer
        buffer[0] = 0x40 | type.rawValue &<< 4 | UInt8(truncatingIfNeeded: token.count)
        buffer[1] = code.rawValue
        buffer[2] = UInt8(truncatingIfNeeded: messageID &>> 8)
        buffer[3] = UInt8(truncatingIfNeeded: messageID)
        for i in 0..<token.count { buffer[4 + i] = token[i] }
        count = 4 + token.count
    }

    /// The message written so far.
    public var message: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
    }

    /// Appends option `number` with `value`. Options must come in ascending order (repeats allowed)
    /// and before the payload: a violation is a programming error and traps.
    /// - Complexity: O(n) in the value size.
    public mutating func appendOption(_ number: CoAPOptionNumber, value: UnsafeRawBufferPointer) throws(CoAPWriteError) {
        precondition(!hasPayload, "CoAP options must precede the payload")
        precondition(number.rawValue >= lastOptionNumber, "CoAP options must be appended in ascending order")
        precondition(value.count <= 0xFFFF + 269, "CoAP option value too long")
        let delta = Int(number.rawValue - lastOptionNumber)
        let length = value.count
        let headerBytes = 1 + CoAPMessageWriter.extendedBytes(delta) + CoAPMessageWriter.extendedBytes(length)
        if buffer.count - count < headerBytes + length { throw .noRoom }
        var at = count
        buffer[at] = CoAPMessageWriter.nibble(delta) &<< 4 | CoAPMessageWriter.nibble(length)
        at += 1
        CoAPMessageWriter.writeExtended(delta, buffer, &at)
        CoAPMessageWriter.writeExtended(length, buffer, &at)
        for i in 0..<length { buffer[at + i] = value[i] }
        at += length
        count = at
        lastOptionNumber = number.rawValue
    }

    /// Appends option `number` with the ASCII bytes of `text` (a Uri-Path segment, say).
    public mutating func appendOption(_ number: CoAPOptionNumber, text: StaticString) throws(CoAPWriteError) {
        try appendOption(number, value: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends option `number` as an unsigned integer in the fewest bytes (0 is the empty value).
    public mutating func appendOption(_ number: CoAPOptionNumber, uint: UInt32) throws(CoAPWriteError) {
        var bytes: InlineArray<4, UInt8> = [
            UInt8(truncatingIfNeeded: uint &>> 24), UInt8(truncatingIfNeeded: uint &>> 16),
            UInt8(truncatingIfNeeded: uint &>> 8), UInt8(truncatingIfNeeded: uint),
        ]
        var skip = 0
        while skip < 4 && bytes[skip] == 0 { skip += 1 }
        try withUnsafeBytes(of: &bytes) { (raw) throws(CoAPWriteError) in
            try appendOption(number, value: UnsafeRawBufferPointer(rebasing: raw[skip..<4]))
        }
    }

    /// Appends the payload marker and `payload` (nothing when `payload` is empty, as §3 requires).
    /// May be called again to append more payload bytes.
    public mutating func appendPayload(_ payload: UnsafeRawBufferPointer) throws(CoAPWriteError) {
        if payload.count == 0 { return }
        let markerBytes = hasPayload ? 0 : 1
        if buffer.count - count < markerBytes + payload.count { throw .noRoom }
        if !hasPayload {
            buffer[count] = 0xFF
            count += 1
            hasPayload = true
        }
        for i in 0..<payload.count { buffer[count + i] = payload[i] }
        count += payload.count
    }

    /// Appends the ASCII bytes of `text` as payload.
    public mutating func appendPayload(_ text: StaticString) throws(CoAPWriteError) {
        try appendPayload(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Bytes following the 4-bit nibble for a delta or length.
    @inline(__always)
    static func extendedBytes(_ value: Int) -> Int {
        value < 13 ? 0 : (value < 269 ? 1 : 2)
    }

    @inline(__always)
    static func nibble(_ value: Int) -> UInt8 {
        value < 13 ? UInt8(truncatingIfNeeded: value) : (value < 269 ? 13 : 14)
    }

    @inline(__always)
    static func writeExtended(_ value: Int, _ buffer: UnsafeMutableRawBufferPointer, _ at: inout Int) {
        if value >= 269 {
            let rest = value - 269
            buffer[at] = UInt8(truncatingIfNeeded: rest &>> 8)
            buffer[at + 1] = UInt8(truncatingIfNeeded: rest)
            at += 2
        } else if value >= 13 {
            buffer[at] = UInt8(truncatingIfNeeded: value - 13)
            at += 1
        }
    }
}
