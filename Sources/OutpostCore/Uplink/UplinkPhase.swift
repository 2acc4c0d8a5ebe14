/// Where the uplink's single exchange stands.
enum UplinkPhase: UInt8, BitwiseCopyable, Sendable {
    /// No batch in flight: the next tick builds one when there is something to send.
    case idle
    /// A block was sent; waiting for its ACK (retransmitting on the deadline).
    case waitingAck
    /// An empty ACK came; waiting for the separate response until the deadline.
    case waitingResponse
    /// Waiting until the deadline before building the batch again (probing the upstream with
    /// CoAP pings meanwhile when the link failed).
    case backoff
    /// A record the upstream refused for good is being set aside: waiting until its marker is
    /// durable in the log (`UplinkSetAside`).
    case settingAside
}
