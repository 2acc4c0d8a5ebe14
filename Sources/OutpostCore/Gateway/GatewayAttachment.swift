/// The seam for every pollable thing besides the datagram transport that the gateway ticks:
/// serial lines today; an MQTT session over TCP or TLS, an HTTP listener, DTLS sessions next. The
/// host polls the attachment's descriptors with the others and records what is ready; the gateway
/// then calls, within each tick and in this order:
///
/// 1. `receive`: read what arrived and hand each request to `handler` (admission, server); the
///    answers go to the attachment's own output, *held* until step 3;
/// 2. `deliver`: a notification the server sends to a peer the attachment owns (an observer on a
///    serial line), also held;
/// 3. `endOfTick(committed:)`: the tick's commit covered everything (release the held output) or
///    did not (withhold whatever may acknowledge; return what was withheld, in bytes);
/// 4. `upstreamTurn`: an attachment that is also a client of the log (the MQTT upstream) reads
///    the durable records through `store.source` and persists its cursor there (with the next
///    commit), right after the uplink's turn;
/// 5. `afterTick`: write released output, run timers (reconnects, reopen backoff).
///
/// Nothing of a tick may leave before step 3 says so: the promise "an acknowledgement means the
/// reading is kept" holds for every transport that plugs in here. An attachment that is also a
/// client (an MQTT publisher of the log's records) reads the log through `GatewayStore.source`
/// in `upstreamTurn`, as the uplink does (`GatewayStore.tickMQTT`). Several attachments: a struct holding them that forwards
/// each call (calls must stay bounded: a tick's work is bounded by each attachment's own limits).
public protocol GatewayAttachment {
    /// Reads what the host's poll found ready and hands each request to `handler`. Returns how
    /// many requests (frames, lines, messages) it handled.
    mutating func receive<Handler: GatewayRequestHandler>(nowMs: Int64, handler: inout Handler) -> Int
    /// Takes a notification for `peer` (one the attachment owns); false when it cannot.
    mutating func deliver(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) -> Bool
    /// Releases (`committed`) or withholds the output of this tick. Returns the bytes withheld.
    mutating func endOfTick(committed: Bool) -> Int
    /// After the tick's datagrams left: write output, run timers.
    mutating func afterTick(nowMs: Int64)
    /// When the attachment must be ticked again without input (nil: only on input).
    func wakeDeadlineMs(nowMs: Int64) -> Int64?
    /// The turn of an upstream that reads the log (after the uplink's): it may read
    /// `store.source` and move the forward cursor (`LogStore.setCursor`), which the next commit
    /// makes durable. The default does nothing.
    mutating func upstreamTurn<D: LogDevice, L: DatagramSink & DatagramReceiver>(nowMs: Int64, store: inout GatewayStore<D, L>)
}

extension GatewayAttachment {
    /// No upstream: nothing reads the log here.
    public mutating func upstreamTurn<D: LogDevice, L: DatagramSink & DatagramReceiver>(nowMs: Int64, store: inout GatewayStore<D, L>) {}
}

/// No attachment: a gateway with the datagram transport only.
public struct NoAttachment: GatewayAttachment {
    public init() {}
    public mutating func receive<Handler: GatewayRequestHandler>(nowMs: Int64, handler: inout Handler) -> Int { 0 }
    public mutating func deliver(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) -> Bool { false }
    public mutating func endOfTick(committed: Bool) -> Int { 0 }
    public mutating func afterTick(nowMs: Int64) {}
    public func wakeDeadlineMs(nowMs: Int64) -> Int64? { nil }
}
