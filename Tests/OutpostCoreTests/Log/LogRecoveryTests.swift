import OutpostCore
import XCTest

/// Power cuts at every write, truncation at every offset of the last segment, bit flips: recovery
/// returns exactly what was committed, in order, nothing corrupt, nothing lost it did not have to.
final class LogRecoveryTests: XCTestCase {
    /// Runs the scripted workload on the small geometry and returns the recorded disk and driver.
    func recordWorkload(policy: LogFullPolicy, steps: Int, seed: UInt64) throws -> (SimDisk, LogWorkloadDriver) {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: policy, buffer: buffer)
        disk.startRecording()
        var driver = LogWorkloadDriver(seed: seed)
        for _ in 0..<steps { try driver.step(&store, disk: disk) }
        disk.committed = try store.commit()
        XCTAssertGreaterThan(store.counters.erasedSegments, 2, "the workload must wrap the log")
        XCTAssertGreaterThan(store.counters.headerSyncsSkipped, 0, "the cuts must cover segments opened without a header sync")
        return (disk, driver)
    }

    /// Recovers `image` and checks it against the driver; then appends after recovery and checks
    /// that the new records survive a reopen.
    func verifyCut(_ image: [UInt8], committed: UInt64, forwarded: UInt64, driver: LogWorkloadDriver, policy: LogFullPolicy, what: String) throws {
        let disk = SimDisk(bytes: image)
        disk.recording = false
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: policy, buffer: buffer)
        // A power cut must never look like damage to committed records. Unsynced writes of the
        // head may survive with holes between them (a write lost, a later one kept); recovery
        // keeps the records after such a hole, cannot tell it from damage, and reports it as
        // damage: only ever above the committed sequence.
        XCTAssertLessThanOrEqual(store.recovery.damageCount, LogRecoveryReport.damageListCapacity, what)
        for i in 0..<min(store.recovery.damageCount, LogRecoveryReport.damageListCapacity) {
            let damage = store.recovery.damage[i]
            XCTAssertGreaterThan(damage.firstLostSequence, committed, "\(what): \(damage)")
            XCTAssertEqual(damage.segment, store.head, "\(what): only the head holds unsynced records")
        }
        let records = try readAll(&store)
        if let failure = driver.check(records, committed: committed, forwarded: forwarded, policy: policy) {
            XCTFail("\(what): \(failure)")
            return
        }
        // Appending after recovery works and survives a reopen.
        let name = SensorName("after-cut")
        var workload = LogWorkload(seed: 99)
        let reading = workload.reading(at: 42)
        if policy == .rejectNew { store.setCursor(store.nextSequence - 1) }
        let sequence = try store.append(reading: reading, name: name)
        XCTAssertEqual(try store.commit(), sequence, what)
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(disk, policy: policy, buffer: buffer2)
        let after = try readAll(&reopened, from: sequence)
        XCTAssertEqual(after.count, 1, what)
        XCTAssertEqual(after.first?.reading?.reading.features, reading.features, what)
        XCTAssertEqual(after.first?.reading?.name, name, what)
    }

    func sweepPowerCuts(policy: LogFullPolicy, seed: UInt64) throws {
        let (disk, driver) = try recordWorkload(policy: policy, steps: 600, seed: seed)
        let writes = disk.writeEventIndices
        XCTAssertGreaterThan(writes.count, 100)
        var runs = 0
        for (n, event) in writes.enumerated() {
            guard case .write(_, let bytes, _, _) = disk.events[event] else { continue }
            var cuts = Set([0, 1, bytes.count / 2, max(0, bytes.count - 1)])
            // Every byte of every 32nd write (headers, cursor slots and page writes all come up);
            // the first, second, middle and last byte of every write.
            if n % 32 == 0 { cuts.formUnion(0..<bytes.count) }
            for cut in cuts.sorted() {
                for survival in SimDisk.Survival.allCases {
                    let (image, committed, forwarded) = disk.imageAfterCut(event: event, bytes: cut, survival: survival, seed: UInt64(event * 7919 + cut))
                    try verifyCut(image, committed: committed, forwarded: forwarded, driver: driver, policy: policy,
                                  what: "write \(n) (event \(event)) cut after \(cut) bytes, \(survival)")
                    runs += 1
                }
            }
        }
        XCTAssertGreaterThan(runs, writes.count * 3)
    }

    func testPowerCutAtEveryWriteRejectNew() throws {
        try sweepPowerCuts(policy: .rejectNew, seed: 0x5EED_0001)
    }

    func testPowerCutAtEveryWriteDropOldest() throws {
        try sweepPowerCuts(policy: .dropOldest, seed: 0x5EED_0002)
    }

    /// A live cut: the device dies in the middle of a write; the store fails stop, and the disk as
    /// it was left recovers to what was committed.
    func testLivePowerCutFailsStopAndRecovers() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        var driver = LogWorkloadDriver(seed: 7)
        for _ in 0..<50 { try driver.step(&store, disk: disk) }
        disk.committed = try store.commit()
        disk.cutAtWrite = disk.writeCount + 3
        disk.cutAfterBytes = 17
        var failure: LogAppendError? = nil
        for _ in 0..<500 {
            do { try driver.step(&store, disk: disk) } catch {
                failure = error
                break
            }
        }
        XCTAssertEqual(failure, .failed(-5))
        XCTAssertEqual(store.state, .failed(-5))
        XCTAssertThrowsError(try store.append(marker: LogMarkerPayload(code: 1, value: 0), timestampMs: 0)) {
            XCTAssertEqual($0 as? LogAppendError, .failed(-5))
        }
        try verifyCut(disk.bytes, committed: disk.committed, forwarded: disk.forwarded, driver: driver, policy: .rejectNew, what: "live cut")
    }

    /// The final image of a workload, the sequence of its records, and where the head's records end.
    func finishedLog(seed: UInt64) throws -> (image: [UInt8], records: [LogRecord], head: Int, driver: LogWorkloadDriver) {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        var driver = LogWorkloadDriver(seed: seed)
        for _ in 0..<500 { try driver.step(&store, disk: disk) }
        try store.commit()
        return (disk.bytes, try readAll(&store), store.head, driver)
    }

    /// Record start offsets (in the file) of the valid records of segment `segment` in `image`.
    func recordOffsets(_ image: [UInt8], segment: Int) -> [(offset: Int, length: Int)] {
        let start = Int(smallGeometry.offset(ofSegment: segment))
        var offset = start + LogFormat.segmentHeaderBytes
        var result: [(Int, Int)] = []
        var previous: UInt64? = nil
        // Stops at the first record whose sequence does not follow (zeros, or stale bytes of an
        // earlier life of the segment).
        while offset + LogFormat.minRecordBytes <= start + smallGeometry.segmentSizeBytes {
            let length = Int(image[offset]) | Int(image[offset + 1]) << 8
            if length < LogFormat.minRecordBytes { break }
            var sequence: UInt64 = 0
            for i in 0..<8 { sequence |= UInt64(image[offset + 4 + i]) << (8 * UInt64(i)) }
            if let previous, sequence != previous + 1 { break }
            previous = sequence
            result.append((offset, length))
            offset += length
        }
        return result
    }

    func testTruncationAtEveryOffsetOfTheLastSegment() throws {
        let (image, all, head, driver) = try finishedLog(seed: 11)
        let start = Int(smallGeometry.offset(ofSegment: head))
        let offsets = recordOffsets(image, segment: head)
        XCTAssertGreaterThan(offsets.count, 10)
        let end = start + smallGeometry.segmentSizeBytes
        for cut in start..<end {
            for fill: UInt8 in cut % 7 == 0 ? [0, 0xFF] : [0] {
                var damaged = image
                for i in cut..<end { damaged[i] = fill }
                let disk = SimDisk(bytes: damaged)
                let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
                var store = try openStore(disk, buffer: buffer)
                let records = try readAll(&store)
                // Whole records before the cut must all be there, and nothing else. A damaged
                // head header takes the head's records with it (the segment reads as free).
                let kept = cut < start + LogFormat.segmentHeaderBytes ? 0 : offsets.filter { $0.offset + $0.length <= cut }.count
                let expected = all.count - offsets.count + kept
                XCTAssertEqual(records.map(\.sequence), all.prefix(expected).map(\.sequence), "cut at \(cut) fill \(fill)")
                XCTAssertNil(driver.check(records, committed: 0, forwarded: 0, policy: .rejectNew), "cut at \(cut)")
            }
        }
    }

    func testEveryBitFlipOfARecordInAnOlderSegment() throws {
        let (image, all, head, driver) = try finishedLog(seed: 12)
        let older = (head + smallGeometry.segmentCount - 1) % smallGeometry.segmentCount
        let offsets = recordOffsets(image, segment: older)
        XCTAssertGreaterThan(offsets.count, 10)
        let victimIndex = offsets.count / 2
        let victim = offsets[victimIndex]
        let victimSequence = victimSequenceAt(image, victim.offset)
        for bit in 0..<(victim.length * 8) {
            var damaged = image
            damaged[victim.offset + bit / 8] ^= 1 << UInt8(bit % 8)
            let disk = SimDisk(bytes: damaged)
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var store = try openStore(disk, buffer: buffer)
            // Only the flipped record is lost: recovery resynchronises on the next one.
            XCTAssertEqual(store.recovery.corruptSegments, 1, "bit \(bit)")
            XCTAssertEqual(store.recovery.skippedRecords, 1, "bit \(bit)")
            XCTAssertEqual(store.recovery.damageCount, 1, "bit \(bit)")
            XCTAssertEqual(store.recovery.damage[0].offset, Int64(victim.offset), "bit \(bit)")
            XCTAssertEqual(store.recovery.damage[0].firstLostSequence, victimSequence, "bit \(bit)")
            XCTAssertTrue(store.recovery.foundCorruption)
            let records = try readAll(&store)
            XCTAssertEqual(records.map(\.sequence), all.map(\.sequence).filter { $0 != victimSequence }, "bit \(bit)")
            XCTAssertNil(driver.check(records, committed: 0, forwarded: 0, policy: .rejectNew, contiguous: false), "bit \(bit)")
        }
    }

    /// The sequence field of the record at `offset` of `image`.
    func victimSequenceAt(_ image: [UInt8], _ offset: Int) -> UInt64 {
        var sequence: UInt64 = 0
        for i in 0..<8 { sequence |= UInt64(image[offset + 4 + i]) << (8 * UInt64(i)) }
        return sequence
    }

    func testEveryBitFlipOfARecordInTheHead() throws {
        let (image, all, head, driver) = try finishedLog(seed: 13)
        let offsets = recordOffsets(image, segment: head)
        let victimIndex = offsets.count / 3
        let victim = offsets[victimIndex]
        let victimSequence = victimSequenceAt(image, victim.offset)
        XCTAssertLessThan(victimIndex, offsets.count - 1, "valid records follow the victim")
        for bit in 0..<(victim.length * 8) {
            var damaged = image
            damaged[victim.offset + bit / 8] ^= 1 << UInt8(bit % 8)
            let disk = SimDisk(bytes: damaged)
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var store = try openStore(disk, buffer: buffer)
            let records = try readAll(&store)
            // In the head too, damage followed by valid records is damage, not a torn tail: only
            // the damaged record goes, and appends continue after the last valid record.
            XCTAssertEqual(records.map(\.sequence), all.map(\.sequence).filter { $0 != victimSequence }, "bit \(bit)")
            XCTAssertNil(driver.check(records, committed: 0, forwarded: 0, policy: .rejectNew, contiguous: false), "bit \(bit)")
            XCTAssertEqual(store.recovery.skippedRecords, 1, "bit \(bit)")
            XCTAssertEqual(store.recovery.corruptSegments, 1, "bit \(bit)")
            XCTAssertEqual(store.nextSequence, all.last!.sequence + 1, "bit \(bit)")
        }
    }

    func testEveryBitFlipOfASegmentHeader() throws {
        let (image, all, head, driver) = try finishedLog(seed: 14)
        let older = (head + smallGeometry.segmentCount - 1) % smallGeometry.segmentCount
        let inOlder = recordOffsets(image, segment: older).count
        let start = Int(smallGeometry.offset(ofSegment: older))
        for bit in 0..<(LogFormat.segmentHeaderBytes * 8) {
            var damaged = image
            damaged[start + bit / 8] ^= 1 << UInt8(bit % 8)
            let disk = SimDisk(bytes: damaged)
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var store = try openStore(disk, buffer: buffer)
            XCTAssertEqual(store.recovery.damagedHeaders, 1, "bit \(bit)")
            let records = try readAll(&store)
            XCTAssertEqual(records.count, all.count - inOlder, "bit \(bit)")
            XCTAssertNil(driver.check(records, committed: 0, forwarded: 0, policy: .rejectNew, contiguous: false), "bit \(bit)")
        }
    }

    /// A segment opened without syncing its header first (its header was durably clean) loses
    /// that header in a cut while records written under it survive. Recovery must ignore them, and
    /// they must never validate later either, when the same segment is opened again for the same
    /// record sequences with records of the same lengths.
    func testRecordsUnderALostHeaderNeverComeBack() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        let name = SensorName("lost-header")
        // Readings of one shape, so stale records line up with new ones record for record.
        func reading(_ i: Int, _ base: Int32) -> ProcessedReading {
            var features = FeatureVector()
            features[.temperature] = base + Int32(i)
            return ProcessedReading(sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: Int64(i), features: features, batteryMilliPercent: nil)
        }
        // Every append committed, so the roll into segment 2 starts with nothing unsynced.
        var firstLost: UInt64 = 0
        for i in 0..<10_000 {
            try store.commit()
            disk.startRecording()
            let before = store.head
            let skippedBefore = store.counters.headerSyncsSkipped
            let sequence = try store.append(reading: reading(i, 1000), name: name)
            if before == 1 && store.head == 2 {
                XCTAssertEqual(store.counters.headerSyncsSkipped, skippedBefore + 1, "segment 2 was clean: no header sync")
                firstLost = sequence
                break
            }
        }
        XCTAssertGreaterThan(firstLost, 0)
        for i in 0..<5 { try store.append(reading: reading(i, 2000), name: name) }
        try store.write()
        // The cut: the header write is lost, the records after it reached the disk.
        var image = disk.baseImage
        let headerOffset = Int(smallGeometry.offset(ofSegment: 2))
        var droppedHeader = false
        for event in disk.events {
            guard case .write(let offset, let bytes, _, _) = event else {
                XCTFail("no sync may come between the unsynced header and the records")
                continue
            }
            if offset == headerOffset && bytes.count == LogFormat.segmentHeaderBytes {
                droppedHeader = true
                continue
            }
            image.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        }
        XCTAssertTrue(droppedHeader)
        let cutDisk = SimDisk(bytes: image)
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var recovered = try openStore(cutDisk, buffer: buffer2)
        XCTAssertEqual(recovered.recovery.corruptSegments, 0)
        XCTAssertEqual(recovered.nextSequence, firstLost, "records under the lost header are not the log's")
        XCTAssertEqual(try readAll(&recovered).map(\.sequence), Array(1..<firstLost))
        // The head is full: the next append opens segment 2 again, for the same sequence.
        let again = try recovered.append(reading: reading(0, 3000), name: name)
        XCTAssertEqual(again, firstLost)
        XCTAssertEqual(recovered.head, 2)
        XCTAssertEqual(try recovered.commit(), firstLost)
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(cutDisk, buffer: buffer3)
        let after = try readAll(&reopened, from: firstLost)
        XCTAssertEqual(after.map(\.sequence), [firstLost], "stale records of the lost header validated")
        XCTAssertEqual(after.first?.reading?.reading.features, reading(0, 3000).features)
        XCTAssertEqual(reopened.nextSequence, firstLost + 1)
    }

    /// Found by the randomized workloads (seeds 150, 262, 363, 749, `.ordered`). Records written
    /// without a sync are forwarded (batch durability) and the cursor naming them is written; the
    /// cut keeps the cursor and loses the records. Recovery moves the next sequence past the
    /// cursor (no delivered sequence is used again) and the next roll starts a segment there. A
    /// later recovery saw the sequence gap between the two segments and reported corruption,
    /// although every missing sequence was delivered and nothing was damaged (§6, step 2).
    func testAGapOfForwardedSequencesIsNotCorruption() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, buffer: buffer)
        var workload = LogWorkload(seed: 7)
        let name = SensorName("gap")
        for i in 0..<5 { try store.append(reading: workload.reading(at: Int64(i)), name: name) }
        try store.commit()
        disk.startRecording()
        for i in 5..<10 { try store.append(reading: workload.reading(at: Int64(i)), name: name) }
        store.setCursor(10)
        try store.write()
        // The cut: the cursor slot reached the disk, the records did not.
        var image = disk.baseImage
        var keptCursor = false
        for event in disk.events {
            guard case .write(let offset, let bytes, _, _) = event else { continue }
            if offset >= LogFormat.reservedBytes { continue }
            keptCursor = true
            image.replaceSubrange(offset..<(offset + bytes.count), with: bytes)
        }
        XCTAssertTrue(keptCursor)
        let cut = SimDisk(bytes: image)
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var recovered = try openStore(cut, buffer: buffer2)
        XCTAssertEqual(recovered.cursor, 10)
        XCTAssertEqual(recovered.nextSequence, 11, "sequences up to the cursor were delivered: never used again")
        let head = recovered.head
        XCTAssertEqual(try recovered.append(reading: workload.reading(at: 10), name: name), 11)
        XCTAssertNotEqual(recovered.head, head, "a new segment starts at the next sequence")
        try recovered.commit()
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(cut, buffer: buffer3)
        XCTAssertEqual(reopened.recovery.corruptSegments, 0)
        XCTAssertEqual(reopened.recovery.skippedRecords, 0)
        XCTAssertFalse(reopened.recovery.foundCorruption)
        XCTAssertEqual(try readAll(&reopened).map(\.sequence), [1, 2, 3, 4, 5, 11])

        // Damage is still damage when what it cost was forwarded: a bad record ends the old
        // segment's records at bytes that fail their check, not cleanly.
        var damaged = cut.bytes
        let lastRecord = recordOffsets(damaged, segment: head).last!
        damaged[lastRecord.offset + lastRecord.length - 1] ^= 0x40
        let buffer4 = LogArenaBuffer(sizeBytes: 64 << 10)
        var rotten = try openStore(SimDisk(bytes: damaged), buffer: buffer4)
        XCTAssertEqual(rotten.recovery.corruptSegments, 1)
        XCTAssertEqual(rotten.recovery.skippedRecords, 6, "record 5 and the forwarded gap 6...10")
        XCTAssertEqual(try readAll(&rotten).map(\.sequence), [1, 2, 3, 4, 11])
    }
}
