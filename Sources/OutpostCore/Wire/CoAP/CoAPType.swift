/// The message type of a CoAP message (RFC 7252 §3, the two-bit T field).
public enum CoAPType: UInt8, BitwiseCopyable, Sendable {
    /// CON: needs an acknowledgement.
    case confirmable = 0
    /// NON: no acknowledgement.
    case nonConfirmable = 1
    /// ACK: acknowledges a confirmable message (may carry a piggybacked response).
    case acknowledgement = 2
    /// RST: the recipient could not process the message.
    case reset = 3
}
