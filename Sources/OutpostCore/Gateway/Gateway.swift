/// One gateway: the CoAP server and its pipeline, the log and the uplink (`GatewayStore`), a
/// datagram transport for requests, and an attachment for everything else the host polls. It owns
/// the tick, in this order:
///
/// 1. receive: up to `receiveBatchesPerTick` batches per readable channel of the transport, each
///    only while the send queue can answer a whole batch; then the attachment's input;
/// 2. per request: drain the outbox into the log, check the log's room once (`LogRoom`, the
///    argument of `Server.handle`), handle; the answer goes into the send queue, held;
/// 3. the upstream's answers to the uplink;
/// 4. the server's tick (pipeline timers, the last drain into the log, notifications);
/// 5. the log's commit per durability (`GatewayStore.endOfTick`);
/// 6. release: only when the commit covered the tick do its acknowledgements leave; otherwise
///    they are withheld (the sensors retransmit) while the answers that acknowledge nothing (5.03
///    refusals, GET answers such as `/health`) still go out, and after a fail-stop failure
///    nothing does; the attachment is told the same;
/// 7. the uplink's turn (its moved cursor is persisted by the next commit), then the
///    attachment's upstream turn (the MQTT upstream, `GatewayAttachment.upstreamTurn`);
/// 8. the attachment's after-tick work (writing output, reopen timers).
///
/// The host (the daemon's poll loop, a test) provides readiness, the clock and the CHAL adapters;
/// nothing here blocks or allocates. Work per tick is bounded by the batch sizes, the send queue
/// and the attachment's own bounds.
public struct Gateway<
    P: Profile, Device: LogDevice, Transport: DatagramTransport, Link: DatagramSink & DatagramReceiver,
    Attachment: GatewayAttachment
