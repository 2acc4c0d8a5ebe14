/// What the HTTP server counted since start (`/metrics`: `outpost_http_*`).
public struct HTTPCounters: BitwiseCopyable, Sendable {
    /// Connections accepted into a slot.
    public var accepted: UInt64 = 0
    /// Connections closed at once because every slot was busy answering or streaming.
    public var refused: UInt64 = 0
    /// Connections closed to make room for a new one (the oldest still sending its request).
    public var evicted: UInt64 = 0
    /// Connections closed because a request did not arrive whole within the header timeout.
    public var headerTimeouts: UInt64 = 0
    /// Idle keep-alive connections closed after the idle timeout.
    public var idleTimeouts: UInt64 = 0
    /// Connections (event streams included) dropped because the client read too slowly.
    public var slowClients: UInt64 = 0
    /// Requests refused by the parser (400, 413, 414, 431, 505).
    public var malformed: UInt64 = 0
    /// Answers by class.
    public var responses2xx: UInt64 = 0
    public var responses4xx: UInt64 = 0
    public var responses5xx: UInt64 = 0
    /// Event streams opened, and alert events written to them.
    public var eventStreams: UInt64 = 0
    public var eventsSent: UInt64 = 0

    public init() {}
}
