import CHAL
import OutpostCore

// The `coaps` listener's part of the gateway's tick (through `DaemonAttachment`): datagrams in
// through CHAL's DTLS server, each decrypted CoAP message handed to the gateway with its
// identity's write scope; answers and Observe notifications queued per session and encrypted out
// only after the tick's commit, so an acknowledgement over DTLS also means "on disk".

extension DTLSListener: GatewayAttachment {
    /// Receives one batch on the DTLS socket (when the poll found it readable) and hands every
    /// datagram to CHAL; each decrypted message goes to `handler` with its identity's scope, and
    /// the answer is queued for the session. Returns how many datagrams it took.
    /// - Complexity: O(batch × (record decryption + the request's work)).
    mutating func receive<Handler: GatewayRequestHandler>(nowMs: Int64, handler: inout Handler) -> Int {
        if !enabled || !readable { return 0 }
        readable = false
        let received = chal_udp_receive_batch(fd, slots.baseAddress!, Int32(truncatingIfNeeded: slots.count))
        if received < 0 {
            counters.receiveErrors &+= 1
            return 0
        }
        let plain = plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self)
        for i in 0..<Int(received) {
            counters.datagrams &+= 1
            var peer = slots[i].peer
            var event = chal_dtls_event()
            let length = chal_dtls_input(
                DTLSListener.server, slots[i].buffer, slots[i].length, &peer, plain, Int32(truncatingIfNeeded: plaintext.count), &event)
            if length <= 0 || event.kind != Int32(truncatingIfNeeded: CHAL_DTLS_EVENT_DATA) { continue }
            counters.messages &+= 1
            // The queue holds a whole batch besides the notifications: full only when the tick's
            // notifications took the room; the client retransmits.
            guard let response = queue.nextBuffer else {
                counters.queueFull &+= 1
                continue
            }
            let message = UnsafeRawBufferPointer(start: plaintext.baseAddress, count: Int(length))
            let answer = handler.handle(
                message, from: Endpoints.dtlsEndpoint(peer, session: event.session), nowMs: nowMs, response: response,
                scope: keys.scope(Int(event.identity)))
            if answer > 0 { queue.commit(length: answer, session: event.session) }
        }
        return Int(received)
    }

    /// A notification for a DTLS peer: queued for its session, but only while that session still
    /// belongs to the same peer (session slots are reused). False otherwise (counted unroutable).
    func deliver(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) -> Bool {
        guard enabled, let session = Endpoints.dtlsSession(peer) else { return false }
        var current = chal_address()
        if chal_dtls_session_peer(DTLSListener.server, session, &current) != 0 || Endpoints.dtlsEndpoint(current, session: session) != peer {
            return false
        }
        return queue.queue(bytes, session: session)
    }

    /// Committed: the queue leaves in `afterTick`. Not committed: everything queued is dropped
    /// (the sensors retransmit); returns its bytes.
    func endOfTick(committed: Bool) -> Int {
        committed ? 0 : queue.discard()
    }

    /// Encrypts and sends the released queue, then runs CHAL's timers (handshake retransmission,
    /// idle sessions).
    func afterTick(nowMs: Int64) {
        if !enabled { return }
        queue.flush(server: DTLSListener.server)
        _ = chal_dtls_tick(DTLSListener.server)
    }

    /// CHAL's DTLS timers run at every tick; the loop ticks at least every 100 ms, which is finer
    /// than the handshake's shortest retransmission timeout (1 s), so no deadline of its own.
    func wakeDeadlineMs(nowMs: Int64) -> Int64? { nil }
}
