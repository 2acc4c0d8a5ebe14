/// The bounds a request must keep (docs/HTTP.md, "Limits"): anything larger is refused with the
/// status its `HTTPParseError` names, before the server waits for the rest of it.
public struct HTTPLimits: BitwiseCopyable, Sendable {
    /// Longest request target (path and query).
    public var targetBytes: Int
    /// Largest request head: request line and header lines with their line ends.
    public var headBytes: Int
    /// Most header lines.
    public var headerLines: Int
    /// Largest body (`Content-Length`).
    public var bodyBytes: Int

    public init(targetBytes: Int, headBytes: Int, headerLines: Int, bodyBytes: Int) {
        self.targetBytes = targetBytes
        self.headBytes = headBytes
        self.headerLines = headerLines
        self.bodyBytes = bodyBytes
    }
}
