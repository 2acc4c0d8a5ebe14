/// One datagram a transport received: its bytes (in the transport's own buffer, valid until its
/// next `receive`), who sent it, and whether it arrived cut at the buffer's size.
public struct GatewayDatagram {
    public var bytes: UnsafeRawBufferPointer
    public var peer: Endpoint
    /// Larger than the buffer: the bytes are cut (the server answers 4.13 to what it sees).
    public var truncated: Bool

    public init(bytes: UnsafeRawBufferPointer, peer: Endpoint, truncated: Bool) {
        self.bytes = bytes
        self.peer = peer
        self.truncated = truncated
    }
}
