// `--mqtt-batch N` (docs/MQTT.md §3): runs of up to N records of one topic, in log order, each
// published as one SenML pack (influx: N lines) in one QoS 1 PUBLISH that holds one window slot.
// The cursor moves past a run only at its PUBACK (`advanceCursor` keeps every record from the
// run's first unacknowledged); after a reconnect the run is read again from the log, the same
// records, and re-sent with DUP and its packet id. Every record of the pack carries its log
// sequence (`seq`) and the pack the node (`bn`) and log id (`lid`), so a consumer drops repeats
// of (node, log id, sequence) record by record.

extension MQTTClient {
    /// Publishes runs, and alerts on their own (alerts ahead first, as in one-record mode), while
    /// the window, the rate limit and the output queue allow.
    mutating func publishRuns<S: UplinkSource>(source: inout S) {
        // Each pass publishes a run or an alert, or skips records, or stops.
        for _ in 0..<(settings.window + settings.scanBudget) {
            guard let slot = freeSlot(), bucket.available >= 1 else { return }
            if output.count - (outEnd - outStart) < MQTTSettings.packetBytesMax { return }
            if publishAlertAhead(slot: slot, source: &source) { continue }
            let limit = min(settings.batchRecords, bucket.available)
            let run = encodeRun(after: position, through: UInt64.max, type: nil, limit: limit, source: &source)
            counters.recordsFiltered &+= run.filtered
            counters.recordsMalformed &+= run.malformed
            if run.sourceFailed { counters.sourceErrors &+= 1 }
            if run.count > 0 {
                if position == cursor && oldestPendingMs == nil { oldestPendingMs = run.firstTimestampMs }
                if !queueRun(run, slot: slot, dup: false, packetID: takePacketID()) { return }
                counters.published &+= 1
                counters.recordsPublished &+= UInt64(bitPattern: run.count.wide)
                bucket.take(run.count)
            }
            if run.end > position {
                position = run.end
                advanceCursor()
            }
            if run.alertNext {
                // `scratch` holds the alert that ended the run (or started none).
                if position == cursor && oldestPendingMs == nil { oldestPendingMs = scratch.timestampMs }
                if run.count > 0 { continue }
                guard let alertSlot = freeSlot(), bucket.available >= 1 else { return }
                if !publish(scratch, slot: alertSlot, dup: false, ahead: false, packetID: takePacketID()) { return }
                position = scratch.sequence
                advanceCursor()
                continue
            }
            if run.count == 0 || run.sourceFailed { return }
        }
    }

    /// Reads and encodes a run after `after`: records of one topic level (that of `type`, or of
    /// the first forwarded record), at most `limit`, none after `through`. With `type` (a re-send)
    /// records of other levels or that the mode no longer sends are passed over, never ending the
    /// run; without it (a first send) a record of another level or an alert ends the run and is
    /// left for the next. The body is in `payload` (or `pack` for SenML-CBOR). A body that does
    /// not fit the payload scratch is encoded again with half the records.
    /// - Complexity: O(limit + scanBudget) reads, at most seven times (the halvings).
    mutating func encodeRun<S: UplinkSource>(
        after: UInt64, through: UInt64, type: LogRecordType?, limit: Int, source: inout S
    ) -> MQTTBatch {
        var take = limit
        // Halving from at most 64 records: 7 attempts.
        for _ in 0..<8 {
            var run = readRun(after: after, through: through, type: type, limit: take, source: &source)
            if run.count == 0 { return run }
            if let body = convertPack(run.body) {
                run.body = body
                return run
            }
            if run.count == 1 {
                // One record that does not fit: counted and passed over, as in one-record mode.
                var skipped = MQTTBatch()
                skipped.end = run.first
                skipped.malformed = run.malformed + 1
                skipped.filtered = run.filtered
                return skipped
            }
            take = run.count / 2
        }
        preconditionFailure("halving reaches one record")
    }

