/// What the send side of the gateway did.
public struct GatewaySendCounters {
    public var sent: UInt64 = 0
    /// Datagrams the transport refused (full buffer, unreachable peer) or a failed socket lost.
    public var dropped: UInt64 = 0
    public var sendErrors: UInt64 = 0
    /// Notifications for a peer no channel or attachment can reach.
    public var unroutable: UInt64 = 0

    public init() {}
}
