/// One Observe registration on `/commands/<sensor>` (RFC 7641): who observes, with which token,
/// for which sensor, and the CON notification it has not acknowledged yet.
public struct CommandObserver: BitwiseCopyable, Sendable {
    public var peer: Endpoint
    public var token: CoAPToken
    /// Dense sensor index; -1: the entry is free.
    public var sensor: Int16
    /// Retransmissions of the pending notification so far (RFC 7252 §4.2).
    public var retries: UInt8
    /// Message ID of the pending CON notification.
    public var pendingMessageID: UInt16
    /// Id of the command the pending notification carries; 0: none pending.
    public var pendingCommand: UInt32
    /// Observe value of the last notification (grows by one per notification).
    public var observeValue: UInt32
    /// When the pending notification is due again.
    public var dueMs: Int64

    public var inUse: Bool { sensor >= 0 }

    /// A free entry.
    public static var free: CommandObserver {
        CommandObserver(
            peer: .none, token: CoAPToken(), sensor: -1, retries: 0, pendingMessageID: 0, pendingCommand: 0, observeValue: 0,
            dueMs: 0)
    }
}
