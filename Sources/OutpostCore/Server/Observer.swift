/// One registration on `/alerts` (RFC 7641): who observes, with which token and format, and how
/// far through the alert history its notifications have got.
public struct Observer: BitwiseCopyable, Sendable {
    public var peer: Endpoint
    public var token: CoAPToken
    /// Content-Format of the notifications (JSON 50 or CBOR 60, from the request's Accept).
    public var contentFormat: UInt16
    /// Sequence number of the next alert event to notify.
    public var nextSequence: UInt32
    /// Notifications sent so far (every `ObserverTable.confirmableEvery`-th is CON).
    public var sentCount: UInt32
    /// Message ID of the last notification sent.
    public var lastMessageID: UInt16
    /// Message ID of the CON notification awaiting its ACK, and since when (`Int64.min`: none).
    public var pendingMessageID: UInt16
    public var pendingSinceMs: Int64
    /// When the registration was made or last renewed (a GET with Observe=0 and the same token).
    public var renewedMs: Int64
    public var inUse: Bool

    /// An unused table entry.
    public static var unused: Observer {
        Observer(
            peer: .none, token: CoAPToken(), contentFormat: 0, nextSequence: 0, sentCount: 0, lastMessageID: 0,
            pendingMessageID: 0, pendingSinceMs: Int64.min, renewedMs: 0, inUse: false)
    }
}
