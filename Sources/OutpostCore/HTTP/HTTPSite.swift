/// What the HTTP endpoints need besides the CoAP server's state (docs/HTTP.md): the dashboard
/// page, the bearer token of the command endpoint and whether the daemon is ready (the command
/// queue itself is the server's, shared with every front end). The daemon fills it at start-up
/// and keeps `ready` current.
public struct HTTPSite {
    /// Longest bearer token kept (`--http-token-file`).
    public static let tokenBytesMax = 128

    /// The dashboard page served at `/` (static memory: the binary's own bytes).
    public var dashboard: UnsafeRawBufferPointer
    /// The token `POST /api/sensors/{id}/command` wants; `tokenCount` 0: none configured, so
    /// every command is refused (401).
    var token = InlineArray<128, UInt8>(repeating: 0)
    public private(set) var tokenCount = 0
    /// True once recovery is done and every listener is up (`/ready` answers 200).
    public var ready = false
    /// Command requests refused for a missing or wrong token.
    public var unauthorized: UInt64 = 0

    public init(dashboard: UnsafeRawBufferPointer) {
        self.dashboard = dashboard
    }

    /// Sets the bearer token (surrounding white space and line ends removed). False when it is
    /// empty or longer than `tokenBytesMax`, or holds bytes a header value cannot carry.
    public mutating func setToken(_ text: UnsafeRawBufferPointer) -> Bool {
        var start = 0
        var end = text.count
        while start < end && (text[start] == 0x20 || text[start] == 0x09 || text[start] == 0x0A || text[start] == 0x0D) { start += 1 }
        while end > start && (text[end - 1] == 0x20 || text[end - 1] == 0x09 || text[end - 1] == 0x0A || text[end - 1] == 0x0D) { end -= 1 }
        let count = end - start
        if count == 0 || count > HTTPSite.tokenBytesMax { return false }
        for i in start..<end where text[i] <= 0x20 || text[i] >= 0x7F { return false }
        for i in 0..<count { token[i] = text[start + i] }
        tokenCount = count
        return true
    }

    /// Whether `authorization` is `Bearer <token>` with the configured token. The comparison
    /// takes the same time wherever the first difference is (no timing hint to a guesser).
    public func authorizes(_ authorization: UnsafeRawBufferPointer) -> Bool {
        if tokenCount == 0 || authorization.count < 7 { return false }
        if !HTTPRequestParser.equalsIgnoringCase(UnsafeRawBufferPointer(rebasing: authorization[0..<6]), "bearer") { return false }
        var start = 6
        if authorization[start] != 0x20 { return false }
        while start < authorization.count && authorization[start] == 0x20 { start += 1 }
        let given = UnsafeRawBufferPointer(rebasing: authorization[start..<authorization.count])
        var difference: UInt8 = given.count == tokenCount ? 0 : 1
        for i in 0..<HTTPSite.tokenBytesMax {
            let a: UInt8 = i < given.count ? given[i] : 0
            let b: UInt8 = i < tokenCount ? token[i] : 0
            difference |= a ^ b
        }
        return difference == 0
    }
}
