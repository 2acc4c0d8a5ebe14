/// The server and the store together: every request goes through here, so admission (the log's
/// room, checked once) and the draining of the outbox into the log happen in one place for the
/// datagram transport and every attachment alike.
///
/// A request whose readings did not all reach the log (an append refused for lack of space at a
/// segment roll, which the admission check cannot foresee) is forgotten by the server's duplicate
/// cache and ledger: the tick's acknowledgements are withheld, and its retransmission must be
/// processed afresh rather than answered 2.04 from memory.
public struct GatewayCore<P: Profile, Device: LogDevice, Link: DatagramSink>: GatewayRequestHandler {
    public var server: Server<P>
    public var store: GatewayStore<Device, Link>
    /// The server's exchange memory before the last request whose outbox events were not drained
    /// yet: what to forget when one of them is refused.
    var undrained: ServerExchangeMark? = nil
    /// Remembered exchanges (cached answers, ledger records) forgotten because the log refused
    /// what they acknowledged.
    public internal(set) var exchangesForgotten: UInt64 = 0

    public init(server: Server<P>, store: GatewayStore<Device, Link>) {
        self.server = server
        self.store = store
    }

    /// Drains the outbox into the log (forgetting the last request's exchange when the log refused
    /// one of its events) and returns the log's room for the next request. Without a log, the
    /// outbox is drained only when it could not take a whole pack.
    /// - Complexity: O(outbox events drained).
    public mutating func admit() -> LogRoom {
        if !store.enabled {
            // An accepted image block must leave its buffer before the next block can come.
            if server.outboxNeedsDrain || server.images.hasPendingBlock { server.drainOutbox(into: &store) }
            return .unlimited
        }
        let refusedBefore = store.refusedAppends
        server.drainOutbox(into: &store)
        logCommands()
        if store.refusedAppends != refusedBefore, let mark = undrained {
            exchangesForgotten &+= UInt64(bitPattern: server.forgetExchanges(since: mark).wide)
        }
        undrained = nil
        return store.admission()
    }

    public mutating func handle(
        _ request: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64, response: UnsafeMutableRawBufferPointer,
        scope: WriteScope
    ) -> Int {
        let room = admit()
        undrained = server.exchangeMark
        return server.handle(datagram: request, from: peer, nowMs: nowMs, response: response, room: room, scope: scope)
    }

    /// A request from a plain listener's peer (`readOnly`: the listener serves GET only).
    public mutating func handle(
        _ request: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64, response: UnsafeMutableRawBufferPointer,
        readOnly: Bool
    ) -> Int {
        let room = admit()
        undrained = server.exchangeMark
        return server.handle(datagram: request, from: peer, nowMs: nowMs, response: response, room: room, readOnly: readOnly)
    }

    public mutating func ingestLine(_ line: UnsafeRawBufferPointer, nowMs: Int64) -> LineOutcome {
        let room = admit()
        undrained = server.exchangeMark
        return server.ingestLine(line, nowMs: nowMs, room: room)
    }

    /// A line from line-mode serial line `peer`: its sensors' commands are written back there.
    public mutating func ingestLine(_ line: UnsafeRawBufferPointer, nowMs: Int64, from peer: Endpoint) -> LineOutcome {
        let outcome = ingestLine(line, nowMs: nowMs)
        if case .accepted(let count) = outcome, peer.kind == Endpoint.kindSerial {
            server.routeCommands(line: peer.scopeOrLine, readings: count)
        }
        return outcome
    }
}

extension GatewayCore {
    /// The server's tick (pipeline timers, outbox drain into the log, expiry, notifications into
    /// `sink`), after a last admission drain that settles the tick's last request.
    mutating func tickServer<Sink: DatagramSink>(nowMs: Int64, into sink: inout Sink) {
        _ = admit()
        server.tick(nowMs: nowMs, into: &sink, consumer: &store)
    }

    /// Appends the command queue's records the log does not hold yet (accepted commands, then
    /// delivered / expired events), and tells the server whether the log can take more.
    /// - Complexity: O(commandSlotCount² + events pending): a handful of slots.
    public mutating func logCommands() {
        if !Server<P>.commandsEnabled { return }
        server.commands.journaling = store.enabled
        if !store.enabled { return }
        store.logCommands(&server.commands)
        server.commandLogReady = store.source != nil && store.failure == 0 && !store.refusing
    }

    /// Logs the commands queued since the tick's commit (the HTTP endpoint queues after it) and
    /// commits them per the durability policy. Returns false when the commit did not complete:
    /// the answers that acknowledge those commands must wait (the store retries at every commit).
    /// - Complexity: one write and, with sync, one sync when something was queued; O(slots) else.
    public mutating func commitCommands(nowMs: Int64) -> Bool {
        if !Server<P>.commandsEnabled || !store.enabled || store.source == nil { return true }
        let before = store.store!.nextSequence
        logCommands()
        if store.store!.nextSequence == before { return true }
        return store.endOfTick(nowMs: nowMs)
    }
}
