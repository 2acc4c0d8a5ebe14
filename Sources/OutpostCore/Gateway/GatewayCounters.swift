/// What the gateway's tick counted (the server counts the protocol side, the store the log's).
public struct GatewayCounters {
    public var ticks: UInt64 = 0
    public var batches: UInt64 = 0
    public var datagrams: UInt64 = 0
    public var truncated: UInt64 = 0
    public var receiveErrors: UInt64 = 0
    /// Datagrams not handled because the send queue had no slot left (never with its sizing).
    public var noSendSlot: UInt64 = 0
    /// Responses withheld because their tick's commit did not complete.
    public var withheldResponses: UInt64 = 0
    /// Attachment output (serial SLIP streams) withheld for the same reason, in bytes.
    public var withheldAttachmentBytes: UInt64 = 0

    public init() {}
}