    /// `encodeRun`'s reading pass: the SenML-CBOR pack of the run in `pack` (`run.body`).
    mutating func readRun<S: UplinkSource>(
        after: UInt64, through: UInt64, type: LogRecordType?, limit: Int, source: inout S
    ) -> MQTTBatch {
        var run = MQTTBatch()
        run.end = after
        var encoder = SenMLEncoder(buffer: pack, nodeId: settings.nodeId, logID: currentLogID)
        var level: StaticString? = nil
        if let type { level = MQTTClient.topicLevel(type); run.type = type }
        // Each pass reads one record: at most `limit` taken plus `scanBudget` passed over.
        reading: for _ in 0..<(limit + settings.scanBudget) {
            if run.count >= limit || encoder.countBytes >= MQTTSettings.batchPackBytesSoft { break }
            switch source.uplinkRead(after: run.end, alertsOnly: false, budget: 1, into: &scratch) {
            case .found:
                precondition(scratch.sequence > run.end, "source returned a record at or before the position")
                let sequence = scratch.sequence
                if sequence > through { break reading }
                let recordType = scratch.type
                let deliveredAhead = recordType.isAlert && sequence <= alertMark
                if type != nil {
                    // A re-send: exactly the records of the run's level it first held.
                    if recordType.isAlert || !settings.mode.forwards(recordType) || !MQTTClient.sameLevel(recordType, run.type) {
                        run.end = sequence
                        continue
                    }
                } else {
                    if deliveredAhead || !settings.mode.forwards(recordType) {
                        if !deliveredAhead { run.filtered &+= 1 }
                        run.end = sequence
                        continue
                    }
                    if recordType.isAlert {
                        run.alertNext = run.count == 0
                        if run.count == 0 { run.end = sequence &- 1 }
                        return finishRun(&run, &encoder)
                    }
                    if level == nil {
                        level = MQTTClient.topicLevel(recordType)
                        run.type = recordType
                    } else if !MQTTClient.sameLevel(recordType, run.type) {
                        return finishRun(&run, &encoder)
                    }
                }
                switch encoder.append(scratch) {
                case .appended:
                    if run.count == 0 {
                        run.first = sequence
                        run.firstTimestampMs = scratch.timestampMs
                    }
                    run.count += 1
                    run.last = sequence
                    run.end = sequence
                case .noRoom:
                    // The pack is full: this record starts the next run.
                    return finishRun(&run, &encoder)
                case .skipped:
                    if type == nil { run.malformed &+= 1 }
                    run.end = sequence
                }
            case .none(let gone):
                // Records that are gone (a drop, damage): nothing to send for them.
                if gone > run.end { run.end = min(gone, through) }
                return finishRun(&run, &encoder)
            case .failed:
                run.sourceFailed = true
                return finishRun(&run, &encoder)
            }
            if run.end >= through { break }
        }
        return finishRun(&run, &encoder)
    }

    /// Closes the run's pack and points `run.body` at it.
    func finishRun(_ run: inout MQTTBatch, _ encoder: inout SenMLEncoder) -> MQTTBatch {
        run.body = encoder.finish()
        return run
    }

    /// True when records of both types publish under the same topic level.
    static func sameLevel(_ a: LogRecordType, _ b: LogRecordType) -> Bool {
        let x = topicLevel(a), y = topicLevel(b)
        if x.utf8CodeUnitCount != y.utf8CodeUnitCount { return false }
        for i in 0..<x.utf8CodeUnitCount where x.utf8Start[i] != y.utf8Start[i] { return false }
        return true
    }

    /// The pack `cbor` in the chosen format (`payload` scratch), nil when it does not fit.
    mutating func convertPack(_ cbor: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        switch settings.format {
        case .senmlCBOR:
            return cbor
        case .senmlJSON:
            do {
                let count = try MQTTPayloadWriter.json(cbor, into: payload)
                return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(payload)[0..<count])
            } catch {
                return nil
            }
        case .influx:
            do {
                let count = try MQTTPayloadWriter.influx(cbor, node: settings.nodeId, logID: currentLogID, into: payload)
                return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(payload)[0..<count])
            } catch {
                return nil
            }
        }
    }

    /// Queues the run's QoS 1 PUBLISH in window slot `slot`. False when the output queue has no
    /// room (nothing changed).
    mutating func queueRun(_ run: MQTTBatch, slot: Int, dup: Bool, packetID: UInt16) -> Bool {
        let topicBytes = writeTopic(MQTTClient.topicLevel(run.type), nil)
        let body = run.body
        let ok = queue { buffer throws(MQTTError) in
            try MQTTWriter.publish(topic: topicBytes, payload: body, qos: 1, dup: dup, retain: false, packetID: packetID, into: buffer)
        }
        if !ok { return false }
        window[slot] = MQTTInFlight(
            sequence: run.first, last: run.last, count: UInt8(truncatingIfNeeded: run.count), type: run.type, packetID: packetID,
            used: true, ahead: false, resend: false)
        return true
    }

    /// Sends the run in window slot `slot` again, with DUP and its packet id: the same records,
    /// read again from the log.
    mutating func resendRun<S: UplinkSource>(slot: Int, source: inout S) -> MQTTRunResend {
        let entry = window[slot]
        var run = encodeRun(
            after: entry.sequence &- 1, through: entry.last, type: entry.type, limit: Int(entry.count), source: &source)
        if run.count == 0 {
            if run.sourceFailed {
                // A read error is not a gone record: keep the slot and try again later.
                counters.sourceErrors &+= 1
                return .noRoom
            }
            window[slot].used = false
            return .gone
        }
        // The first record may be gone while later ones remain: the slot keeps the run's range.
        run.first = entry.sequence
        run.last = entry.last
        run.count = Int(entry.count)
        if !queueRun(run, slot: slot, dup: true, packetID: entry.packetID) { return .noRoom }
        return .sent
    }
}
