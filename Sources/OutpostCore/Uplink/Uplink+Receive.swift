extension Uplink {
    /// Handles one datagram from the upstream socket: the ACK, RST or separate response of the
    /// exchange in flight. Anything else is counted as stray (a CON is answered with RST). When a
    /// batch completes, the next one is built and sent at once from `source`.
    /// - Complexity: O(datagram size), plus a batch build when one completes.
    public mutating func receive<S: UplinkSource, D: DatagramSink>(
        _ bytes: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64, source: inout S, sink: inout D
    ) {
        guard peer == settings.upstream, let message = try? CoAPMessage(parsing: bytes) else {
            counters.strayDatagrams &+= 1
            return
        }
        switch message.type {
        case .acknowledgement, .reset:
            if probing && probeOutstanding && message.messageID == probeMessageID && message.code == .empty {
                probeAnswered(nowMs: nowMs, source: &source, sink: &sink)
                return
            }
            guard phase == .waitingAck, message.messageID == messageID else {
                counters.strayDatagrams &+= 1  // a late or duplicate answer
                return
            }
            if message.type == .reset {
                counters.resets &+= 1
                fail(nowMs: nowMs)
                return
            }
            if message.code == .empty {
                // RFC 7252 §5.2.2: the response follows separately, as its own CON or NON.
                probing = false
                probeOutstanding = false
                phase = .waitingResponse
                deadlineMs = nowMs + settings.responseTimeoutMs
                return
            }
            guard message.token == batch.token else {
                counters.strayDatagrams &+= 1
                return
            }
            handleResponse(message, nowMs: nowMs, source: &source, sink: &sink)
        case .confirmable, .nonConfirmable:
            let expected = (phase == .waitingAck || phase == .waitingResponse) && message.code.isResponse && message.token == batch.token
            if message.type == .confirmable { answerEmpty(expected ? .acknowledgement : .reset, messageID: message.messageID, sink: &sink) }
            guard expected else {
                counters.strayDatagrams &+= 1
                return
            }
            handleResponse(message, nowMs: nowMs, source: &source, sink: &sink)
        }
    }

    /// Acts on the response to the current block.
    mutating func handleResponse<S: UplinkSource, D: DatagramSink>(
        _ message: CoAPMessage, nowMs: Int64, source: inout S, sink: inout D
    ) {
        let code = message.code
        let block = try? message.block1()
        // Any response: the upstream is reachable, pings are not needed.
        probing = false
        probeOutstanding = false
        if code.codeClass == 2 {
            consecutiveFailures = 0
            if !batch.isLastBlock {
                // 2.31 Continue (or a 2.xx of a server acting on each block): send the next block,
                // smaller if the server asked for a smaller size (RFC 7959 §2.5).
                var exponent = batch.blockSizeExponent
                if let block, block.sizeExponent < exponent { exponent = block.sizeExponent }
                let nextStart = batch.blockEnd
                batch.blockSizeExponent = exponent
                batch.blockNumber = UInt32(truncatingIfNeeded: nextStart / batch.blockBytes)
                startExchange(nowMs: nowMs, sink: &sink)
                return
            }
            if code == .continue {
                // Continue on the last block: the server expects more than the pack holds.
                counters.refused &+= 1
                fail(nowMs: nowMs)
                return
            }
            complete(nowMs: nowMs, source: &source, sink: &sink)
            return
        }
        if code == .serviceUnavailable {
            // Max-Age is the upstream's own timing: no pings meanwhile (cleared above).
            counters.serviceUnavailable &+= 1
            // Max-Age defaults to 60 s (RFC 7252 §5.10.5).
            let maxAgeS = message.uint(.maxAge, maxBytes: 4) ?? 60
            backOff(nowMs: nowMs, delayMs: maxAgeS.wide * 1_000)
            return
        }
        if code == .requestEntityTooLarge, batch.blockNumber == 0, let block, block.sizeExponent < batch.blockSizeExponent {
            // The server takes smaller blocks (RFC 7959 §2.9.3): start over at its size.
            batch.blockSizeExponent = block.sizeExponent
            batch.blockNumber = 0
            startExchange(nowMs: nowMs, sink: &sink)
            return
        }
        counters.refused &+= 1
        if Uplink.isRecordRefusal(code) && rejectedInARow < settings.maxRejectionsInARow {
            // Retrying the same batch cannot help: find the refused record and set it aside.
            counters.rejectedAnswers &+= 1
            narrowOrSetAside(nowMs: nowMs, source: &source, sink: &sink)
            return
        }
        // A refusal that is not about the records (or an upstream that refuses everything):
        // keep the data, count it, retry after a backoff.
        fail(nowMs: nowMs)
    }

    /// True for a refusal that is about the records in the pack, so that sending them again cannot
    /// succeed but sending the others may (docs/UPLINK_FORMAT.md §1): 4.00 Bad Request (the
    /// payload), 4.13 Request Entity Too Large when no smaller block was offered (the batch, so
    /// smaller batches help), 4.22 Unprocessable Entity (RFC 9175: the content). Codes about the
    /// request as a whole (4.01, 4.03, 4.04, 4.05, 4.15: the path, the rights, the format) would
    /// refuse every batch alike; they stay retryable so a configuration fix loses nothing.
    static func isRecordRefusal(_ code: CoAPCode) -> Bool {
        code == .badRequest || code == .requestEntityTooLarge || code.rawValue == 0x96
    }

    /// The batch was refused for good: send it again in halves (`UplinkNarrowing`), or, when it
    /// held one log record, set that record aside (`UplinkSetAside`).
    mutating func narrowOrSetAside<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        // Undelivered alerts are searched again from the last delivered one.
        alertScan = max(cursor, alertMark)
        if batch.recordCount <= 1 {
            setAside = UplinkSetAside(
                sequence: batch.lastRecordSequence, alertsOnly: batch.alertsOnly, batchEnd: batch.endSequence, markerSequence: nil)
            phase = .settingAside
            return
        }
        var end = batch.lastRecordSequence
        if let current = narrowing, current.alertsOnly == batch.alertsOnly, current.endSequence > end { end = current.endSequence }
        narrowing = UplinkNarrowing(alertsOnly: batch.alertsOnly, limit: max(1, batch.recordCount / 2), endSequence: end)
        phase = .idle
        startNextBatch(nowMs: nowMs, source: &source, sink: &sink)
    }

    /// The last block was acknowledged: the batch is delivered.
    mutating func complete<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        counters.batchesAcknowledged &+= 1
        counters.recordsForwarded &+= UInt64(truncatingIfNeeded: batch.recordCount.wide)
        rejectedInARow = 0
        if batch.alertsOnly {
            if batch.endSequence > alertMark { alertMark = batch.endSequence }
        } else {
            moveCursor(to: batch.endSequence)
        }
        phase = .idle
        bucket.refill(nowMs: nowMs)
        startNextBatch(nowMs: nowMs, source: &source, sink: &sink)
    }

    /// Sends an empty ACK or RST for message `messageID` of the upstream.
    mutating func answerEmpty<D: DatagramSink>(_ type: CoAPType, messageID: UInt16, sink: inout D) {
        if !sink.hasRoom {
            counters.sinkFull &+= 1
            return
        }
        guard let writer = try? CoAPMessageWriter(buffer: datagram, type: type, code: .empty, messageID: messageID) else {
            preconditionFailure("the datagram scratch holds an empty message")
        }
        sink.send(writer.message, to: settings.upstream)
        counters.datagramsSent &+= 1
    }
}
