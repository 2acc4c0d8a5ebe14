/// Where a connection of the HTTP server is in its life (docs/HTTP.md, "Connections").
public enum HTTPConnectionPhase: UInt8, BitwiseCopyable, Sendable, Equatable {
    /// The slot holds no connection.
    case free
    /// Waiting for (the rest of) a request; an idle keep-alive connection has no input yet.
    case reading
    /// A whole request is parsed and waits for its answer (within the same tick).
    case ready
    /// Sending an answer; reading resumes after it when the connection is kept alive.
    case writing
    /// A Server-Sent Events stream: events are appended as they happen, until the client goes.
    case streaming
    /// The answer is out and the server's side is shut: what the client still sends is read
    /// and discarded until it closes (or `lingerMs` pass), so unread input does not make the
    /// kernel reset the connection before the client has read the answer (RFC 9112 §9.6).
    case closing
}
