/// Where the server puts datagrams it sends on its own (Observe notifications): the daemon's
/// send batch, or a recording sink in tests. Implementations copy the bytes before returning.
public protocol DatagramSink {
    /// True while `send` can take one more datagram.
    var hasRoom: Bool { get }
    /// Queues `bytes` (one CoAP message) for `peer`. Called only while `hasRoom`.
    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint)
}
