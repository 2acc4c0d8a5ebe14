/// Something datagrams arrive on, in batches: the daemon's UDP sockets (`recvmmsg`), the uplink's
/// client socket, an in-memory network in tests.
///
/// Readiness is the host's business (its `poll`): the gateway receives only from the channels
/// the receiver says are readable, so a tick never blocks. Received datagrams stay in the
/// receiver's own buffers until its next `receive`.
public protocol DatagramReceiver {
    /// How many channels (sockets) it has; a response leaves by the channel its request came in on.
    var channelCount: Int { get }
    /// Most datagrams one `receive` returns.
    var receiveCapacity: Int { get }
    /// The endpoint kind of channel `channel`'s peers (`Endpoint.kindIPv4` or `kindIPv6`), so a
    /// notification leaves by a channel that can reach its peer.
    func channelKind(_ channel: Int) -> UInt8
    /// True when channel `channel` has datagrams waiting (set by the host's poll).
    func isReadable(channel: Int) -> Bool
    /// Receives up to `receiveCapacity` datagrams on `channel`; returns how many (0: none), or a
    /// negative errno when the receive failed.
    mutating func receive(channel: Int) -> Int
    /// The `index`-th datagram of the last `receive`.
    func received(_ index: Int) -> GatewayDatagram
}
