/// Why a request could not be read, each with the status the server answers before it closes the
/// connection (RFC 9110 §15, RFC 6585 §5 for 431) and the text of that answer's body.
public enum HTTPParseError: UInt8, BitwiseCopyable, Sendable, Equatable, Error {
    /// The request line is not `METHOD SP TARGET SP HTTP/x.y`.
    case malformedRequestLine
    /// The target is not in origin form (a path starting with `/`).
    case badTarget
    /// The target is longer than the server's limit.
    case targetTooLong
    /// `HTTP/x.y` other than 1.0 and 1.1.
    case versionNotSupported
    /// A header line without a colon, with space before the colon, a bad name or a folded value.
    case malformedHeader
    /// The request head (request line and headers) is larger than the server's limit, or has
    /// more header lines than it keeps.
    case headersTooLarge
    /// `Content-Length` is not a decimal number, or given twice with different values.
    case badContentLength
    /// A `Transfer-Encoding` request body (chunked uploads are not supported).
    case transferEncodingUnsupported
    /// The body announced by `Content-Length` is larger than the server's limit.
    case bodyTooLarge

    /// The status code the server answers with.
    public var status: UInt16 {
        switch self {
        case .malformedRequestLine, .badTarget, .malformedHeader, .badContentLength, .transferEncodingUnsupported: return 400
        case .targetTooLong: return 414
        case .versionNotSupported: return 505
        case .headersTooLarge: return 431
        case .bodyTooLarge: return 413
        }
    }

    /// One line saying what was wrong (the body of the error answer).
    public var message: StaticString {
        switch self {
        case .malformedRequestLine: return "malformed request line: want METHOD SP /PATH SP HTTP/1.1"
        case .badTarget: return "request target must be a path starting with /"
        case .targetTooLong: return "request target longer than the server's limit"
        case .versionNotSupported: return "only HTTP/1.1 and HTTP/1.0 are supported"
        case .malformedHeader: return "malformed header line: want NAME: VALUE (no space before the colon, no folding)"
        case .headersTooLarge: return "request head larger than the server's limit (or too many header lines)"
        case .badContentLength: return "Content-Length must be one decimal number"
        case .transferEncodingUnsupported: return "Transfer-Encoding bodies are not supported: send Content-Length"
        case .bodyTooLarge: return "request body larger than the server's limit"
        }
    }
}
