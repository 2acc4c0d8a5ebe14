extension Uplink {
    /// Closes the pack in `encoder`, takes its rate tokens, and sends its first block.
    mutating func send<D: DatagramSink>(
        _ encoder: inout SenMLEncoder, alertsOnly: Bool, endSequence: UInt64, lastRecord: UInt64, nowMs: Int64, sink: inout D
    ) {
        let bytes = encoder.finish()
        bucket.take(encoder.recordCount)
        batch = UplinkBatch()
        batch.alertsOnly = alertsOnly
        batch.sizeBytes = bytes.count
        batch.endSequence = endSequence
        batch.recordCount = encoder.recordCount
        batch.lastRecordSequence = lastRecord
        batch.blockSizeExponent = settings.blockSizeExponent
        batch.token = CoAPToken(value: random.next(), count: 8)
        counters.batchesSent &+= 1
        startExchange(nowMs: nowMs, sink: &sink)
    }

    /// Sends the current block with a new message ID and arms the retransmission timer with
    /// ACK_TIMEOUT × a random factor in [1, ACK_RANDOM_FACTOR] (RFC 7252 §4.2).
    mutating func startExchange<D: DatagramSink>(nowMs: Int64, sink: inout D) {
        messageID &+= 1
        transmissions = 1
        let spread = settings.ackTimeoutMs * (settings.ackRandomFactorMilli - 1_000) / 1_000
        timeoutMs = settings.ackTimeoutMs + random.upTo(spread)
        deadlineMs = nowMs + timeoutMs
        phase = .waitingAck
        transmit(sink: &sink)
    }

    /// Retransmits the current block with a doubled timeout, or gives the exchange up after
    /// `retransmitLimit` retransmissions (then, with pings on, pings at once).
    mutating func retransmitOrGiveUp<D: DatagramSink>(nowMs: Int64, sink: inout D) {
        if transmissions > retransmitLimit {
            counters.timeouts &+= 1
            fail(nowMs: nowMs, probe: true)
            // The exchange is given up, so nothing is outstanding: the ping may go now.
            if probing { sendProbe(nowMs: nowMs, sink: &sink) }
            return
        }
        transmissions += 1
        timeoutMs *= 2
        deadlineMs = nowMs + timeoutMs
        counters.retransmissions &+= 1
        transmit(sink: &sink)
    }

    /// MAX_RETRANSMIT, made smaller with pings on. Pings find the upstream's return within 1–2 s,
    /// but may only go while no exchange is outstanding (NSTART = 1, RFC 7252 §4.7), so with
    /// doubling timeouts of 2–48 s a return during a long retransmission wait would be noticed
    /// late. With pings an exchange is given up after one retransmission while the link was up
    /// (a single loss is still covered), and after its first timeout while the link is known down
    /// (the transmission is then a ping with a payload). RFC 7252 §4.8.1 lets MAX_RETRANSMIT be
    /// configured; every timeout still doubles, and the backoff still grows.
    var retransmitLimit: Int {
        if settings.probeIntervalMs == 0 { return settings.maxRetransmit }
        return min(settings.maxRetransmit, consecutiveFailures > 0 ? 0 : 1)
    }

    /// Writes the current block as a CON POST and hands it to `sink` (a full sink counts as a
    /// lost datagram: the retransmission timer covers it).
    mutating func transmit<D: DatagramSink>(sink: inout D) {
        let size = writeBlock()
        if !sink.hasRoom {
            counters.sinkFull &+= 1
            return
        }
        sink.send(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(datagram)[0..<size]), to: settings.upstream)
        counters.datagramsSent &+= 1
    }

    /// The current block's message in `datagram`; returns its size. Options: Uri-Path segments,
    /// Content-Format 112, and for a pack larger than one block Block1 (and Size1 on block 0).
    func writeBlock() -> Int {
        do {
            var writer = try CoAPMessageWriter(
                buffer: datagram, type: .confirmable, code: .post, messageID: messageID, token: batch.token)
            try settings.path.writeOptions(&writer)
            try writer.appendOption(.contentFormat, uint: UInt32(CoAPContentFormat.senmlCBOR))
            if batch.isBlockwise {
                let block = CoAPBlock(number: batch.blockNumber, more: !batch.isLastBlock, sizeExponent: batch.blockSizeExponent)
                try writer.appendOption(.block1, uint: block.value)
                if batch.blockNumber == 0 {
                    try writer.appendOption(.size1, uint: UInt32(truncatingIfNeeded: batch.sizeBytes))
                }
            }
            try writer.appendPayload(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(batchBuffer)[batch.blockStart..<batch.blockEnd]))
            return writer.count
        } catch {
            preconditionFailure("the datagram scratch holds a block and its options")
        }
    }

    /// The exchange failed (timeout, RST, refusal): back off and build the batch again from the
    /// cursor. With `probe` (no answer at all: the link may be down) the upstream is pinged during
    /// the backoff and its first answer ends it.
    mutating func fail(nowMs: Int64, probe: Bool = false) {
        consecutiveFailures += 1
        backOff(nowMs: nowMs, delayMs: backoffDelayMs())
        if !probe {
            // The upstream answered (RST, a refusal, an empty ACK): it is reachable.
            probing = false
            probeOutstanding = false
        } else if !probing && settings.probeIntervalMs > 0 {
            // Pinging goes on at its own pace through backoffs and new batches until an answer.
            probing = true
            probeAtMs = nowMs + probeDelayMs()
        }
    }

    /// Waits `delayMs` before the next batch; the batch in flight is dropped and rebuilt later.
    mutating func backOff(nowMs: Int64, delayMs: Int64) {
        phase = .backoff
        deadlineMs = nowMs + delayMs
        // Undelivered alerts are searched again from the last delivered one.
        alertScan = max(cursor, alertMark)
    }

    /// The backoff is over: the next tick (or the caller) builds the next batch. Pinging stays on
    /// (no ping goes while that batch waits for its ACK, NSTART = 1) until an answer comes.
    mutating func endBackoff() {
        phase = .idle
    }

    /// Time to the next ping: `probeIntervalMs` + uniform(0 … `probeJitterMs`).
    mutating func probeDelayMs() -> Int64 {
        settings.probeIntervalMs + random.upTo(settings.probeJitterMs)
    }

    /// Sends a CoAP ping (an empty CON, RFC 7252 §4.3; the answer is RST, or an empty ACK) and
    /// schedules the next; only during a backoff, when no exchange is outstanding. Pings are not
    /// retransmitted: the next one follows within 2 s (the last one is given up then). Their
    /// message IDs come from a range half the ID space away from the exchanges', so neither reuses
    /// the other's within EXCHANGE_LIFETIME.
    mutating func sendProbe<D: DatagramSink>(nowMs: Int64, sink: inout D) {
        probeAtMs = nowMs + probeDelayMs()
        if !sink.hasRoom {
            counters.sinkFull &+= 1
            return
        }
        probeMessageID = settings.initialMessageID &+ 0x8000 &+ UInt16(truncatingIfNeeded: counters.probesSent)
        guard let writer = try? CoAPMessageWriter(buffer: datagram, type: .confirmable, code: .empty, messageID: probeMessageID) else {
            preconditionFailure("the datagram scratch holds an empty message")
        }
        sink.send(writer.message, to: settings.upstream)
        probeOutstanding = true
        counters.probesSent &+= 1
        counters.datagramsSent &+= 1
    }

    /// A ping was answered: the upstream is reachable again. A backoff ends and the next batch
    /// leaves at once. (In another phase — a late answer after the backoff ended and a batch
    /// left — the batch's own answer is on its way; pinging just stops.)
    mutating func probeAnswered<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        counters.probesAnswered &+= 1
        probing = false
        probeOutstanding = false
        if phase == .backoff {
            endBackoff()
            bucket.refill(nowMs: nowMs)
            startNextBatch(nowMs: nowMs, source: &source, sink: &sink)
        }
    }

    /// base × 2^(failures − 1), capped, then "equal jitter": half fixed, half random, so many
    /// nodes cut off by one outage do not come back in step.
    mutating func backoffDelayMs() -> Int64 {
        precondition(consecutiveFailures >= 1)
        var delay = settings.backoffBaseMs
        // At most 40 doublings: beyond that every delay is the cap.
        for _ in 1..<min(consecutiveFailures, 40) {
            delay *= 2
            if delay >= settings.backoffCapMs { break }
        }
        delay = min(delay, settings.backoffCapMs)
        let half = delay / 2
        return delay - half + random.upTo(half)
    }
}
