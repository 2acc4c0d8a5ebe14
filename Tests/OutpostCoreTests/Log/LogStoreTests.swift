import CMallocCounter
import OutpostCore
import XCTest

/// Append, commit, read, the forward cursor, and the failure modes: log full with each policy, a
/// full disk, a failing fdatasync.
final class LogStoreTests: XCTestCase {
    let sensor = SensorName("boiler-1")

    func reading(_ i: Int) -> ProcessedReading {
        var features = FeatureVector()
        features[.temperature] = Int32(i)
        features[.power] = -Int32(i)
        return ProcessedReading(sensorSlot: 3, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: Int64(i), features: features, batteryMilliPercent: nil)
    }

    func alert(_ i: Int) -> AlertEvent {
        AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 3, feature: .temperature, value: Int32(i), threshold: 5, confidenceQ16: 0, timestampMs: Int64(i))
    }

    func testAppendCommitReadBack() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        XCTAssertEqual(store.nextSequence, 1)
        XCTAssertEqual(try store.append(reading: reading(1), name: sensor), 1)
        XCTAssertEqual(try store.append(alert: alert(2), name: sensor), 2)
        XCTAssertEqual(store.durableSequence, 0)
        XCTAssertEqual(store.pendingRecords, 2)
        // Nothing is readable before it is written; after commit it is durable.
        XCTAssertEqual(try readAll(&store).count, 0)
        let syncs = disk.syncCount
        XCTAssertEqual(try store.commit(), 2)
        XCTAssertEqual(disk.syncCount, syncs + 1, "one sync per commit")
        XCTAssertEqual(try store.commit(), 2)
        XCTAssertEqual(disk.syncCount, syncs + 1, "an empty commit does not sync")
        let records = try readAll(&store)
        XCTAssertEqual(records.map(\.sequence), [1, 2])
        XCTAssertEqual(records[0].reading?.name, sensor)
        XCTAssertEqual(records[0].reading?.reading.features, reading(1).features)
        XCTAssertEqual(records[1].alert?.alert.value, 2)
        // Reopened, the same records come back.
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, buffer: buffer2)
        XCTAssertEqual(reopened.recovery.records, 2)
        XCTAssertEqual(reopened.recovery.recordsByType[Int(LogRecordType.reading.rawValue)], 1)
        XCTAssertEqual(reopened.nextSequence, 3)
        XCTAssertEqual(try readAll(&reopened).map(\.sequence), [1, 2])
    }

    func testReaderFromASequenceAndBoundedAlertSearch() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        for i in 1...150 {
            if i % 50 == 0 { try store.append(alert: alert(i), name: sensor) } else { try store.append(reading: reading(i), name: sensor) }
        }
        try store.commit()
        XCTAssertGreaterThan(store.liveSegmentCount, 1)
        XCTAssertEqual(try readAll(&store, from: 120).map(\.sequence), Array(120...150))
        var reader = LogReader(from: 1)
        var record = LogRecord()
        var results: [LogScanResult] = []
        var found: [UInt64] = []
        for _ in 0..<20 {
            let result = try store.nextAlert(&reader, into: &record, through: store.durableSequence, budget: 16)
            results.append(result)
            if result == .found { found.append(record.sequence) }
            if result == .end { break }
        }
        XCTAssertEqual(found, [50, 100, 150])
        XCTAssertTrue(results.contains(.budgetSpent))
        XCTAssertEqual(results.last, .end)
        // `through` bounds what is returned.
        var bounded = LogReader(from: 1)
        var count = 0
        while try store.read(&bounded, into: &record, through: 10) { count += 1 }
        XCTAssertEqual(count, 10)
    }

    func testCursorPersistsAndATornCursorWriteFallsBack() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        for i in 1...20 { try store.append(reading: reading(i), name: sensor) }
        store.setCursor(5)
        try store.commit()
        store.setCursor(9)
        XCTAssertEqual(store.durableCursor, 5)
        try store.commit()
        XCTAssertEqual(store.durableCursor, 9)
        store.setCursor(3)  // never backwards
        XCTAssertEqual(store.cursor, 9)
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        let reopened = try openStore(disk, buffer: buffer2)
        XCTAssertEqual(reopened.cursor, 9)
        // Generation 2 (cursor 9) sits in slot B; damage it and the older slot A (5) wins.
        disk.bytes[LogFormat.cursorSlotOffsets.1 + 17] ^= 0x40
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        let fallback = try openStore(disk, buffer: buffer3)
        XCTAssertEqual(fallback.cursor, 5)
        XCTAssertFalse(fallback.recovery.cursorDamaged)
        _ = reopened
    }

    func testCursorWritesWithoutASyncNeverOverwriteTheSyncedCursor() throws {
        // Batch durability: write() every tick moves the cursor, commit() syncs on a timer. A cut
        // after two unsynced cursor writes, whatever of them survives, must leave at least the
        // synced cursor (5). Alternating slots on every write lost it (the second unsynced write
        // went to the synced cursor's slot) and fell back to 0.
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        for i in 1...20 { try store.append(reading: reading(i), name: sensor) }
        store.setCursor(5)
        try store.commit()
        disk.startRecording()
        store.setCursor(7)
        try store.write()
        store.setCursor(9)
        try store.write()
        XCTAssertEqual(store.durableCursor, 5)
        let writes = disk.writeEventIndices
        XCTAssertFalse(writes.isEmpty)
        for event in writes {
            guard case .write(_, let data, _, _) = disk.events[event] else { continue }
            for cutBytes in [0, data.count / 2, data.count] {
                for survival in SimDisk.Survival.allCases {
                    for seed: UInt64 in 1...8 {
                        let (image, _, _) = disk.imageAfterCut(event: event, bytes: cutBytes, survival: survival, seed: seed)
                        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
                        let reopened = try openStore(SimDisk(bytes: image), buffer: buffer2)
                        XCTAssertGreaterThanOrEqual(reopened.cursor, 5, "cut at event \(event) byte \(cutBytes) \(survival) seed \(seed)")
                        XCTAssertTrue([5, 7, 9].contains(reopened.cursor))
                    }
                }
            }
        }
        // After the next sync the slots move on as before: the synced cursor is 9.
        try store.commit()
        XCTAssertEqual(store.durableCursor, 9)
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        XCTAssertEqual(try openStore(disk, buffer: buffer3).cursor, 9)
    }

    func testRejectNewRefusesWhenFullAndRecoversAfterTheCursorMoves() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .rejectNew, buffer: buffer)
        var accepted = 0
        var refused: LogAppendError? = nil
        for i in 1...10_000 {
            do {
                try store.append(reading: reading(i), name: sensor)
                accepted += 1
            } catch {
                refused = error
                break
            }
        }
        XCTAssertEqual(refused, .full)
        XCTAssertEqual(store.state, .full)
        XCTAssertEqual(store.liveSegmentCount, smallGeometry.segmentCount, "reject-new uses every segment")
        XCTAssertThrowsError(try store.append(reading: reading(1), name: sensor)) { XCTAssertEqual($0 as? LogAppendError, .full) }
        XCTAssertEqual(store.counters.rejectedFull, 2)
        try store.commit()
        // Forwarding less than the oldest segment does not help...
        store.setCursor(10)
        XCTAssertThrowsError(try store.append(reading: reading(0), name: sensor))
        // ...forwarding past it does.
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var probe = try openStore(disk, policy: .rejectNew, buffer: buffer2, readOnly: true)
        let all = try readAll(&probe)
        XCTAssertEqual(all.count, accepted)
        store.setCursor(UInt64(accepted / smallGeometry.segmentCount + 5))
        let sequence = try store.append(reading: reading(77), name: sensor)
        XCTAssertEqual(store.state, .ready)
        XCTAssertEqual(sequence, UInt64(accepted + 1))
        try store.commit()
        // Nothing that was not forwarded was lost.
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, policy: .rejectNew, buffer: buffer3)
        let records = try readAll(&reopened, from: store.cursor + 1)
        XCTAssertEqual(records.map(\.sequence), Array((store.cursor + 1)...sequence))
        XCTAssertEqual(reopened.counters.droppedReadings, 0)
    }

    func testDropOldestCountsLostReadingsExactlyAndKeepsAlerts() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        var alertsAppended: [(sequence: UInt64, time: Int64)] = []
        var readingSequences: [UInt64] = []
        // One alert in 12 keeps the unforwarded alerts within what the log can hold beside the
        // drop reserve (`dropReserveBytes`); at one in 9 they fill it and the oldest must go
        // (LogStoreFullTests covers that case).
        for i in 1...2000 {
            if i % 12 == 0 {
                // One sensor per alert: none supersedes another, so every one is carried (§7).
                let name = SensorName(Array("boiler-\(i)".utf8).span)!
                alertsAppended.append((try store.append(alert: alert(i), name: name), Int64(i)))
            } else {
                readingSequences.append(try store.append(reading: reading(i), name: sensor))
            }
            if i % 10 == 0 { try store.commit() }
            if i == 150 { store.setCursor(100) }  // before the first drop
        }
        try store.commit()
        XCTAssertGreaterThan(store.counters.droppedReadings, 0)
        XCTAssertGreaterThan(store.counters.copiedAlerts, 0)
        XCTAssertEqual(store.counters.droppedAlerts, 0)
        XCTAssertLessThan(store.liveSegmentCount, smallGeometry.segmentCount, "one segment is kept free")
        let records = try readAll(&store)
        let readingsPresent = records.filter { $0.type == .reading }.count
        // Readings at or below the cursor were forwarded: not "lost".
        let forwardedReadings = readingSequences.filter { $0 <= 100 }.count
        XCTAssertEqual(UInt64(readingSequences.count - readingsPresent - forwardedReadings), store.counters.droppedReadings)
        // The drops are recorded in the log (markers of earlier drops may have been dropped since).
        let markers = records.compactMap(\.marker).filter { $0.code == LogMarkerPayload.readingsDropped }
        XCTAssertFalse(markers.isEmpty)
        XCTAssertLessThanOrEqual(markers.reduce(0) { $0 + $1.value }, store.counters.droppedReadings)
        // Every alert not forwarded is still there (original or copy), each once.
        let alertTimes = records.compactMap(\.alert).map(\.alert.timestampMs)
        for alert in alertsAppended where alert.sequence > 100 {
            XCTAssertEqual(alertTimes.filter { $0 == alert.time }.count, 1, "alert \(alert.time)")
        }
        XCTAssertTrue(records.contains { $0.isCopied })
        // The same after a reopen.
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, policy: .dropOldest, buffer: buffer2)
        XCTAssertEqual(try readAll(&reopened).map(\.sequence), records.map(\.sequence))
    }

    func testNoSpaceBehavesLikeRejectNewAndClearsWhenSpaceReturns() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        for i in 1...5 { try store.append(reading: reading(i), name: sensor) }
        try store.commit()
        for i in 6...8 { try store.append(reading: reading(i), name: sensor) }
        disk.noSpace = true
        XCTAssertThrowsError(try store.commit()) { XCTAssertEqual($0 as? LogAppendError, .noSpace) }
        XCTAssertEqual(store.state, .noSpace)
        XCTAssertThrowsError(try store.append(reading: reading(9), name: sensor)) { XCTAssertEqual($0 as? LogAppendError, .noSpace) }
        XCTAssertEqual(store.counters.rejectedNoSpace, 1)
        XCTAssertEqual(store.durableSequence, 5)
        disk.noSpace = false
        XCTAssertEqual(try store.append(reading: reading(9), name: sensor), 9)
        XCTAssertEqual(store.state, .ready)
        XCTAssertEqual(try store.commit(), 9)
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, buffer: buffer2)
        XCTAssertEqual(try readAll(&reopened).map(\.sequence), Array(1...9))
    }

    func testNoSpaceAtARollIsRetried() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        var i = 0
        // Fill the first segment to the brim, then refuse space exactly at the roll.
        while store.head == 0 || store.nextSequence == 1 {
            i += 1
            try store.append(reading: reading(i), name: sensor)
            if store.pendingRecords == 0 || store.head != 0 { break }
            if i > 1000 { break }
        }
        try store.commit()
        disk.noSpace = true
        var refused = 0
        for _ in 0..<200 {
            i += 1
            do { try store.append(reading: reading(i), name: sensor) } catch {
                XCTAssertEqual(error, .noSpace)
                refused += 1
                break
            }
        }
        XCTAssertEqual(refused, 1)
        disk.noSpace = false
        try store.append(reading: reading(i), name: sensor)
        try store.commit()
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, buffer: buffer2)
        let records = try readAll(&reopened)
        XCTAssertEqual(records.map(\.sequence), Array(1...UInt64(records.count)))
        XCTAssertEqual(records.last?.sequence, store.durableSequence)
    }

    func testSyncFailureIsFailStop() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        try store.append(reading: reading(1), name: sensor)
        try store.commit()
        try store.append(reading: reading(2), name: sensor)
        disk.failSync = -5
        XCTAssertThrowsError(try store.commit()) { XCTAssertEqual($0 as? LogAppendError, .failed(-5)) }
        XCTAssertEqual(store.state, .failed(-5))
        XCTAssertEqual(store.durableSequence, 1, "the failed commit made nothing durable")
        // Never a silent retry, even when the device would work again.
        disk.failSync = nil
        XCTAssertThrowsError(try store.commit()) { XCTAssertEqual($0 as? LogAppendError, .failed(-5)) }
        XCTAssertThrowsError(try store.append(reading: reading(3), name: sensor)) { XCTAssertEqual($0 as? LogAppendError, .failed(-5)) }
        XCTAssertThrowsError(try store.write()) { XCTAssertEqual($0 as? LogAppendError, .failed(-5)) }
    }

    func testReadOnlyOpenWritesNothingAndRefusesAppends() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        for i in 1...30 { try store.append(reading: reading(i), name: sensor) }
        try store.commit()
        // A torn tail after the last record: read-only reports it and leaves it.
        let tail = Int(smallGeometry.offset(ofSegment: store.head)) + 48 + 30 * 50
        disk.bytes[tail + 700] = 0x5A
        let before = disk.bytes
        let writes = disk.writeCount
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var inspect = try openStore(disk, buffer: buffer2, readOnly: true)
        XCTAssertEqual(inspect.state, .readOnly)
        XCTAssertGreaterThan(inspect.recovery.tailBytes, 0)
        XCTAssertEqual(try readAll(&inspect).count, 30)
        XCTAssertThrowsError(try inspect.append(reading: reading(1), name: sensor)) { XCTAssertEqual($0 as? LogAppendError, .readOnly) }
        XCTAssertEqual(disk.writeCount, writes)
        XCTAssertEqual(disk.bytes, before)
        // A writable open clears the tail.
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        _ = try openStore(disk, buffer: buffer3)
        XCTAssertEqual(disk.bytes[tail + 700], 0)
    }

    func testOpenRefusesFilesThatAreNotThisLog() throws {
        let size = Int(smallGeometry.fileSizeBytes)
        func open(_ bytes: [UInt8], geometry: LogGeometry = smallGeometry, readOnly: Bool = false) -> LogOpenError? {
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            do {
                _ = try openStore(SimDisk(bytes: bytes), geometry: geometry, buffer: buffer, readOnly: readOnly)
                return nil
            } catch { return error }
        }
        XCTAssertEqual(open([UInt8](repeating: 0, count: size), readOnly: true), .blank)
        XCTAssertEqual(open([UInt8](repeating: 0, count: 1000)), .deviceTooSmall)
        var text = [UInt8](repeating: 0, count: size)
        for (i, byte) in "hello, world".utf8.enumerated() { text[i] = byte }
        XCTAssertEqual(open(text), .notALog)
        // A good log, then its version, CRC and geometry changed.
        let disk = SimDisk(sizeBytes: size)
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        _ = try openStore(disk, buffer: buffer)
        XCTAssertNil(open(disk.bytes))
        // Both file header copies changed: refused. (One copy changed opens from the other:
        // LogDamageTests.)
        let copy = LogFormat.fileHeaderCopyOffset
        var version = disk.bytes
        version[4] = UInt8(LogFormat.version + 1)
        version[copy + 4] = UInt8(LogFormat.version + 1)
        XCTAssertEqual(open(version), .unsupportedVersion(LogFormat.version + 1))
        var crc = disk.bytes
        crc[13] ^= 1
        crc[copy + 13] ^= 1
        XCTAssertEqual(open(crc), .corruptHeader)
        let other = LogGeometry(segmentSizeBytes: 2048, segmentCount: 8)!
        XCTAssertEqual(open(disk.bytes, geometry: other), .geometryMismatch(smallGeometry))
    }

    /// After open, appending (with rolls, drops and copies), committing, moving the cursor and
    /// reading allocate nothing.
    func testSteadyStateAllocatesNothing() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        disk.recording = false
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        var reader = LogReader(from: 1)
        var record = LogRecord()
        // Warm-up: one of everything.
        try store.append(reading: reading(0), name: sensor)
        try store.commit()
        _ = try store.read(&reader, into: &record, through: store.durableSequence)
        malloc_counter_start()
        var read = 0
        for i in 1...3000 {
            if i % 7 == 0 { try store.append(alert: alert(i), name: sensor) } else { try store.append(reading: reading(i), name: sensor) }
            if i % 10 == 0 {
                try store.commit()
                while try store.read(&reader, into: &record, through: store.durableSequence) { read += 1 }
                if i % 500 == 0 { store.setCursor(store.durableSequence - 5) }
            }
        }
        let allocations = malloc_counter_stop()
        XCTAssertEqual(allocations, 0)
        XCTAssertGreaterThan(store.counters.droppedReadings, 0, "the loop must drop segments")
        XCTAssertGreaterThan(read, 2000)
    }
    /// `append(reading:name:)` builds most reading records on its own fast path (`placeReading`);
    /// the general path (`appendRecord` with `LogReadingPayload.encode`) must write the same bytes
    /// in the same writes: names of every length (1 to 32 bytes), every feature mask, battery or
    /// not, across page flushes, segment rolls and drops, between alerts.
    func testReadingFastPathWritesTheGeneralPathsBytes() throws {
        for pageBytes in [512, 700] {
            let fastDisk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
            let generalDisk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
            let fastBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
            let generalBuffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var fast = try openStore(fastDisk, pageBytes: pageBytes, policy: .dropOldest, buffer: fastBuffer)
            var general = try openStore(generalDisk, pageBytes: pageBytes, policy: .dropOldest, buffer: generalBuffer)
            var workload = LogWorkload(seed: UInt64(pageBytes))
            let letters = Array("abcdefghijklmnopqrstuvwxyz012345".utf8)
            var appended: [UInt64: LogReadingPayload] = [:]
            for i in 0..<3000 {
                if i % 13 == 5 {
                    let alert = workload.alert(at: Int64(i))
                    XCTAssertEqual(try fast.append(alert: alert, name: sensor), try general.append(alert: alert, name: sensor))
                    continue
                }
                let name = letters.withUnsafeBufferPointer { SensorName(UnsafeBufferPointer(rebasing: $0[0..<(1 + i % 32)]).span)! }
                var reading = workload.reading(at: 1_700_000_000_000 + Int64(i))
                if i % 31 == 0 { reading.features = FeatureVector() }
                if i % 32 < 5 { reading.features[Feature(rawValue: UInt8(i % 32))!] = Int32(-i) }
                let payload = LogReadingPayload(name: name, reading: reading)
                let fastSequence = try fast.append(reading: reading, name: name)
                let generalSequence = try general.appendRecord(
                    type: .reading, flags: 0, timestampMs: reading.timestampMs, payloadCount: payload.sizeBytes
                ) { payload.encode(into: $0) }
                XCTAssertEqual(fastSequence, generalSequence)
                XCTAssertEqual(fast.pendingBytes, general.pendingBytes)
                appended[fastSequence] = payload
                if i % 97 == 0 {
                    try fast.commit()
                    try general.commit()
                    // Forwarded up to about two segments back: drops then lose some readings and
                    // copy some alerts, and copies never pile up to fill a whole segment.
                    if fast.nextSequence > 150 {
                        fast.setCursor(fast.nextSequence - 150)
                        general.setCursor(general.nextSequence - 150)
                    }
                }
            }
            try fast.commit()
            try general.commit()
            XCTAssertGreaterThan(fast.counters.droppedReadings, 0, "the run must roll and drop segments")
            XCTAssertGreaterThan(fast.counters.copiedAlerts, 0, "the run must copy alerts")
            XCTAssertEqual(fastDisk.bytes, generalDisk.bytes, "page \(pageBytes): the device images differ")
            let writes = { (disk: SimDisk) -> [[Int]] in
                disk.events.compactMap { if case .write(let offset, let bytes, _, _) = $0 { [offset, bytes.count] } else { nil } }
            }
            XCTAssertEqual(writes(fastDisk), writes(generalDisk), "page \(pageBytes): the writes differ")
            // And the fast path's records that are still in the log decode to what was appended.
            var decoded = 0
            for record in try readAll(&fast, from: fast.oldestSequence) {
                guard let reading = record.reading else { continue }
                XCTAssertEqual(reading, appended[record.sequence], "sequence \(record.sequence)")
                decoded += 1
            }
            XCTAssertGreaterThan(decoded, 100)
        }
    }
}
