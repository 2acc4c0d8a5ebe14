/// A parsed CoAP message (RFC 7252 §3): header fields, token, and views of the options and payload
/// inside the caller's datagram buffer. Parsing validates the whole message once and copies nothing.
///
/// The message borrows `bytes`: it is valid only while the caller's buffer is.
public struct CoAPMessage {
    /// The whole datagram.
    public let bytes: UnsafeRawBufferPointer
    public let type: CoAPType
    public let code: CoAPCode
    public let messageID: UInt16
    public let token: CoAPToken
    /// Byte range of the options (after the token, before the payload marker).
    let optionsStart: Int
    let optionsEnd: Int
    /// Start of the payload (after the 0xFF marker), or `bytes.count` when there is none.
    let payloadStart: Int
    /// The first option of each registered number, from the parsing pass.
    let index: CoAPOptionIndex

    /// Parses and validates `bytes` as one CoAP message.
    /// - Throws: `CoAPFormatError` for a message format error (answer a CON with RST, drop a NON);
    ///   `.unsupportedVersion` must be silently ignored (§3).
    /// - Complexity: O(n) in the datagram size.
    public init(parsing bytes: UnsafeRawBufferPointer) throws(CoAPFormatError) {
        if bytes.count < 4 { throw .truncatedHeader }
        let first = bytes[0]
        if first &>> 6 != 1 { throw .unsupportedVersion }
        let tokenLength = Int(first & 0x0F)
        if tokenLength > 8 { throw .badTokenLength }
        let code = CoAPCode(rawValue: bytes[1])
        if code == .empty && (tokenLength != 0 || bytes.count != 4) { throw .nonEmptyEmptyMessage }
        if bytes.count < 4 + tokenLength { throw .truncatedToken }
        guard let type = CoAPType(rawValue: (first &>> 4) & 3) else { preconditionFailure("2-bit type") }

        var offset = 4 + tokenLength
        var number: UInt32 = 0
        var optionsEnd = bytes.count
        var payloadStart = bytes.count
        var index = CoAPOptionIndex()
        // Each option takes at least one byte, so the datagram size bounds the loop.
        var steps = 0
        scan: while steps <= bytes.count {
            steps += 1
            switch try CoAPOptionIterator.step(bytes, at: offset, end: bytes.count, previous: number) {
            case .option(let found, let valueStart, let valueEnd):
                number = found
                offset = valueEnd
                index.note(number: found, valueStart: valueStart, valueEnd: valueEnd)
            case .payloadMarker:
                optionsEnd = offset
                payloadStart = offset + 1
                if payloadStart == bytes.count { throw .emptyPayload }
                break scan
            case .end:
                break scan
            }
        }
        self.bytes = bytes
        self.type = type
        self.code = code
        self.messageID = UInt16(bytes[2]) &<< 8 | UInt16(bytes[3])
        self.token = CoAPToken(UnsafeRawBufferPointer(rebasing: bytes[4..<(4 + tokenLength)]))
        self.optionsStart = 4 + tokenLength
        self.optionsEnd = optionsEnd
        self.payloadStart = payloadStart
        self.index = index
    }

    /// The payload (empty when the message has none).
    public var payload: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[payloadStart..<bytes.count])
    }

    /// All options, in order.
    public var options: CoAPOptionIterator {
        CoAPOptionIterator(bytes: bytes, start: optionsStart, end: optionsEnd, only: nil)
    }

    /// The options numbered `number`, in order (for example the Uri-Path segments).
    public func options(_ number: CoAPOptionNumber) -> CoAPOptionIterator {
        if case .absent = index.lookUp(number) {
            return CoAPOptionIterator(bytes: bytes, start: optionsEnd, end: optionsEnd, only: number)
        }
        return CoAPOptionIterator(bytes: bytes, start: optionsStart, end: optionsEnd, only: number)
    }

    /// The first option numbered `number`, or nil.
    /// - Complexity: O(1) for a registered number (from the parsing pass's index), else O(n) in
    ///   the options' size.
    public func firstOption(_ number: CoAPOptionNumber) -> CoAPOption? {
        switch index.lookUp(number) {
        case .absent:
            return nil
        case .first(let start, let end):
            return CoAPOption(number: number, value: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
        case .unknown:
            return scannedFirstOption(number)
        }
    }

    /// The first option numbered `number` found by walking the options (the index's twin, which
    /// the tests and the CoAP fuzz target compare it with).
    /// - Complexity: O(n) in the options' size.
    public func scannedFirstOption(_ number: CoAPOptionNumber) -> CoAPOption? {
        var iterator = options(number)
        return iterator.next()
    }
}
