/// What `HTTPRequestParser.parse` found at the start of a connection's input.
public enum HTTPParseOutcome: Sendable, Equatable {
    /// More bytes are needed (nothing wrong so far).
    case incomplete
    /// A whole request (head and body) is there.
    case complete(HTTPRequest)
    /// The request is refused; the connection answers `error.status` and closes.
    case failed(HTTPParseError)
}
