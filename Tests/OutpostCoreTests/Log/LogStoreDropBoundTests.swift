@testable import OutpostCore
import XCTest

/// Drop-oldest with the upstream down (the cursor never moves) and alerts raised and cleared on
/// many sensors all the time (docs/LOG_FORMAT.md §7): a drop copies an unforwarded alert only when
/// it is the newest record of its (sensor, kind), so the copies in the log stay bounded by the
/// keys (never more than one per key) however long the run; the newest state of every key is
/// never lost; readings are not crowded out; the counters are exact against a model of what was
/// appended.
final class LogStoreDropBoundTests: XCTestCase {
    /// 6 segments of 4 KiB: small enough to wrap many times.
    let geometry = LogGeometry(segmentSizeBytes: 4096, segmentCount: 6)!
    static let sensorCount = 16
    static let kinds: [AlertKind] = [.threshold, .anomaly, .critical, .offline]

    /// The model of everything appended.
    struct Model {
        var readings: [UInt64] = []
        var alerts = 0
        /// The newest alert appended per key (sensor index, kind): raised or not, and its timestamp.
        var newest: [Key: (raised: Bool, timestampMs: Int64)] = [:]
    }

    struct Key: Hashable {
        var sensor: String
        var kind: AlertKind
    }

    func text(_ name: SensorName) -> String { String(decoding: (0..<Int(name.count)).map { name[$0] }, as: UTF8.self) }

    func name(_ sensor: Int) -> SensorName { SensorName(Array("press-\(sensor)".utf8).span)! }

    func reading(_ t: Int64) -> ProcessedReading {
        var features = FeatureVector()
        features[.temperature] = Int32(truncatingIfNeeded: t % 100_000)
        features[.pressure] = 101_325
        return ProcessedReading(sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: t, features: features, batteryMilliPercent: nil)
    }

    func alert(raised: Bool, kind: AlertKind, _ t: Int64) -> AlertEvent {
        AlertEvent(raised: raised, kind: kind, severity: .major, sensorSlot: 0, feature: nil, value: Int32(truncatingIfNeeded: t % 1_000_000), threshold: 5, confidenceQ16: 0, timestampMs: t)
    }