> {
    /// Most receive batches one channel gives per tick. More than one lets a tick (and with
    /// `sync` durability its one sync) cover everything the sensors have in flight, while the
    /// send queue still bounds the tick's work.
    public static var receiveBatchesPerTick: Int { 8 }
    /// Send slots kept for the notifications the server's tick emits (Observe).
    public static var notificationReserve: Int { max(8, P.observerCount * 2) }

    public var core: GatewayCore<P, Device, Link>
    public var transport: Transport
    public var attachment: Attachment
    public var send: GatewaySendQueue
    public var counters = GatewayCounters()
    /// Per transport channel: who may send to it and whether it is read-only (all open at first;
    /// the host sets them from its listener options).
    public let access: UnsafeMutableBufferPointer<ListenerAccess>

    public var server: Server<P> {
        get { core.server }
        _modify { yield &core.server }
    }

    public var store: GatewayStore<Device, Link> {
        get { core.store }
        _modify { yield &core.store }
    }

    /// Send-queue descriptors for `channels` channels of `batchSize`-datagram receives: enough for
    /// `receiveBatchesPerTick` batches of small answers per channel plus the notifications, at
    /// most `limit` (the host's largest send batch).
    public static func sendSlots(channels: Int, batchSize: Int, limit: Int) -> Int {
        max(min(limit, batchSize * channels * receiveBatchesPerTick + notificationReserve), sendRegionDatagrams(channels: channels, batchSize: batchSize, limit: limit))
    }

    /// Worst-case answers the send region holds: two batches per channel plus the notifications
    /// (so a batch of the usual few-byte answers leaves room for another), at most `limit`.
    public static func sendRegionDatagrams(channels: Int, batchSize: Int, limit: Int) -> Int {
        min(limit, 2 * batchSize * channels + notificationReserve)
    }

    /// A gateway over `transport` and `attachment`; the send queue is carved from `arena`
    /// (`sendLimit`: the most datagrams the transport sends at once).
    public init(server: Server<P>, store: GatewayStore<Device, Link>, transport: Transport, attachment: Attachment, sendLimit: Int, arena: inout Arena) {
        precondition(transport.channelCount > 0, "a transport needs a channel")
        core = GatewayCore(server: server, store: store)
        self.transport = transport
        self.attachment = attachment
        let channels = transport.channelCount
        let batch = transport.receiveCapacity
        let kinds = arena.carve(channels, of: UInt8(0))
        for i in 0..<channels { kinds[i] = transport.channelKind(i) }
        access = arena.carve(channels, of: ListenerAccess.open)
        send = GatewaySendQueue(
            slotCount: Gateway.sendSlots(channels: channels, batchSize: batch, limit: sendLimit),
            regionDatagrams: Gateway.sendRegionDatagrams(channels: channels, batchSize: batch, limit: sendLimit),
            datagramBytes: P.maxDatagramBytes, channelKinds: UnsafeBufferPointer(kinds), arena: &arena)
    }

    /// Runs the server's tick and the commit once before start-up ends, so whatever the runtime
    /// sets up on first use (generic type metadata in a host build) is set up before allocations
    /// are forbidden.
    public mutating func warmUp(nowMs: Int64) {
        _ = core.admit()
        core.tickServer(nowMs: nowMs, into: &send)
        deliverToAttachment()
        _ = attachment.endOfTick(committed: core.store.endOfTick(nowMs: nowMs))
        release()
        core.store.tickUplink(nowMs: nowMs)
        attachment.upstreamTurn(nowMs: nowMs, store: &core.store)
    }

    /// One tick at the clock's time, its duration recorded for `/metrics` when it handled
    /// something. Returns how many requests it handled.
    @discardableResult
    public mutating func tick<Clock: GatewayClock>(clock: inout Clock) -> Int {
        let startNs = clock.monotonicNs()
        let handled = tick(nowMs: clock.wallMs())
        if handled > 0 { core.server.recordTickLatency(ns: UInt64(bitPattern: clock.monotonicNs() - startNs)) }
        return handled
    }

    /// One tick at `nowMs` (see the type's documentation). Returns how many requests it handled.
    /// After a fail-stop failure of the log (`store.failure`) it releases nothing: the host stops.
    /// - Complexity: O(receiveBatchesPerTick × batch × channels + attachment input + server tick).
    @discardableResult
    public mutating func tick(nowMs: Int64) -> Int {
        counters.ticks &+= 1
        var handled = 0
        if core.store.enabled {
            _ = core.admit()
            core.server.logPressure = core.store.dropPressure
        }
        // Starts at a different channel every tick, so a channel whose batches fill the send
        // queue cannot keep the others waiting.
        // (Through Int: `Int(UInt64 % UInt64)` trips the 32-bit -no-allocations false positive.)
        let channels = transport.channelCount
        let first = (Int(truncatingIfNeeded: counters.ticks) & Int.max) % channels
        for k in 0..<channels {
            let channel = (first + k) % channels
            if transport.isReadable(channel: channel) { handled += receiveBatches(channel: channel, nowMs: nowMs) }
        }
        handled += attachment.receive(nowMs: nowMs, handler: &core)
        if core.store.link.isReadable(channel: 0) { receiveUplink(nowMs: nowMs) }
        core.tickServer(nowMs: nowMs, into: &send)
        deliverToAttachment()
        if core.store.endOfTick(nowMs: nowMs) {
            _ = attachment.endOfTick(committed: true)
        } else {
            // Not committed: nothing of this tick may be acknowledged. The sensors retransmit; the
            // duplicate cache answers them once a later commit made their readings durable (a
            // request whose readings the log refused was forgotten by `GatewayCore`, so its
            // retransmission is processed afresh). Out of space (the store keeps its buffered
            // records and retries them at every commit), the answers that acknowledge nothing
            // still go out: the 5.03 refusals and `/health`, so the gateway is never silent
            // while the condition lasts.
            if core.store.failure != 0 {
                counters.withheldResponses &+= UInt64(bitPattern: send.count.wide)
                send.discard()
            } else {
                counters.withheldResponses &+= UInt64(bitPattern: send.discardAcknowledgements().wide)
            }
            counters.withheldAttachmentBytes &+= UInt64(bitPattern: attachment.endOfTick(committed: false).wide)
            if core.store.failure != 0 { return handled }
        }
        release()
        core.store.tickUplink(nowMs: nowMs)
        attachment.upstreamTurn(nowMs: nowMs, store: &core.store)
        attachment.afterTick(nowMs: nowMs)
        return handled
    }

    /// When the gateway must tick again without input: the store's and the attachment's deadlines.
    public func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        let a = core.store.wakeDeadlineMs(nowMs: nowMs)
        let b = attachment.wakeDeadlineMs(nowMs: nowMs)
        if let a, let b { return min(a, b) }
        return a ?? b
    }

    /// Hands the attachment the notifications for its peers, before the commit: its output is
    /// released or withheld with the rest of the tick (`endOfTick`). The transport skips them.
    mutating func deliverToAttachment() {
        for i in 0..<send.count where send.datagram(i).channel == GatewaySendQueue.attachmentChannel {
            let datagram = send.datagram(i)
            if !attachment.deliver(datagram.bytes, to: datagram.peer) { send.counters.unroutable &+= 1 }
        }
    }

    /// Sends what the send queue holds through the transport, then empties the queue.
    mutating func release() {
        if send.count == 0 { return }
        transport.send(&send)
        send.discard()
    }

    /// Receives up to `receiveBatchesPerTick` batches on `channel`, each only while the send
    /// queue can still answer a whole batch of worst-case responses (and the notifications);
    /// stops at a batch that was not full (the channel is drained). Returns how many it handled.
    /// - Complexity: O(receiveBatchesPerTick × batch × datagram work).
    mutating func receiveBatches(channel: Int, nowMs: Int64) -> Int {
        var handled = 0
        let capacity = transport.receiveCapacity
        for _ in 0..<Gateway.receiveBatchesPerTick {
            if !send.canTake(capacity + Gateway.notificationReserve) { break }
            let count = receiveBatch(channel: channel, nowMs: nowMs)
            handled += count
            if count < capacity { break }
        }
        return handled
    }

    /// Receives one batch on `channel` and handles every datagram; returns how many.
    /// - Complexity: O(batch × datagram work).
    mutating func receiveBatch(channel: Int, nowMs: Int64) -> Int {
        let received = transport.receive(channel: channel)
        if received < 0 {
            counters.receiveErrors &+= 1
            return 0
        }
        counters.batches &+= 1
        let via = Int32(truncatingIfNeeded: channel)
        let rules = access[channel]
        // A full batch means more is waiting: the daemon is behind, and readings (POST) go before
        // status queries and everything else, in a first pass over the batch.
        let behind = received == transport.receiveCapacity
        for pass in 0..<(behind ? 2 : 1) {
            for i in 0..<received {
                let datagram = transport.received(i)
                if behind {
                    let post = datagram.bytes.count >= 2 && datagram.bytes[1] == CoAPCode.post.rawValue
                    if post != (pass == 0) { continue }
                }
                counters.datagrams &+= 1
                if datagram.truncated { counters.truncated &+= 1 }
                if !rules.admits(datagram.peer) {
                    core.server.counters.listenerRefused &+= 1
                    continue
                }
                guard let response = send.nextBuffer else {
                    counters.noSendSlot &+= 1
                    continue
                }
                // A datagram larger than the buffer arrives cut at capacity (maxDatagramBytes + 1), so
                // the server sees it as oversize and answers 4.13.
                let length = core.handle(datagram.bytes, from: datagram.peer, nowMs: nowMs, response: response, readOnly: rules.readOnly)
                if length > 0 { send.commit(length: length, to: datagram.peer, channel: via) }
            }
        }
        return received
    }

    /// Receives the upstream's answers (one batch) and hands each to the uplink.
    /// - Complexity: O(batch × message parse).
    mutating func receiveUplink(nowMs: Int64) {
        let received = core.store.link.receive(channel: 0)
        if received <= 0 { return }
        for i in 0..<received {
            let datagram = core.store.link.received(i)
            if datagram.truncated { continue }
            core.store.receiveUplink(datagram.bytes, from: datagram.peer, nowMs: nowMs)
        }
    }
}
