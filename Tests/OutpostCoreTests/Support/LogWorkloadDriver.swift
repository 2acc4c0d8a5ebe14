import OutpostCore

/// Runs a scripted, seeded workload against a store and remembers what it appended and committed:
/// readings, alerts, summaries and markers, commits every few records, cursor moves.
struct LogWorkloadDriver {
    var workload: LogWorkload
    /// Appended records by sequence.
    var appended: [UInt64: AppendedRecord] = [:]
    var refusedFull = 0
    var clock: Int64 = 1_700_000_000_000

    init(seed: UInt64) { workload = LogWorkload(seed: seed) }

    /// One step: append one record (or move the cursor), commit now and then.
    mutating func step(_ store: inout LogStore<PowerCutDevice>, disk: SimDisk, cursorLag: UInt64 = 40) throws(LogAppendError) {
        clock += 1000
        let choice = workload.next() % 100
        var payload = [UInt8](repeating: 0, count: LogFormat.maxPayloadBytes)
        do {
            if choice < 70 {
                let name = workload.name()
                let reading = workload.reading(at: clock)
                let count = payload.withUnsafeMutableBytes { LogReadingPayload(name: name, reading: reading).encode(into: $0) }
                let sequence = try store.append(reading: reading, name: name)
                appended[sequence] = AppendedRecord(sequence: sequence, type: .reading, timestampMs: clock, payload: Array(payload[0..<count]))
            } else if choice < 85 {
                let name = workload.name()
                let alert = workload.alert(at: clock)
                let encoded = LogAlertPayload(name: name, alert: alert)
                let count = payload.withUnsafeMutableBytes { encoded.encode(into: $0) }
                let sequence = try store.append(alert: alert, name: name)
                appended[sequence] = AppendedRecord(sequence: sequence, type: encoded.recordType, timestampMs: clock, payload: Array(payload[0..<count]))
            } else if choice < 92 {
                let name = workload.name()
                let summary = workload.summary()
                let count = payload.withUnsafeMutableBytes { LogSummaryPayload(name: name, summary: summary).encode(into: $0) }
                let sequence = try store.append(summary: summary, name: name, timestampMs: clock)
                appended[sequence] = AppendedRecord(sequence: sequence, type: .windowSummary, timestampMs: clock, payload: Array(payload[0..<count]))
            } else if choice < 94 {
                let marker = LogMarkerPayload(code: LogMarkerPayload.started, value: workload.next())
                let count = payload.withUnsafeMutableBytes { marker.encode(into: $0) }
                let sequence = try store.append(marker: marker, timestampMs: clock)
                appended[sequence] = AppendedRecord(sequence: sequence, type: .marker, timestampMs: clock, payload: Array(payload[0..<count]))
            } else {
                let durable = store.durableSequence
                if durable > cursorLag {
                    store.setCursor(max(store.cursor, durable - cursorLag))
                    disk.forwarded = store.cursor
                }
            }
        } catch {
            if error != .full { throw error }
            refusedFull += 1
        }
        if workload.next() % 5 == 0 {
            disk.committed = try store.commit()
        }
    }

    /// Checks `records` (recovered from a disk) against what was appended: every record is one that
    /// was appended (or an alert copy / drop marker the store made), sequences strictly increase,
    /// and nothing committed and not forwarded is missing (readings may be dropped with
    /// drop-oldest, alerts never). Returns a failure description or nil.
    func check(_ records: [LogRecord], committed: UInt64, forwarded: UInt64, policy: LogFullPolicy, contiguous: Bool = true) -> String? {
        var previous: UInt64 = 0
        var present = Set<UInt64>()
        var copies: [(Int64, [UInt8])] = []
        for record in records {
            if record.sequence <= previous { return "sequence \(record.sequence) after \(previous)" }
            // Drops and erases remove whole oldest segments: what is left has no holes, except
            // among records that were not committed (a cut may keep a later unsynced write and
            // lose an earlier one; recovery keeps what checks out after the hole).
            if contiguous && previous > 0 && record.sequence != previous + 1 && previous < committed {
                return "hole between \(previous) and \(record.sequence)"
            }
            previous = record.sequence
            let bytes = record.payloadBytes
            if let original = appended[record.sequence], !record.isCopied {
                if original.type != record.type || original.timestampMs != record.timestampMs || original.payload != bytes {
                    return "record \(record.sequence) differs from what was appended"
                }
                present.insert(record.sequence)
            } else if record.isCopied {
                if !record.type.isAlert { return "copied record \(record.sequence) is not an alert" }
                copies.append((record.timestampMs, bytes))
            } else if record.type == .marker, let marker = record.marker,
                marker.code == LogMarkerPayload.readingsDropped || marker.code == LogMarkerPayload.alertsDropped {
                continue
            } else {
                return "record \(record.sequence) was never appended"
            }
        }
        for sequence in appended.keys.sorted() where sequence > forwarded && sequence <= committed {
            if present.contains(sequence) { continue }
            let original = appended[sequence]!
            if policy == .rejectNew { return "committed record \(sequence) lost" }
            if original.type.isAlert {
                if !copies.contains(where: { $0.0 == original.timestampMs && $0.1 == original.payload }) {
                    return "committed alert \(sequence) lost"
                }
            }
        }
        if policy == .rejectNew || previous > 0 {
            // With drop-oldest the oldest readings may go; what remains must reach the committed end.
            if committed > 0 && previous < committed && !(policy == .dropOldest && records.isEmpty) {
                return "recovered up to \(previous), committed \(committed)"
            }
        }
        return nil
    }
}
