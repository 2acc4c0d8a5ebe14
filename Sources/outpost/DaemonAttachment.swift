import OutpostCore

/// Everything the daemon's gateway ticks besides its UDP listeners: the serial lines and the
/// `coaps` listener and the HTTP server. Forwards each `GatewayAttachment` call to both, serial lines first; the DTLS
/// half is skipped (and, in a profile without DTLS, compiled out: `P.dtlsSessionCount` is a
/// constant) while `--listen-dtls` is not given.
struct DaemonAttachment<P: Profile>: GatewayAttachment {
    var serial: SerialAttachment
    /// Inert until `EventLoop.setUpDTLS` replaces it with an open listener.
    var dtls = DTLSListener()

    /// The HTTP server (`--http`; inert without it). It takes part in `receive` (accept, read),
    /// `endOfTick` (holds back the answers of an uncommitted tick), `afterTick` (writes, timeouts)
    /// and `wakeDeadlineMs`; its answers are rendered by the loop after the tick, from the
    /// server's state (`DaemonHTTP.serve`), as the attachment does not reach `Server`.
    var web = DaemonHTTP()

    /// The MQTT upstream (`--upstream mqtt[s]://`; inert without it): a client of the log, run in
    /// `upstreamTurn` after the uplink's turn; its poll entry is the loop's last.
    var mqtt = DaemonMQTT()

    init(serial: SerialAttachment, web: DaemonHTTP) {
        self.serial = serial
        self.web = web
    }

    /// True when the DTLS half takes part in the tick.
    var dtlsActive: Bool { P.dtlsSessionCount > 0 && dtls.enabled }

    mutating func receive<Handler: GatewayRequestHandler>(nowMs: Int64, handler: inout Handler) -> Int {
        var handled = serial.receive(nowMs: nowMs, handler: &handler)
        if dtlsActive { handled += dtls.receive(nowMs: nowMs, handler: &handler) }
        if web.enabled { web.receive(nowMs: nowMs) }
        return handled
    }

    mutating func deliver(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) -> Bool {
        if peer.kind == Endpoint.kindSerial { return serial.deliver(bytes, to: peer) }
        // Any other attached peer is a DTLS session's: without the listener it has nowhere to go.
        return dtlsActive && dtls.deliver(bytes, to: peer)
    }

    mutating func endOfTick(committed: Bool) -> Int {
        var withheld = serial.endOfTick(committed: committed)
        if dtlsActive { withheld += dtls.endOfTick(committed: committed) }
        web.committed = committed
        return withheld
    }

    mutating func afterTick(nowMs: Int64) {
        serial.afterTick(nowMs: nowMs)
        if dtlsActive { dtls.afterTick(nowMs: nowMs) }
        if web.enabled { web.afterTick(nowMs: nowMs) }
    }

    func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        let a = serial.wakeDeadlineMs(nowMs: nowMs)
        let b = dtlsActive ? dtls.wakeDeadlineMs(nowMs: nowMs) : nil
        let c = web.enabled ? web.wakeDeadlineMs(nowMs: nowMs) : nil
        let d = DaemonMQTT.available && mqtt.enabled ? mqtt.wakeDeadlineMs(nowMs: nowMs) : nil
        var earliest = a
        if let b { earliest = min(earliest ?? b, b) }
        if let c { earliest = min(earliest ?? c, c) }
        if let d { earliest = min(earliest ?? d, d) }
        return earliest
    }

    mutating func upstreamTurn<D: LogDevice, L: DatagramSink & DatagramReceiver>(nowMs: Int64, store: inout GatewayStore<D, L>) {
        if DaemonMQTT.available && mqtt.enabled { mqtt.upstreamTurn(nowMs: nowMs, store: &store) }
    }
}
