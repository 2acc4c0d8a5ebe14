/// One datagram a tick sends: where its bytes are in the send queue's region, who gets it, and by
/// which channel it leaves (`GatewaySendQueue.attachmentChannel`: by an attachment, such as a
/// serial line).
public struct GatewayOutbound: BitwiseCopyable {
    public var bytes: UnsafeRawBufferPointer
    public var peer: Endpoint
    public var channel: Int32

    public init(bytes: UnsafeRawBufferPointer, peer: Endpoint, channel: Int32) {
        self.bytes = bytes
        self.peer = peer
        self.channel = channel
    }
}
