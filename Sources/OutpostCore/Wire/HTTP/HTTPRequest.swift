/// A complete request read from a connection's input: offsets into the bytes it was parsed from
/// (nothing is copied). `length` bytes in all; the next request (pipelining) starts after them.
public struct HTTPRequest: BitwiseCopyable, Sendable, Equatable {
    public var method: HTTPMethod = .other
    /// The path of the target (without the query), as sent (not percent-decoded).
    public var pathStart = 0
    public var pathCount = 0
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: UInt8 = 1
    /// Whether the connection stays open after the answer (HTTP/1.1 unless `Connection: close`;
    /// HTTP/1.0 only with `Connection: keep-alive`).
    public var keepAlive = true
    /// The `Authorization` value (empty when absent).
    public var authorizationStart = 0
    public var authorizationCount = 0
    /// The `Content-Type` value (empty when absent).
    public var contentTypeStart = 0
    public var contentTypeCount = 0
    /// The body (`Content-Length` bytes; empty without one).
    public var bodyStart = 0
    public var bodyCount = 0

    public init() {}

    /// Bytes of the whole request: head and body.
    public var length: Int { bodyStart + bodyCount }

    /// The path within `input` (the bytes the request was parsed from).
    public func path(in input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[pathStart..<pathStart + pathCount])
    }

    /// The `Authorization` value within `input`.
    public func authorization(in input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[authorizationStart..<authorizationStart + authorizationCount])
    }

    /// The `Content-Type` value within `input`.
    public func contentType(in input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[contentTypeStart..<contentTypeStart + contentTypeCount])
    }

    /// The body within `input`.
    public func body(in input: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input[bodyStart..<bodyStart + bodyCount])
    }
}
