extension MQTTClient {
    /// Reads the time of the first record after the cursor when it is not known yet (forward lag).
    mutating func refreshOldestPending<S: UplinkSource>(source: inout S) {
        if oldestPendingMs != nil || source.uplinkLastSequence <= cursor { return }
        if source.uplinkRead(after: cursor, alertsOnly: false, budget: 1, into: &scratch) == .found {
            oldestPendingMs = scratch.timestampMs
        }
    }

    /// Re-sends the window's publishes from an ended connection (DUP), then publishes alerts
    /// ahead and records in order while the window, the rate limit and the output queue allow.
    mutating func publishRecords<S: UplinkSource>(nowMs: Int64, source: inout S) {
        resendWindow(source: &source)
        if settings.batchRecords > 1 {
            publishRuns(source: &source)
            return
        }
        // Each pass publishes or skips one record, or stops; bounded by window + scan budget.
        for _ in 0..<(settings.window + settings.scanBudget) {
            guard let slot = freeSlot(), bucket.available >= 1 else { return }
            if output.count - (outEnd - outStart) < MQTTSettings.packetBytesMax { return }
            if publishAlertAhead(slot: slot, source: &source) { continue }
            switch source.uplinkRead(after: position, alertsOnly: false, budget: 1, into: &scratch) {
            case .found:
                precondition(scratch.sequence > position, "source returned a record at or before the position")
                if position == cursor && oldestPendingMs == nil { oldestPendingMs = scratch.timestampMs }
                let type = scratch.type
                let deliveredAhead = type.isAlert && scratch.sequence <= alertMark
                if deliveredAhead || !settings.mode.forwards(type) {
                    if !deliveredAhead { counters.recordsFiltered &+= 1 }
                    position = scratch.sequence
                    advanceCursor()
                    continue
                }
                if !publish(scratch, slot: slot, dup: false, ahead: false, packetID: takePacketID()) {
                    return
                }
                position = scratch.sequence
                advanceCursor()
            case .none(let through):
                if through > position {
                    // Records that are gone (a drop, damage): nothing to send for them.
                    position = through
                    advanceCursor()
                }
                return
            case .failed:
                counters.sourceErrors &+= 1
                return
            }
        }
    }

    /// Publishes the next undelivered alert beyond the reader in order, if there is one.
    mutating func publishAlertAhead<S: UplinkSource>(slot: Int, source: inout S) -> Bool {
        let from = max(alertScan, max(position, alertMark))
        if from >= source.uplinkLastSequence { return false }
        switch source.uplinkRead(after: from, alertsOnly: true, budget: settings.scanBudget, into: &scratch) {
        case .found:
            alertScan = scratch.sequence
            if !publish(scratch, slot: slot, dup: false, ahead: true, packetID: takePacketID()) { return false }
            alertMark = scratch.sequence
            return true
        case .none(let through):
            alertScan = through
            return false
        case .failed:
            counters.sourceErrors &+= 1
            return false
        }
    }

    /// Sends again, with DUP and their packet ids, the publishes an ended connection left
    /// unacknowledged, in log order, as far as the output queue allows.
    mutating func resendWindow<S: UplinkSource>(source: inout S) {
        // One pass per slot at most.
        for _ in 0..<settings.window {
            var best = -1
            for i in 0..<settings.window where window[i].used && window[i].resend {
                if best < 0 || window[i].sequence < window[best].sequence { best = i }
            }
            if best < 0 { return }
            if output.count - (outEnd - outStart) < MQTTSettings.packetBytesMax { return }
            let sequence = window[best].sequence
            if window[best].count > 1 {
                switch resendRun(slot: best, source: &source) {
                case .sent: counters.resent &+= 1
                case .gone: advanceCursor()
                case .noRoom: return
                }
                continue
            }
            if source.uplinkRead(after: sequence &- 1, alertsOnly: false, budget: 1, into: &scratch) != .found
                || scratch.sequence != sequence
            {
                // The record is gone (dropped while unacknowledged): nothing to re-send.
                window[best].used = false
                advanceCursor()
                continue
            }
            if !publish(scratch, slot: best, dup: true, ahead: window[best].ahead, packetID: window[best].packetID) { return }
            counters.resent &+= 1
        }
    }

