import OutpostCore
import XCTest

/// `LogSyncMode.never` (the daemon's `--durability none`): not one device sync after the file is
/// created — rolls, drops, commits, tail repair — and recovery stays correct without them: after a crash that keeps
/// the page cache it returns everything written; after a power cut that loses or tears any unsynced
/// writes it returns only records that were appended, byte for byte, in order.
final class LogSyncModeTests: XCTestCase {
    func open(_ disk: SimDisk, _ buffer: LogArenaBuffer, policy: LogFullPolicy, mode: LogSyncMode, readOnly: Bool = false) throws -> LogStore<PowerCutDevice> {
        var arena = buffer.arena()
        return try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: smallGeometry, pageBytes: 512, policy: policy,
            formatIfBlank: true, readOnly: readOnly, syncMode: mode)
    }

    /// Appends `count` workload records (readings, some alerts), writing every 7th step; returns
    /// what was appended by sequence.
    func appendWorkload(_ store: inout LogStore<PowerCutDevice>, count: Int, seed: UInt64) throws -> [UInt64: AppendedRecord] {
        var workload = LogWorkload(seed: seed)
        var appended: [UInt64: AppendedRecord] = [:]
        for i in 0..<count {
            let name = workload.name()
            let sequence: UInt64
            let type: LogRecordType
            if i % 11 == 5 {
                let alert = workload.alert(at: Int64(i))
                sequence = try store.append(alert: alert, name: name)
                type = alert.raised ? .alert : .alertCleared
                let payload = LogAlertPayload(name: name, alert: alert)
                var bytes = [UInt8](repeating: 0, count: payload.sizeBytes)
                _ = bytes.withUnsafeMutableBytes { payload.encode(into: $0) }
                appended[sequence] = AppendedRecord(sequence: sequence, type: type, timestampMs: Int64(i), payload: bytes)
            } else {
                let reading = workload.reading(at: Int64(i))
                sequence = try store.append(reading: reading, name: name)
                let payload = LogReadingPayload(name: name, reading: reading)
                var bytes = [UInt8](repeating: 0, count: payload.sizeBytes)
                _ = bytes.withUnsafeMutableBytes { payload.encode(into: $0) }
                appended[sequence] = AppendedRecord(sequence: sequence, type: .reading, timestampMs: Int64(i), payload: bytes)
            }
            if i % 7 == 6 { try store.write() }
        }
        return appended
    }

    func testNeverModeIssuesNoSyncRollingDroppingOrCommitting() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try open(disk, buffer, policy: .dropOldest, mode: .never)
        XCTAssertEqual(store.syncMode, .never)
        // Creating the file is the one exception: segment headers, then the file header, each synced.
        XCTAssertEqual(disk.syncCount, 2, "formatting a new file syncs twice")
        disk.startRecording()
        let appended = try appendWorkload(&store, count: 600, seed: 3)
        XCTAssertEqual(try store.commit(), 0, "nothing becomes known durable without a sync")
        XCTAssertGreaterThan(store.counters.erasedSegments, 4, "the workload must wrap the log several times")
        XCTAssertGreaterThan(store.counters.droppedReadings, 0, "drop-oldest must have dropped segments")
        XCTAssertEqual(disk.syncCount, 2, "not one device sync after formatting")
        XCTAssertFalse(disk.events.contains { if case .sync = $0 { return true } else { return false } })
        XCTAssertEqual(store.counters.syncs, 0)
        XCTAssertEqual(store.durableSequence, 0)
        // Appends plus the markers and alert copies the drops added.
        XCTAssertEqual(appended.count, 600)
        XCTAssertGreaterThan(store.lastWrittenSequence, UInt64(appended.count))
        // The same workload in ordered mode syncs at every roll and commit: the counts differ only
        // by the mode.
        let orderedDisk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let orderedBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var ordered = try open(orderedDisk, orderedBuffer, policy: .dropOldest, mode: .ordered)
        _ = try appendWorkload(&ordered, count: 600, seed: 3)
        XCTAssertEqual(try ordered.commit(), store.lastWrittenSequence, "the same records in both modes")
        XCTAssertGreaterThan(orderedDisk.syncCount, 2 + Int(ordered.counters.erasedSegments))
    }

    func testNeverModeReopenIssuesNoSyncEvenWithATornTail() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try open(disk, buffer, policy: .rejectNew, mode: .never)
        let formatSyncs = disk.syncCount
        _ = try appendWorkload(&store, count: 40, seed: 5)
        try store.write()
        // Garbage after the last record: recovery clears it (a write) but does not sync.
        let tail = Int(smallGeometry.offset(ofSegment: store.head)) + 4000
        disk.bytes[tail] = 0x5A
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        let reopened = try open(disk, buffer2, policy: .rejectNew, mode: .never)
        XCTAssertGreaterThan(reopened.recovery.tailBytes, 0)
        XCTAssertEqual(disk.bytes[tail], 0, "the torn tail is cleared")
        XCTAssertEqual(disk.syncCount, formatSyncs, "the repair is not synced")
        // Ordered mode syncs that repair.
        disk.bytes[tail] = 0x5A
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        _ = try open(disk, buffer3, policy: .rejectNew, mode: .ordered)
        XCTAssertEqual(disk.syncCount, formatSyncs + 1)
    }

    /// A killed process: the page cache keeps every write, so recovery returns every record written,
    /// exactly, whichever mode reopens it, and appending continues after them.
    func testRecoveryAfterNeverAppendsReturnsEveryWrittenRecord() throws {
        for policy in [LogFullPolicy.rejectNew, .dropOldest] {
            let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var store = try open(disk, buffer, policy: policy, mode: .never)
            let formatSyncs = disk.syncCount
            // rejectNew: stay inside the log (no forwarding here); dropOldest: wrap it.
            let appended = try appendWorkload(&store, count: policy == .rejectNew ? 150 : 500, seed: 7)
            try store.write()
            let written = store.lastWrittenSequence
            let oldest = store.oldestSequence
            for mode in [LogSyncMode.never, .ordered] {
                let reopenBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
                var reopened = try open(disk, reopenBuffer, policy: policy, mode: mode, readOnly: true)
                XCTAssertEqual(reopened.recovery.corruptSegments, 0, "\(policy) \(mode)")
                let records = try readAll(&reopened, from: oldest)
                XCTAssertEqual(records.map(\.sequence), Array(oldest...written), "\(policy) \(mode)")
                // Markers and copied alerts are the log's own (drops); every other record is one
                // that was appended, byte for byte.
                for record in records where record.type == .marker || record.isCopied {
                    XCTAssertNil(appended[record.sequence], "sequence \(record.sequence)")
                }
                for record in records where record.type != .marker && !record.isCopied {
                    XCTAssertEqual(appended[record.sequence]?.payload, record.payloadBytes, "sequence \(record.sequence)")
                    XCTAssertEqual(appended[record.sequence]?.type, record.type, "sequence \(record.sequence)")
                }
            }
            let againBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var again = try open(disk, againBuffer, policy: policy, mode: .never)
            if policy == .rejectNew { again.setCursor(again.nextSequence - 1) }
            var workload = LogWorkload(seed: 13)
            let next = try again.append(reading: workload.reading(at: 1), name: SensorName("after"))
            XCTAssertEqual(next, written + 1)
            XCTAssertEqual(disk.syncCount, formatSyncs)
        }
    }

    /// A power cut in no-sync mode: any unsynced write (here, all of them) may be lost, kept or torn.
    /// Recovery must still never crash and never return a record that was not appended as it is,
    /// and what it returns is in sequence order.
    func testPowerCutAfterNeverAppendsReturnsOnlyAppendedRecords() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try open(disk, buffer, policy: .dropOldest, mode: .never)
        // The cut images start from the formatted file (formatting is synced).
        disk.startRecording()
        let appended = try appendWorkload(&store, count: 400, seed: 11)
        try store.write()
        let writes = disk.writeEventIndices
        XCTAssertGreaterThan(writes.count, 50)
        var checked = 0
        for (n, event) in writes.enumerated() where n % 3 == 0 || n == writes.count - 1 {
            guard case .write(_, let bytes, _, _) = disk.events[event] else { continue }
            for cut in Set([0, bytes.count / 2, bytes.count]).sorted() {
                for survival in SimDisk.Survival.allCases {
                    let what = "write \(n) cut after \(cut) bytes, \(survival)"
                    let (image, _, _) = disk.imageAfterCut(event: event, bytes: cut, survival: survival, seed: UInt64(event * 31 + cut))
                    let cutDisk = SimDisk(bytes: image)
                    cutDisk.recording = false
                    let cutBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
                    var store = try open(cutDisk, cutBuffer, policy: .dropOldest, mode: .never)
                    // Opening may drop the segment ahead of the head (drop-oldest keeps one free),
                    // which appends markers and copies of its own after what was recovered.
                    let recovered = store.recovery.lastSequence
                    let records = try readAll(&store)
                    var previous: UInt64 = 0
                    for record in records where record.sequence <= recovered {
                        XCTAssertGreaterThan(record.sequence, previous, what)
                        previous = record.sequence
                        if record.isCopied || record.type == .marker {
                            XCTAssertNil(appended[record.sequence], "\(what): sequence \(record.sequence)")
                            continue
                        }
                        XCTAssertEqual(appended[record.sequence]?.payload, record.payloadBytes, "\(what): sequence \(record.sequence)")
                        XCTAssertEqual(appended[record.sequence]?.timestampMs, record.timestampMs, "\(what): sequence \(record.sequence)")
                    }
                    XCTAssertEqual(cutDisk.syncCount, 0, what)
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, writes.count)
    }
}