    func open(_ disk: SimDisk, _ buffer: LogArenaBuffer, alertKeys: Int? = nil) throws -> LogStore<PowerCutDevice> {
        var arena = buffer.arena()
        return try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 1024, policy: .dropOldest,
            formatIfBlank: true, alertKeys: alertKeys)
    }

    func buffer(alertKeys: Int? = nil) -> LogArenaBuffer {
        LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 1024, alertKeys: alertKeys) + 64)
    }

    /// Bytes a record takes in the log (a version-2 copy carries its 8-byte original sequence).
    func bytes(_ record: LogRecord) -> Int {
        LogFormat.recordHeaderBytes + record.payloadCount + (record.isCopied ? LogFormat.copyTrailerBytes : 0) + LogFormat.recordTrailerBytes
    }

    /// One step of the workload: mostly readings; with `alertPercent` an alert on a random sensor
    /// and kind that flips that key's state (raise when clear, clear when raised).
    func step(
        _ store: inout LogStore<PowerCutDevice>, _ model: inout Model, _ random: inout SplitMix64, t: Int64, alertPercent: Int,
        sensors: Int = LogStoreDropBoundTests.sensorCount
    ) throws {
        if Int(random.next() % 100) < alertPercent {
            let sensor = Int(random.next() % UInt64(sensors))
            let kind = LogStoreDropBoundTests.kinds[Int(random.next() % UInt64(LogStoreDropBoundTests.kinds.count))]
            let key = Key(sensor: "press-\(sensor)", kind: kind)
            let raised = !(model.newest[key]?.raised ?? false)
            try store.append(alert: alert(raised: raised, kind: kind, t), name: name(sensor))
            model.newest[key] = (raised, t)
            model.alerts += 1
        } else {
            model.readings.append(try store.append(reading: reading(t), name: name(Int(t) % LogStoreDropBoundTests.sensorCount)))
        }
        if t % 8 == 0 { try store.commit() }
    }

    /// The checks after a stretch of the workload; returns the copies in the log.
    @discardableResult
    func check(_ store: inout LogStore<PowerCutDevice>, _ model: Model, counters: LogCounters, _ context: String) throws -> Int {
        let records = try readAll(&store)
        var copies: [Key: Int] = [:]
        // Newest by original sequence: the order a receiver sees (a copy goes upstream under its
        // original's sequence, docs/LOG_FORMAT.md §4.5).
        var newestInLog: [Key: (sequence: UInt64, raised: Bool, timestampMs: Int64)] = [:]
        var readingsPresent = Set<UInt64>()
        var alertsPresent = 0
        for record in records {
            if record.type == .reading {
                readingsPresent.insert(record.sequence)
                continue
            }
            if let payload = record.alert {
                alertsPresent += 1
                let key = Key(sensor: text(payload.name), kind: payload.alert.kind)
                if record.isCopied { copies[key, default: 0] += 1 }
                if (newestInLog[key]?.sequence ?? 0) < record.originalSequence {
                    newestInLog[key] = (record.originalSequence, record.type == .alert, record.timestampMs)
                }
            }
        }
        // At most one copy per key, so the copies are bounded by the keys, not by time.
        for (key, n) in copies { XCTAssertEqual(n, 1, "\(context): copies of \(key)") }
        let keys = LogStoreDropBoundTests.sensorCount * LogStoreDropBoundTests.kinds.count
        XCTAssertLessThanOrEqual(copies.count, keys, context)
        // The newest state of every key ever alerted is in the log (as itself or a copy).
        for (key, state) in model.newest {
            let found = newestInLog[key]
            XCTAssertEqual(found?.raised, state.raised, "\(context): newest state of \(key)")
            XCTAssertEqual(found?.timestampMs, state.timestampMs, "\(context): newest state of \(key)")
        }
        // Exact counters: every reading appended is in the log or counted dropped (nothing was
        // forwarded); every alert appended is in the log, carried by a copy, superseded or
        // counted dropped (appended − present = superseded + dropped, since a copy replaces the
        // record it was made from).
        XCTAssertEqual(UInt64(model.readings.count - readingsPresent.count), counters.droppedReadings, context)
        XCTAssertTrue(readingsPresent.isSubset(of: Set(model.readings)), context)
        XCTAssertEqual(UInt64(model.alerts - alertsPresent), counters.supersededAlerts &+ counters.droppedAlerts, context)
        XCTAssertEqual(counters.droppedAlerts, 0, "\(context): the copy room held every key")
        return copies.count
    }

    func testCopiesStayBoundedByKeysWhileAlertsKeepComing() throws {
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let storage = buffer()
        var store = try open(disk, storage)
        var model = Model()
        var random = SplitMix64(seed: 71)
        var maxCopies = 0
        // About 40 wraps of the log, one record in four an alert.
        for t in Int64(1)...20_000 {
            try step(&store, &model, &random, t: t, alertPercent: 25)
            if t % 2_500 == 0 {
                try store.commit()
                maxCopies = max(maxCopies, try check(&store, model, counters: store.counters, "after \(t)"))
            }
        }
        XCTAssertGreaterThan(store.counters.erasedSegments, UInt64(geometry.segmentCount * 20), "the log must wrap many times")
        XCTAssertGreaterThan(store.counters.supersededAlerts, 1_000)
        XCTAssertGreaterThan(store.counters.copiedAlerts, 0)
        XCTAssertEqual(store.untrackedAlerts, 0)
        print("drop bound: \(model.alerts) alerts on \(model.newest.count) keys, at most \(maxCopies) copies in the log; copied \(store.counters.copiedAlerts), superseded \(store.counters.supersededAlerts)")
    }

    func testReadingsAreNotCrowdedOutAfterAnAlertStorm() throws {
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let storage = buffer()
        var store = try open(disk, storage)
        var model = Model()
        var random = SplitMix64(seed: 5)
        // A storm (half the records alerts, every key flipping), then readings only for ten
        // wraps: the storm's alerts must not stay in the log beyond one record per key.
        for t in Int64(1)...3_000 { try step(&store, &model, &random, t: t, alertPercent: 50) }
        for t in Int64(3_001)...8_000 { try step(&store, &model, &random, t: t, alertPercent: 0) }
        try store.commit()
        let records = try readAll(&store)
        let copyBytes = records.filter(\.isCopied).reduce(0) { $0 + bytes($1) }
        let readingBytes = records.filter { $0.type == .reading }.reduce(0) { $0 + bytes($1) }
        let otherBytes = records.filter { $0.type != .reading && !$0.isCopied }.reduce(0) { $0 + bytes($1) }
        let keys = LogStoreDropBoundTests.sensorCount * LogStoreDropBoundTests.kinds.count
        // The bound: one copy per key, each at most a header, the longest alert payload with its
        // trailer, and a CRC.
        let copyBound = keys * (LogFormat.recordHeaderBytes + 1 + SensorName.capacityBytes + 13 + LogFormat.copyTrailerBytes + LogFormat.recordTrailerBytes)
        // What the log holds when full: every segment but the one kept free, less the waste of a
        // record's worth at each segment's end.
        let capacity = (geometry.segmentCount - 1) * (geometry.segmentPayloadBytes - LogFormat.maxRecordBytes)
        XCTAssertLessThanOrEqual(copyBytes, copyBound)
        XCTAssertGreaterThanOrEqual(readingBytes, capacity - copyBound - otherBytes)
        XCTAssertGreaterThanOrEqual(readingBytes, capacity - copyBound - 8 * (LogFormat.recordHeaderBytes + 12 + LogFormat.recordTrailerBytes) * geometry.segmentCount,
                                    "readings crowded out: \(readingBytes) bytes of readings, \(copyBytes) of copies, \(otherBytes) of other records")
        try check(&store, model, counters: store.counters, "after the storm")
        print("after the storm: \(readingBytes) bytes of readings, \(copyBytes) bytes of copies (bound \(copyBound)), \(otherBytes) of markers; capacity \(capacity)")
    }

    func testTheIndexIsRebuiltWhenTheLogIsOpenedAgain() throws {
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        var model = Model()
        var random = SplitMix64(seed: 99)
        var counters = LogCounters()
        var t: Int64 = 0
        // Five processes over the same log; each reopen rebuilds the index from the device.
        for _ in 0..<5 {
            let storage = buffer()
            var store = try open(disk, storage)
            for _ in 0..<3_000 {
                t += 1
                try step(&store, &model, &random, t: t, alertPercent: 25)
            }
            try store.commit()
            counters.droppedReadings &+= store.counters.droppedReadings
            counters.supersededAlerts &+= store.counters.supersededAlerts
            counters.droppedAlerts &+= store.counters.droppedAlerts
            try check(&store, model, counters: counters, "process ending at \(t)")
        }
    }

    func testKeysBeyondTheIndexAreCopiedAsBeforeAndCounted() throws {
        // An index for 4 keys against 8 in use (2 sensors × 4 kinds), alerts rare enough that
        // every one of them fits the copy room: the keys it cannot track are copied at every drop
        // (an alert is never lost for want of a slot), and counted; the tracked ones keep one copy.
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let storage = buffer(alertKeys: 4)
        var store = try open(disk, storage, alertKeys: 4)
        var model = Model()
        var random = SplitMix64(seed: 3)
        for t in Int64(1)...3_000 { try step(&store, &model, &random, t: t, alertPercent: 2, sensors: 2) }
        try store.commit()
        XCTAssertGreaterThan(store.untrackedAlerts, 0)
        XCTAssertEqual(store.counters.droppedAlerts, 0)
        XCTAssertGreaterThan(store.counters.erasedSegments, UInt64(geometry.segmentCount * 3))
        let records = try readAll(&store)
        for (key, state) in model.newest {
            let newest = records.filter {
                guard let payload = $0.alert else { return false }
                return text(payload.name) == key.sensor && payload.alert.kind == key.kind
            }.max { $0.originalSequence < $1.originalSequence }
            XCTAssertEqual(newest?.timestampMs, state.timestampMs, "newest state of \(key)")
            XCTAssertEqual(newest?.type == .alert, state.raised, "newest state of \(key)")
        }
        XCTAssertEqual(UInt64(model.readings.count - records.filter { $0.type == .reading }.count), store.counters.droppedReadings)
    }

    func testADropThatMeetsNoSpaceIsFinishedLaterAndCountedOnce() throws {
        // "No space" from a later write on, for a stretch that holds rolls and drops: at some
        // starts it hits a drop after its copies and markers were placed and counted (its flush,
        // sync or erase). The drop is finished by a later roll without counting again, and the
        // counters stay exact against the model.
        var sawUnfinishedDrop = 0
        for delay in 0..<36 {
            let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
            let storage = buffer()
            var store = try open(disk, storage)
            var model = Model()
            var random = SplitMix64(seed: 17)
            var t: Int64 = 0
            for _ in 0..<1_500 {
                t += 1
                try step(&store, &model, &random, t: t, alertPercent: 25)
            }
            disk.noSpaceFromWrite = disk.writeCount + delay
            var refused = 0
            for _ in 0..<300 {
                t += 1
                do { try step(&store, &model, &random, t: t, alertPercent: 25) } catch LogAppendError.noSpace { refused += 1 }
                if store.droppingSegment >= 0 { sawUnfinishedDrop += 1 }
            }
            XCTAssertGreaterThan(refused, 0, "delay \(delay): the disk never ran out of space")
            disk.noSpaceFromWrite = nil
            for _ in 0..<1_000 {
                t += 1
                try step(&store, &model, &random, t: t, alertPercent: 25)
            }
            try store.commit()
            XCTAssertEqual(store.droppingSegment, -1, "delay \(delay): the drop was finished")
            try check(&store, model, counters: store.counters, "no space from write +\(delay)")
        }
        XCTAssertGreaterThan(sawUnfinishedDrop, 0, "no start hit a drop between its counting and its erase")
    }

    func testTheIndexFindsEveryKeyAfterReclaimingSlots() {
        // Fill the table, reclaim half by sequence, and check that every key left is still found
        // (backward-shift deletion keeps probe runs whole) and the reclaimed ones are gone.
        let keys = 40
        let raw = UnsafeMutableRawPointer.allocate(byteCount: LogAlertIndex.arenaBytes(after: 0, keys: keys) + 64, alignment: 16)
        defer { raw.deallocate() }
        var arena = Arena(base: raw, sizeBytes: LogAlertIndex.arenaBytes(after: 0, keys: keys) + 64)
        var index = LogAlertIndex(arena: &arena, keys: keys)
        func payload(_ i: Int) -> [UInt8] {
            let name = Array("k\(i * 7919 % 1000)".utf8)
            return [UInt8(name.count)] + name + [UInt8(i % 6)] + [UInt8](repeating: 0, count: 12)
        }
        for i in 1...keys {
            XCTAssertTrue(payload(i).withUnsafeBytes { index.note(payload: $0, sequence: UInt64(i), original: UInt64(i)) })
        }
        XCTAssertFalse(payload(keys + 1).withUnsafeBytes { index.note(payload: $0, sequence: 1_000, original: 1_000) }, "full")
        index.reclaim(atOrBelow: UInt64(keys / 2))
        XCTAssertEqual(index.count, keys - keys / 2)
        for i in 1...keys {
            let found = payload(i).withUnsafeBytes { index.newest(ofPayload: $0) }
            XCTAssertEqual(found?.sequence, i <= keys / 2 ? nil : UInt64(i), "key \(i)")
        }
        XCTAssertTrue(payload(keys + 1).withUnsafeBytes { index.note(payload: $0, sequence: 1_000, original: 999) })
        XCTAssertEqual(payload(keys + 1).withUnsafeBytes { index.newest(ofPayload: $0) }?.original, 999)
    }
}