    /// Encodes `record` in the chosen format and queues its QoS 1 PUBLISH in window slot `slot`.
    /// Returns false when the output queue has no room (nothing changed). A record whose payload
    /// does not encode is counted and its slot freed.
    mutating func publish(_ record: LogRecord, slot: Int, dup: Bool, ahead: Bool, packetID: UInt16) -> Bool {
        guard let body = encodePayload(record) else {
            counters.recordsMalformed &+= 1
            window[slot].used = false
            return true
        }
        let topicBytes = writeTopic(MQTTClient.topicLevel(record.type), nil)
        let ok = queue { buffer throws(MQTTError) in
            try MQTTWriter.publish(topic: topicBytes, payload: body, qos: 1, dup: dup, retain: false, packetID: packetID, into: buffer)
        }
        if !ok { return false }
        window[slot] = MQTTInFlight(
            sequence: record.sequence, last: record.sequence, count: 1, type: record.type, packetID: packetID, used: true, ahead: ahead,
            resend: false)
        if !dup {
            counters.published &+= 1
            counters.recordsPublished &+= 1
            bucket.take(1)
        }
        return true
    }

    /// The record's message body in `payload` (or `pack` for SenML-CBOR), nil when it does not encode.
    mutating func encodePayload(_ record: LogRecord) -> UnsafeRawBufferPointer? {
        // The pack carries the log id so a consumer keys on (node, log id, sequence).
        var encoder = SenMLEncoder(buffer: pack, nodeId: settings.nodeId, logID: currentLogID)
        if encoder.append(record) != .appended { return nil }
        return convertPack(encoder.finish())
    }

    /// The topic level of a record type (docs/MQTT.md §2).
    static func topicLevel(_ type: LogRecordType) -> StaticString {
        switch type {
        case .reading, .quantityValue: return "readings"
        case .alert, .alertCleared: return "alerts"
        case .windowSummary: return "summaries"
        case .marker: return "log"
        case .imageChunk: return "images"
        // Never forwarded (`UplinkForwardMode.forwards`); named for completeness.
        case .command, .commandDelivered, .commandExpired: return "commands"
        }
    }

    func freeSlot() -> Int? {
        for i in 0..<settings.window where !window[i].used { return i }
        return nil
    }

    /// The next record packet id (1…32 767) not in the window.
    mutating func takePacketID() -> UInt16 {
        // At most window + 1 tries: the window holds at most 32 ids.
        for _ in 0..<(MQTTSettings.windowMax + 2) {
            let id = nextPacketID
            nextPacketID = nextPacketID >= 0x7FFF ? 1 : nextPacketID &+ 1
            var taken = false
            for i in 0..<settings.window where window[i].used && window[i].packetID == id { taken = true }
            if !taken { return id }
        }
        preconditionFailure("a free packet id exists")
    }

    /// The retained health message (`<prefix>/<node>/health`, docs/MQTT.md §4), QoS 1, at
    /// connect and every `healthIntervalMs`.
    mutating func publishHealthIfDue<S: UplinkSource>(nowMs: Int64, source: inout S) {
        if nowMs < healthDueMs { return }
        let last = source.uplinkLastSequence
        let h = health(nowMs: nowMs, lastSequence: last)
        var out = TextWriter(buffer: payload)
        out.text("{\"node\":\"")
        out.name(settings.nodeId)
        out.text("\",\"state\":\"online\",\"time_ms\":")
        out.integer(nowMs)
        out.text(",\"lid\":")
        out.unsigned(currentLogID)
        out.text(",\"cursor\":")
        out.unsigned(cursor)
        out.text(",\"last_sequence\":")
        out.unsigned(last)
        out.text(",\"backlog\":")
        out.unsigned(h.backlogRecords)
        out.text(",\"forward_lag_ms\":")
        out.integer(h.forwardLagMs)
        out.text(",\"in_flight\":")
        out.integer(inFlightCount.wide)
        out.text(",\"published\":")
        out.unsigned(counters.published)
        out.text(",\"acked\":")
        out.unsigned(counters.acked)
        out.text(",\"connects\":")
        out.unsigned(counters.connects)
        out.text(",\"format\":\"")
        out.text(settings.format.name)
        out.text("\",\"forward\":\"")
        out.text(settings.mode.name)
        out.text("\"")
        if healthDetailCount > 0 {
            out.byte(0x2C)
            out.raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(healthDetail)[0..<healthDetailCount]))
        }
        out.text("}")
        let body = out.bytes
        let topicBytes = writeTopic("health", nil)
        let id = takeControlID()
        let ok = queue { buffer throws(MQTTError) in
            try MQTTWriter.publish(topic: topicBytes, payload: body, qos: 1, dup: false, retain: true, packetID: id, into: buffer)
        }
        if ok { healthDueMs = nowMs + settings.healthIntervalMs }
    }
}
