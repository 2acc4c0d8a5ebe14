import OutpostCore

/// Everything the daemon's gateway ticks besides its UDP listeners: the serial lines and the
/// `coaps` listener. Forwards each `GatewayAttachment` call to both, serial lines first; the DTLS
/// half is skipped (and, in a profile without DTLS, compiled out: `P.dtlsSessionCount` is a
/// constant) while `--listen-dtls` is not given.
struct DaemonAttachment<P: Profile>: GatewayAttachment {
    var serial: SerialAttachment
    /// Inert until `EventLoop.setUpDTLS` replaces it with an open listener.
    var dtls = DTLSListener()

    init(serial: SerialAttachment) {
        self.serial = serial
    }

    /// True when the DTLS half takes part in the tick.
    var dtlsActive: Bool { P.dtlsSessionCount > 0 && dtls.enabled }

    mutating func receive<Handler: GatewayRequestHandler>(nowMs: Int64, handler: inout Handler) -> Int {
        var handled = serial.receive(nowMs: nowMs, handler: &handler)
        if dtlsActive { handled += dtls.receive(nowMs: nowMs, handler: &handler) }
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
        return withheld
    }

    mutating func afterTick(nowMs: Int64) {
        serial.afterTick(nowMs: nowMs)
        if dtlsActive { dtls.afterTick(nowMs: nowMs) }
    }

    func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        let a = serial.wakeDeadlineMs(nowMs: nowMs)
        let b = dtlsActive ? dtls.wakeDeadlineMs(nowMs: nowMs) : nil
        if let a, let b { return min(a, b) }
        return a ?? b
    }
}
