// The `coaps` listener's figures in `/health` and `/metrics` (`ServerDTLSStatus`, refreshed by
// the daemon). A profile without DTLS compiles none of it.

extension Server {
    /// The `dtls` member of `/health` (only while a DTLS listener is open).
    /// - Complexity: O(1)
    func renderDTLSStatus<W: ResourceWriter>(into w: inout W) {
        guard P.dtlsSessionCount > 0, let s = dtlsStatus?.pointee, s.enabled else { return }
        w.key("dtls")
        w.beginMap()
        w.key("session_capacity")
        w.integer(s.sessionCapacity.wide)
        w.key("sessions_open")
        w.integer(s.sessionsOpen.wide)
        w.key("sessions_established")
        w.integer(s.sessionsEstablished.wide)
        counter(&w, "cookies_sent", s.cookiesSent)
        counter(&w, "handshakes_ok", s.handshakesDone)
        counter(&w, "handshakes_resumed", s.handshakesResumed)
        counter(&w, "handshakes_failed", s.handshakesFailed)
        counter(&w, "refused", s.refused)
        counter(&w, "evicted", s.evicted)
        counter(&w, "closed_by_peer", s.closedByPeer)
        counter(&w, "records_dropped", s.recordsDropped)
        w.endMap()
    }

    /// The DTLS families of `/metrics` (only while a DTLS listener is open).
    /// - Complexity: O(1)
    func renderDTLSMetrics(into w: inout TextWriter) {
        guard P.dtlsSessionCount > 0, let s = dtlsStatus?.pointee, s.enabled else { return }
        family(&w, "outpost_dtls_sessions", "gauge", "DTLS session slots in use (handshaking or up), by state.")
        sample(&w, "outpost_dtls_sessions", "state", "open", UInt64(bitPattern: s.sessionsOpen.wide))
        sample(&w, "outpost_dtls_sessions", "state", "established", UInt64(bitPattern: s.sessionsEstablished.wide))
        family(&w, "outpost_dtls_session_capacity", "gauge", "DTLS session slots of the profile.")
        sample(&w, "outpost_dtls_session_capacity", nil, nil, UInt64(bitPattern: s.sessionCapacity.wide))
        family(&w, "outpost_dtls_handshakes_total", "counter", "DTLS handshakes, by result.")
        sample(&w, "outpost_dtls_handshakes_total", "result", "ok", s.handshakesDone)
        sample(&w, "outpost_dtls_handshakes_total", "result", "resumed", s.handshakesResumed)
        sample(&w, "outpost_dtls_handshakes_total", "result", "failed", s.handshakesFailed)
        family(&w, "outpost_dtls_cookies_sent_total", "counter", "HelloVerifyRequests sent (no state kept).")
        sample(&w, "outpost_dtls_cookies_sent_total", nil, nil, s.cookiesSent)
        family(&w, "outpost_dtls_sessions_ended_total", "counter", "DTLS sessions ended or not begun, by reason.")
        sample(&w, "outpost_dtls_sessions_ended_total", "reason", "evicted", s.evicted)
        sample(&w, "outpost_dtls_sessions_ended_total", "reason", "refused", s.refused)
        sample(&w, "outpost_dtls_sessions_ended_total", "reason", "closed_by_peer", s.closedByPeer)
        family(&w, "outpost_dtls_records_dropped_total", "counter", "DTLS records dropped (garbage, replayed, bad MAC, too large).")
        sample(&w, "outpost_dtls_records_dropped_total", nil, nil, s.recordsDropped)
    }
}
