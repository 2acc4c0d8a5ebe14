extension Uplink {
    /// Runs the timers (retransmission, response timeout, end of a backoff) and, when nothing is in
    /// flight, builds and sends the next batch from `source`.
    /// - Complexity: O(maxRecordsPerBatch + scanBudget) source reads and O(batch bytes).
    public mutating func tick<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        bucket.refill(nowMs: nowMs)
        refreshOldestPending(source: &source)
        switch phase {
        case .waitingAck:
            if nowMs >= deadlineMs { retransmitOrGiveUp(nowMs: nowMs, sink: &sink) }
        case .waitingResponse:
            if nowMs >= deadlineMs {
                counters.timeouts &+= 1
                fail(nowMs: nowMs)
            }
        case .backoff:
            if nowMs >= deadlineMs {
                endBackoff()
            } else if probing && nowMs >= probeAtMs {
                sendProbe(nowMs: nowMs, sink: &sink)
            }
        case .settingAside:
            finishSetAside(source: &source)
        case .idle:
            break
        }
        if phase == .idle { startNextBatch(nowMs: nowMs, source: &source, sink: &sink) }
    }

    /// Reads the time of the first record after the cursor when it is not known yet, so the
    /// forward lag is right whichever path (alerts first, records, or none during an outage) ran.
    /// - Complexity: one source read, only while the time is unknown and records wait.
    mutating func refreshOldestPending<S: UplinkSource>(source: inout S) {
        if oldestPendingMs != nil || source.uplinkLastSequence <= cursor { return }
        if source.uplinkRead(after: cursor, alertsOnly: false, budget: 1, into: &scratch) == .found {
            oldestPendingMs = scratch.timestampMs
        }
    }

    /// Passes the record being set aside once its marker is durable (the source offers it).
    mutating func finishSetAside<S: UplinkSource>(source: inout S) {
        guard let aside = setAside, let marker = aside.markerSequence, source.uplinkLastSequence >= marker else { return }
        counters.recordsRejected &+= 1
        rejectedInARow += 1
        if aside.alertsOnly {
            if aside.sequence > alertMark { alertMark = aside.sequence }
        } else if aside.batchEnd > cursor {
            moveCursor(to: aside.batchEnd)
        }
        setAside = nil
        phase = .idle
        // The search found its record: full batches again (another refused record in the rest
        // starts a new search).
        narrowing = nil
    }

    /// Ends the search for a refused record once the mark of its kind passed the refused batch.
    mutating func endNarrowingIfPassed() {
        guard let current = narrowing else { return }
        let mark = current.alertsOnly ? max(alertMark, cursor) : cursor
        if mark >= current.endSequence { narrowing = nil }
    }

    /// Builds the next batch (alerts first) and sends its first block; nothing when there is
    /// nothing to send or the rate limit has no token.
    mutating func startNextBatch<S: UplinkSource, D: DatagramSink>(nowMs: Int64, source: inout S, sink: inout D) {
        precondition(phase == .idle, "a batch is already in flight")
        let limit = min(settings.maxRecordsPerBatch, bucket.available)
        if limit < 1 { return }
        endNarrowingIfPassed()
        var encoder = SenMLEncoder(buffer: batchBuffer, nodeId: settings.nodeId, logID: source.uplinkLogID)
        var alertLimit = limit
        var recordLimit = limit
        if let narrowing {
            if narrowing.alertsOnly { alertLimit = min(limit, narrowing.limit) } else { recordLimit = min(limit, narrowing.limit) }
        }
        if let lastAlert = collectAlerts(limit: alertLimit, source: &source, encoder: &encoder) {
            send(&encoder, alertsOnly: true, endSequence: lastAlert, lastRecord: lastAlert, nowMs: nowMs, sink: &sink)
            return
        }
        var lastRecord: UInt64 = 0
        let end = collectRecords(limit: recordLimit, source: &source, encoder: &encoder, lastRecord: &lastRecord)
        if encoder.recordCount > 0 {
            send(&encoder, alertsOnly: false, endSequence: end, lastRecord: lastRecord, nowMs: nowMs, sink: &sink)
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
    /// `lastRecord` becomes the sequence of the last record encoded.
    mutating func collectRecords<S: UplinkSource>(limit: Int, source: inout S, encoder: inout SenMLEncoder, lastRecord: inout UInt64) -> UInt64 {
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
                case .appended:
                    after = scratch.sequence
                    lastRecord = scratch.sequence
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
