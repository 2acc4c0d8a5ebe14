/// What `/health` and `/metrics` show of the daemon's `coaps` listener, whose sessions live in
/// CHAL outside the server: plain integers refreshed by the daemon (no allocation).
public struct ServerDTLSStatus: BitwiseCopyable, Sendable {
    /// True while a DTLS listener is open (false: `/health` has no `dtls` member).
    public var enabled = false
    /// Session slots (the profile's `dtlsSessionCount`), in use now (handshaking or up), and up.
    public var sessionCapacity: Int = 0
    public var sessionsOpen: Int = 0
    public var sessionsEstablished: Int = 0
    /// HelloVerifyRequests sent (ClientHellos without a valid cookie: nothing was kept for them).
    public var cookiesSent: UInt64 = 0
    /// Handshakes finished, of them resumed, and handshakes that failed (unknown identity, wrong
    /// key, bad message, timeout).
    public var handshakesDone: UInt64 = 0
    public var handshakesResumed: UInt64 = 0
    public var handshakesFailed: UInt64 = 0
    /// New clients refused because every slot was busy, and idle sessions evicted for one.
    public var refused: UInt64 = 0
    public var evicted: UInt64 = 0
    /// Sessions the peer closed (close_notify).
    public var closedByPeer: UInt64 = 0
    /// Records dropped (garbage, replayed, bad MAC, too large).
    public var recordsDropped: UInt64 = 0

    public init() {}
}
