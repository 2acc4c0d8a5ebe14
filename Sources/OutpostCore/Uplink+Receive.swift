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
        // A refusal of a well-formed batch: keep the data, count it, retry after a backoff.
        counters.refused &+= 1
        fail(nowMs: nowMs)
    }

    /// The last block was acknowledged: the batch is delivered.
    mutating func complete<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        counters.batchesAcknowledged &+= 1
        counters.recordsForwarded &+= UInt64(truncatingIfNeeded: batch.recordCount.wide)
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
