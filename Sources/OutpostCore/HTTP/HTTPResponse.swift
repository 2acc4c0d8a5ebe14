/// An answer being put together in a connection's output buffer: the body is rendered after
/// `headRoom` bytes, then `HTTPServer.finish` writes the head just before it, so the two leave
/// as one contiguous run without a copy of the body.
public struct HTTPResponse {
    /// Bytes kept before the body for the status line and headers.
    public static var headRoom: Int { 320 }

    let buffer: UnsafeMutableRawBufferPointer
    public var status: UInt16 = 200
    public var contentType: StaticString = "text/plain; charset=utf-8"
    /// One more header line without its line end (`WWW-Authenticate: Bearer`, `Allow: GET`), or nil.
    public var extraHeader: StaticString? = nil
    /// Body bytes written into `body`.
    public private(set) var bodyCount = 0
    /// A body in static memory instead (the dashboard), sent after the head.
    public var staticBody: UnsafeRawBufferPointer? = nil
    /// True for a Server-Sent Events answer: no Content-Length, the connection streams afterwards.
    public var startsEventStream = false
    /// Close after this answer even when the request would keep the connection.
    public var close = false

    init(buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// Where the body is rendered.
    public var body: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: buffer[HTTPResponse.headRoom..<buffer.count])
    }

    /// Sets how many bytes of `body` were written.
    public mutating func setBody(count: Int) {
        precondition(count >= 0 && count <= body.count, "body count out of range")
        bodyCount = count
    }

    /// A plain-text body of one line (error answers).
    public mutating func message(_ status: UInt16, _ text: StaticString) {
        self.status = status
        contentType = "text/plain; charset=utf-8"
        var w = TextWriter(buffer: body)
        w.text(text)
        w.byte(0x0A)
        bodyCount = w.count
    }

    /// The reason phrase of `status` (RFC 9110 §15).
    public static func reason(_ status: UInt16) -> StaticString {
        switch status {
        case 200: return "OK"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 503: return "Service Unavailable"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }
}
