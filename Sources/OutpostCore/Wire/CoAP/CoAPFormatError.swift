/// Why bytes are not a well-formed CoAP message (RFC 7252 §3, §4.1: a message format error,
/// answered with RST when confirmable, silently dropped otherwise).
public enum CoAPFormatError: Error, Equatable, Sendable {
    /// Fewer than the 4 header bytes.
    case truncatedHeader
    /// Version field other than 1.
    case unsupportedVersion
    /// Token length 9...15 (reserved).
    case badTokenLength
    /// The token runs past the end of the datagram.
    case truncatedToken
    /// Code 0.00 with a token, options or payload.
    case nonEmptyEmptyMessage
    /// Option delta or length nibble 15 (reserved) in an option header.
    case reservedOptionNibble
    /// An option's extended header or value runs past the end of the datagram.
    case truncatedOption
    /// The option number sum exceeds 65535.
    case optionNumberTooLarge
    /// A payload marker (0xFF) followed by no payload.
    case emptyPayload

    /// A short fixed diagnostic for logs and counters.
    public var diagnostic: StaticString {
        switch self {
        case .truncatedHeader: return "truncated header"
        case .unsupportedVersion: return "unsupported version"
        case .badTokenLength: return "token length above 8"
        case .truncatedToken: return "truncated token"
        case .nonEmptyEmptyMessage: return "empty message with content"
        case .reservedOptionNibble: return "reserved option nibble 15"
        case .truncatedOption: return "truncated option"
        case .optionNumberTooLarge: return "option number above 65535"
        case .emptyPayload: return "payload marker without payload"
        }
    }
}
