extension Uplink {
    /// Runs the timers (retransmission, response timeout, end of a backoff) and, when nothing is in
    /// flight, builds and sends the next batch from `source`.
    /// - Complexity: O(maxRecordsPerBatch + scanBudget) source reads and O(batch bytes).
    public mutating func tick<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        bucket.refill(nowMs: nowMs)
        switch phase {
        case .waitingAck:
            if nowMs >= deadlineMs { retransmitOrGiveUp(nowMs: nowMs, sink: &sink) }
        case .waitingResponse:
            if nowMs >= deadlineMs {
                counters.timeouts &+= 1
                fail(nowMs: nowMs)
            }
        case .backoff:
            if nowMs >= deadlineMs { phase = .idle }
        case .idle:
            break
        }
        if phase == .idle { startNextBatch(nowMs: nowMs, source: &source, sink: &sink) }
    }

    /// Builds the next batch (alerts first) and sends its first block; nothing when there is
    /// nothing to send or the rate limit has no token.
    mutating func startNextBatch<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        precondition(phase == .idle, "a batch is already in flight")
        let limit = min(settings.maxRecordsPerBatch, bucket.available)
        if limit < 1 { return }
        var encoder = SenMLEncoder(buffer: batchBuffer, nodeId: settings.nodeId, logID: source.uplinkLogID)
        if let lastAlert = collectAlerts(limit: limit, source: &source, encoder: &encoder) {
            send(&encoder, alertsOnly: true, endSequence: lastAlert, nowMs: nowMs, sink: &sink)
            return
        }
        let end = collectRecords(limit: limit, source: &source, encoder: &encoder)
        if encoder.recordCount > 0 {
            send(&encoder, alertsOnly: false, endSequence: end, nowMs: nowMs, sink: &sink)
        } else if end > cursor {
            // Only records this mode does not forward: the cursor passes them without a message.
            moveCursor(to: end)
        }
    }

    /// Puts the undelivered alerts after the cursor into `encoder`, in order.
    /// - Returns: the last alert's sequence, or nil when the encoder got none.
    mutating func collectAlerts<S: UplinkSource>(limit: Int, source: inout S, encoder: inout SenMLEncoder) -> UInt64? {
        var from = max(alertScan, max(cursor, alertMark))
        var last: UInt64? = nil
        // Each pass reads one alert or ends the search.
        for _ in 0..<(limit + 1) {
            if encoder.recordCount >= limit { break }
            switch source.uplinkRead(after: from, alertsOnly: true, budget: settings.scanBudget, into: &scratch) {
            case .found:
                precondition(scratch.sequence > from, "source returned a record at or before the position")
                let outcome = encoder.append(scratch)
                if outcome == .noRoom { return last }
                if outcome == .skipped {
                    counters.recordsMalformed &+= 1
                } else {
                    last = scratch.sequence
                }
                from = scratch.sequence
            case .none(let through):
                precondition(through >= from, "source reported a position before the request")
                alertScan = through
                return last
            case .failed:
                counters.sourceErrors &+= 1
                return last
            }
        }
        return last
    }

    /// Puts the records after the cursor that the mode forwards into `encoder`, skipping alerts
    /// already delivered, until the batch is full or `scanBudget` records were skipped.
    /// - Returns: the sequence up to which the batch covers the log (the cursor after its ACK).
    mutating func collectRecords<S: UplinkSource>(limit: Int, source: inout S, encoder: inout SenMLEncoder) -> UInt64 {
        var after = cursor
        var skipped = 0
        // Each pass adds or skips one record; both are bounded.
        for _ in 0..<(limit + settings.scanBudget) {
            if encoder.recordCount >= limit || skipped >= settings.scanBudget { break }
            switch source.uplinkRead(after: after, alertsOnly: false, budget: 1, into: &scratch) {
            case .found:
                precondition(scratch.sequence > after, "source returned a record at or before the position")
                if after == cursor { oldestPendingMs = scratch.timestampMs }
                let type = scratch.type
                let deliveredAhead = type.isAlert && scratch.sequence <= alertMark
                if deliveredAhead || !settings.mode.forwards(type) {
                    if !deliveredAhead { counters.recordsFiltered &+= 1 }
                    skipped += 1
                    after = scratch.sequence
                    continue
                }
                switch encoder.append(scratch) {
                case .appended: after = scratch.sequence
                case .noRoom: return after
                case .skipped:
                    counters.recordsMalformed &+= 1
                    skipped += 1
                    after = scratch.sequence
                }
            case .none:
                return after
            case .failed:
                counters.sourceErrors &+= 1
                return after
            }
        }
        return after
    }

    /// Moves the forward cursor (records up to `sequence` are delivered or not to be sent).
    mutating func moveCursor(to sequence: UInt64) {
        precondition(sequence >= cursor, "the forward cursor never moves back")
        if sequence == cursor { return }
        cursor = sequence
        cursorChanged = true
        oldestPendingMs = nil
        if alertMark < cursor { alertMark = cursor }
    }
}
