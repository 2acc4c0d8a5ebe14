/// The gateway's request transport: datagrams in (`DatagramReceiver`), and the tick's released
/// responses out in one batch (`sendmmsg` per socket in the daemon).
public protocol DatagramTransport: DatagramReceiver {
    /// Sends every datagram of `queue` whose channel is a transport channel (0..<channelCount),
    /// each by its channel, and counts what went and what was refused in `queue.counters`. The
    /// gateway empties the queue afterwards.
    mutating func send(_ queue: inout GatewaySendQueue)
}
