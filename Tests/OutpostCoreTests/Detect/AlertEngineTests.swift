import OutpostCore
import OutpostProfiles
import XCTest

/// The alert engine: each kind raised once and cleared once per episode, no flapping at a bound,
/// escalation, offline detection through bounded ticks, and the per-reading event bound.
final class AlertEngineTests: XCTestCase {
    private var memory: [UnsafeMutableRawPointer] = []

    override func tearDown() {
        for block in memory { block.deallocate() }
        memory.removeAll()
        super.tearDown()
    }

    private func makeEngine(sensors: Int = 4, settings: AlertSettings = AlertSettings()) -> AlertEngine {
        let bytes = AlertEngine.arenaBytes(after: 0, sensorCapacity: sensors)
        let block = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 16), alignment: 16)
        memory.append(block)
        var arena = Arena(base: block, sizeBytes: bytes)
        let engine = AlertEngine(arena: &arena, sensorCapacity: sensors, settings: settings)
        XCTAssertEqual(arena.usedBytes, bytes, "arenaBytes must match what init carves")
        return engine
    }

    private func makeDetector(rules: ThresholdRules) -> ThresholdDetector {
        let bytes = ThresholdDetector.arenaBytes(after: 0, sensorCapacity: 1)
        let block = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        memory.append(block)
        var arena = Arena(base: block, sizeBytes: bytes)
        return ThresholdDetector(arena: &arena, rules: rules, sensorCapacity: 1)
    }

    /// Observes one reading and returns what it emitted.
    private func observe(
        _ engine: inout AlertEngine, sensor: Int = 0, timestampMs: Int64, verdict: ThresholdVerdict = .normal,
        forest: ForestScore? = nil, anomalies: UInt32 = 0, readings: UInt32 = 0, battery: Int32? = nil,
        features: FeatureVector = FeatureVector()
    ) -> [AlertEvent] {
        let reading = ProcessedReading(
            sensorSlot: UInt16(sensor), status: verdict.status, anomaly: forest?.anomaly ?? false,
            scoreQ16: forest?.scoreQ16 ?? 0, timestampMs: timestampMs, features: features,
            batteryMilliPercent: battery)
        var sink = CollectingSink()
        engine.observe(
            sensor: sensor, reading: reading, verdict: verdict, forest: forest, recentAnomalies: anomalies,
            recentReadings: readings, into: &sink)
        XCTAssertLessThanOrEqual(sink.events.count, AlertEngine.maxEventsPerReading)
        return sink.events
    }

    private func verdict(_ status: Status, _ feature: Feature = .temperature, value: Int32 = 0, bound: Int32 = 0) -> ThresholdVerdict {
        var verdict = ThresholdVerdict.normal
        verdict.status = status
        if status != .normal {
            verdict.feature = feature
            verdict.value = value
            verdict.bound = bound
        }
        return verdict
    }

    private func forest(anomaly: Bool, confidence: UInt16 = 0) -> ForestScore {
        ForestScore(scoreQ16: anomaly ? 40_000 : 20_000, anomaly: anomaly, confidenceQ16: anomaly ? confidence : 0)
    }

    // MARK: Threshold

    func testThresholdRaisesEscalatesAndClearsOnce() {
        var engine = makeEngine()
        let statuses: [Status] = [.normal, .normal, .warning, .warning, .warning, .alert, .alert, .warning, .alert, .warning, .normal, .normal, .normal]
        var events: [AlertEvent] = []
        for (step, status) in statuses.enumerated() {
            events += observe(&engine, timestampMs: Int64(step) * 1_000, verdict: verdict(status, .vibration, value: 2_500 + Int32(step), bound: 2_000))
        }
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events.map(\.raised), [true, true, false])
        XCTAssertEqual(events.map(\.severity), [.warning, .major, .major])
        XCTAssertTrue(events.allSatisfy { $0.kind == .threshold && $0.feature == .vibration && $0.sensorSlot == 0 })
        XCTAssertEqual(events[0].value, 2_502)
        XCTAssertEqual(events[0].threshold, 2_000)
        XCTAssertEqual(events[0].timestampMs, 2_000)
        XCTAssertEqual(events[1].timestampMs, 5_000)
        XCTAssertEqual(events[2].timestampMs, 10_000)
        XCTAssertFalse(engine.isActive(.threshold, sensor: 0))
        // A new episode raises again, at its own severity.
        let again = observe(&engine, timestampMs: 20_000, verdict: verdict(.alert, value: 46_000, bound: 45_000))
        XCTAssertEqual(again.count, 1)
        XCTAssertEqual(again.first?.severity, .major)
        XCTAssertEqual(again.first?.raised, true)
    }

    func testHoveringTemperatureThroughTheDetectorDoesNotFlap() {
        var rules = ReferenceRules.standard
        rules.debounceCount = 1
        var detector = makeDetector(rules: rules)
        var engine = makeEngine()
        var random = SplitMix(seed: 21)
        var events: [AlertEvent] = []
        var timestampMs: Int64 = 0
        func feed(_ value: Int32) {
            timestampMs += 1_000
            var features = FeatureVector()
            features[.temperature] = value
            let verdict = detector.evaluate(sensor: 0, timestampMs: timestampMs, features: features)
            events += observe(&engine, timestampMs: timestampMs, verdict: verdict, features: features)
        }
        // A warning first, then 1 000 readings hovering at the 45 °C alert bound (within its 0.5 °C
        // hysteresis).
        feed(44_600)
        for _ in 0..<1_000 { feed(Int32(44_600 + Int(random.next() % 801))) }
        for _ in 0..<100 { feed(30_000) }
        XCTAssertEqual(events.map(\.raised), [true, true, false])
        XCTAssertEqual(events.map(\.severity), [.warning, .major, .major])
        XCTAssertEqual(events[1].threshold, 45_000)
        XCTAssertGreaterThan(events[1].value, 45_000)
        XCTAssertEqual(events[2].value, 30_000, "the clear reports the value that cleared it")
        XCTAssertEqual(events[2].threshold, 45_000)
    }

    // MARK: Anomaly

    func testAnomalyClearsAfterThreeNormalForestVerdicts() {
        var engine = makeEngine()
        let pattern: [Bool?] = [false, true, false, true, false, false, nil, true, false, nil, false, false, false, false]
        var events: [AlertEvent] = []
        for (step, anomaly) in pattern.enumerated() {
            events += observe(&engine, timestampMs: Int64(step), forest: anomaly.map { forest(anomaly: $0, confidence: 40_000) })
        }
        XCTAssertEqual(events.map(\.raised), [true, false])
        XCTAssertTrue(events.allSatisfy { $0.kind == .anomaly && $0.feature == nil })
        XCTAssertEqual(events[0].severity, .warning)
        XCTAssertEqual(events[0].confidenceQ16, 40_000)
        XCTAssertEqual(events[0].timestampMs, 1)
        // Readings without a forest verdict (nil) neither count as normal nor reset the count.
        XCTAssertEqual(events[1].timestampMs, 11)
    }

    func testAnomalyEscalatesAtConfidenceThreeQuarters() {
        var engine = makeEngine()
        var events: [AlertEvent] = []
        for (step, confidence) in [UInt16(40_000), 49_151, 49_152, 40_000, 60_000].enumerated() {
            events += observe(&engine, timestampMs: Int64(step), forest: forest(anomaly: true, confidence: confidence))
                .filter { $0.kind == .anomaly }
        }
        XCTAssertEqual(events.map(\.severity), [.warning, .major])
        XCTAssertEqual(events.map(\.timestampMs), [0, 2])
        XCTAssertTrue(events.allSatisfy(\.raised))
    }

    // MARK: Critical

    func testCriticalFromLimitAndFromForestConfidence() {
        var engine = makeEngine(sensors: 2)
        var critical = ThresholdVerdict.normal
        critical.criticalFeature = .pressure
        critical.criticalValue = 2_000_500
        critical.criticalBound = 2_000_000
        var pressure = FeatureVector()
        pressure[.pressure] = 2_000_500
        let raised = observe(&engine, timestampMs: 1, verdict: critical, features: pressure)
        XCTAssertEqual(raised.count, 1)
        XCTAssertEqual(raised[0].kind, .critical)
        XCTAssertEqual(raised[0].severity, .critical)
        XCTAssertEqual(raised[0].feature, .pressure)
        XCTAssertEqual(raised[0].value, 2_000_500)
        XCTAssertEqual(raised[0].threshold, 2_000_000)
        // Forest confidence: at the limit (58 982) is not above it.
        let atLimit = observe(&engine, sensor: 1, timestampMs: 1, forest: forest(anomaly: true, confidence: 58_982))
        XCTAssertFalse(atLimit.contains { $0.kind == .critical })
        let above = observe(&engine, sensor: 1, timestampMs: 2, forest: forest(anomaly: true, confidence: 58_983))
        XCTAssertEqual(above.filter { $0.kind == .critical }.count, 1)
        let event = above.first { $0.kind == .critical }!
        XCTAssertNil(event.feature)
        XCTAssertEqual(event.value, 58_983)
        XCTAssertEqual(event.threshold, 58_982)
        XCTAssertEqual(event.confidenceQ16, 58_983)
        XCTAssertEqual(event.sensorSlot, 1)
    }

    func testCriticalClearsAfterThreeQuietReadingsWithoutFlapping() {
        var engine = makeEngine()
        var critical = ThresholdVerdict.normal
        critical.criticalFeature = .humidity
        critical.criticalValue = 91_000
        critical.criticalBound = 90_000
        let pattern = [true, false, true, false, false, true, false, false, false, false, false]
        var events: [AlertEvent] = []
        for (step, isCritical) in pattern.enumerated() {
            var humidity = FeatureVector()
            humidity[.humidity] = isCritical ? 91_000 : 85_000
            events += observe(&engine, timestampMs: Int64(step), verdict: isCritical ? critical : .normal, features: humidity)
        }
        XCTAssertEqual(events.map(\.raised), [true, false])
        XCTAssertEqual(events[1].timestampMs, 8)
        XCTAssertEqual(events[1].feature, .humidity)
        XCTAssertEqual(events[1].value, 85_000)
        XCTAssertEqual(events[1].threshold, 90_000)
    }

    // MARK: Anomaly rate

    func testAnomalyRateNeedsTwentyReadingsAndClearsTwoPercentLower() {
        var engine = makeEngine()
        // (anomalies, readings, expected event: nil none, true raise, false clear)
        let steps: [(UInt32, UInt32, Bool?)] = [
            (19, 19, nil),  // 100 % but fewer than 20 readings
            (3, 20, nil),  // 150 ‰ is not above 150 ‰
            (4, 20, true),  // 200 ‰
            (4, 20, nil), (30, 100, nil),
            (27, 200, nil),  // 135 ‰: above 130 ‰
            (26, 200, false),  // 130 ‰: cleared
            (27, 200, nil), (30, 200, nil),  // 150 ‰ again: not above
            (31, 200, true),
            (1, 10, false),  // clearing needs no minimum count
        ]
        for (step, (anomalies, readings, expected)) in steps.enumerated() {
            let events = observe(&engine, timestampMs: Int64(step), anomalies: anomalies, readings: readings)
            XCTAssertEqual(events.first?.raised, expected, "step \(step)")
            XCTAssertLessThanOrEqual(events.count, 1)
            if let event = events.first {
                XCTAssertEqual(event.kind, .anomalyRate)
                XCTAssertEqual(event.severity, .major)
                XCTAssertEqual(event.value, Int32(anomalies * 1_000 / readings))
                XCTAssertEqual(event.threshold, 150)
            }
        }
    }

    // MARK: Battery

    func testLowBatteryHysteresis() {
        var engine = makeEngine()
        let levels: [Int32?] = [50_000, 20_000, 19_999, 20_001, 19_000, nil, 24_999, 22_000, 25_000, 24_000, 19_999]
        var events: [AlertEvent] = []
        for (step, level) in levels.enumerated() {
            events += observe(&engine, timestampMs: Int64(step), battery: level)
        }
        XCTAssertEqual(events.map(\.raised), [true, false, true])
        XCTAssertEqual(events.map(\.timestampMs), [2, 8, 10])
        XCTAssertEqual(events.map(\.value), [19_999, 25_000, 19_999])
        XCTAssertTrue(events.allSatisfy { $0.kind == .lowBattery && $0.severity == .warning && $0.threshold == 20_000 })
    }

    // MARK: Offline

    func testOfflineRaisedByTickAndClearedByNextReading() {
        var engine = makeEngine(sensors: 3)
        _ = observe(&engine, sensor: 0, timestampMs: 1_000_000)
        _ = observe(&engine, sensor: 1, timestampMs: 1_100_000)
        var sink = CollectingSink()
        // Sensor 2 never reported: it is never offline.
        engine.tick(nowMs: 1_299_999, sensorCount: 3, into: &sink)
        XCTAssertTrue(sink.events.isEmpty)
        engine.tick(nowMs: 1_300_000, sensorCount: 3, into: &sink)
        XCTAssertEqual(sink.events.count, 1)
        XCTAssertEqual(sink.events[0].kind, .offline)
        XCTAssertEqual(sink.events[0].sensorSlot, 0)
        XCTAssertEqual(sink.events[0].value, 300)
        XCTAssertEqual(sink.events[0].threshold, 300)
        XCTAssertEqual(sink.events[0].timestampMs, 1_300_000)
        // Raised once however many ticks follow.
        for step in 1...50 { engine.tick(nowMs: 1_300_000 + Int64(step) * 3_000, sensorCount: 3, into: &sink) }
        XCTAssertEqual(sink.events.filter { $0.sensorSlot == 0 }.count, 1)
        XCTAssertEqual(sink.events.filter { $0.sensorSlot == 1 }.count, 1, "sensor 1 went silent at 1 400 000")
        XCTAssertFalse(sink.events.contains { $0.sensorSlot == 2 })
        let back = observe(&engine, sensor: 0, timestampMs: 1_500_000)
        XCTAssertEqual(back.count, 1)
        XCTAssertEqual(back[0].kind, .offline)
        XCTAssertFalse(back[0].raised)
        XCTAssertEqual(back[0].value, 500, "seconds of silence")
        XCTAssertTrue(observe(&engine, sensor: 0, timestampMs: 1_501_000).isEmpty)
        XCTAssertFalse(engine.isActive(.offline, sensor: 0))
        XCTAssertTrue(engine.isActive(.offline, sensor: 1))
    }

    func testOfflineTickResumesWhenTheSinkRunsOutOfRoom() {
        let sensors = 7
        var engine = makeEngine(sensors: sensors)
        for sensor in 0..<sensors { _ = observe(&engine, sensor: sensor, timestampMs: 0) }
        var seen: [UInt16] = []
        var ticks = 0
        // Room for 2 events per tick: 7 offline sensors take 4 ticks, each raised once.
        while seen.count < sensors && ticks < 10 {
            var sink = CollectingSink(limit: 2)
            engine.tick(nowMs: 400_000 + Int64(ticks), sensorCount: sensors, into: &sink)
            XCTAssertLessThanOrEqual(sink.events.count, 2)
            seen += sink.events.map(\.sensorSlot)
            ticks += 1
        }
        XCTAssertEqual(ticks, 4)
        XCTAssertEqual(seen.sorted(), (0..<sensors).map { UInt16($0) })
        // Nothing more to raise, and a sink with no room is left untouched.
        var empty = CollectingSink(limit: 0)
        engine.tick(nowMs: 500_000, sensorCount: sensors, into: &empty)
        XCTAssertTrue(empty.events.isEmpty)
        var sink = CollectingSink()
        engine.tick(nowMs: 500_000, sensorCount: sensors, into: &sink)
        XCTAssertTrue(sink.events.isEmpty)
    }

    func testTickWithNoRoomDefersEverything() {
        var engine = makeEngine(sensors: 3)
        for sensor in 0..<3 { _ = observe(&engine, sensor: sensor, timestampMs: 0) }
        var none = CollectingSink(limit: 0)
        engine.tick(nowMs: 1_000_000, sensorCount: 3, into: &none)
        XCTAssertTrue(none.events.isEmpty)
        XCTAssertFalse(engine.isActive(.offline, sensor: 0))
        var sink = CollectingSink()
        engine.tick(nowMs: 1_000_000, sensorCount: 3, into: &sink)
        XCTAssertEqual(sink.events.count, 3)
    }

    // MARK: Bounds and many sensors

    func testAllKindsInOneReadingStayWithinTheBound() {
        var engine = makeEngine()
        _ = observe(&engine, timestampMs: 0)
        var sink = CollectingSink()
        engine.tick(nowMs: 400_000, sensorCount: 1, into: &sink)
        XCTAssertEqual(sink.events.count, 1)
        var critical = verdict(.alert, value: 81_000, bound: 45_000)
        critical.criticalFeature = .temperature
        critical.criticalValue = 81_000
        critical.criticalBound = 80_000
        let events = observe(
            &engine, timestampMs: 400_001, verdict: critical, forest: forest(anomaly: true, confidence: 60_000),
            anomalies: 20, readings: 20, battery: 1_000)
        XCTAssertEqual(events.count, AlertKind.count)
        XCTAssertEqual(events.count, AlertEngine.maxEventsPerReading, "the bound is tight")
        XCTAssertEqual(events.map(\.kind), [.offline, .threshold, .anomaly, .critical, .anomalyRate, .lowBattery])
        XCTAssertLessThanOrEqual(AlertEngine.maxEventsPerReading, 16, "the pipeline's AlertBuffer holds 16")
    }

    /// Random inputs for many sensors: every event respects the episode rules (raise, escalations
    /// of strictly higher severity, one clear), and every sensor only sees its own events.
    func testRandomStreamsKeepEpisodesWellFormed() {
        let sensors = 40
        var engine = makeEngine(sensors: sensors)
        var random = SplitMix(seed: 99)
        // Per sensor and kind: the severity of the open episode, or nil.
        var open = [[Severity?]](repeating: [Severity?](repeating: nil, count: AlertKind.count), count: sensors)
        var raisedCount = 0
        var clearedCount = 0
        var timestampMs: Int64 = 0
        func check(_ event: AlertEvent, sensor: Int) {
            XCTAssertEqual(Int(event.sensorSlot), sensor)
            let kind = Int(event.kind.rawValue)
            if event.raised {
                if let severity = open[sensor][kind] {
                    XCTAssertGreaterThan(event.severity, severity, "re-raise must escalate")
                } else {
                    raisedCount += 1
                }
                open[sensor][kind] = event.severity
            } else {
                XCTAssertEqual(open[sensor][kind], event.severity, "clear of an open episode, at its severity")
                open[sensor][kind] = nil
                clearedCount += 1
            }
        }
        for step in 0..<30_000 {
            timestampMs += Int64(random.next() % 20_000)
            if step % 50 == 0 {
                var sink = CollectingSink(limit: Int(random.next() % 6))
                engine.tick(nowMs: timestampMs, sensorCount: sensors, into: &sink)
                for event in sink.events {
                    XCTAssertEqual(event.kind, .offline)
                    check(event, sensor: Int(event.sensorSlot))
                }
            }
            // A few sensors report often, the others rarely (so they go offline).
            let sensor = random.next() % 4 == 0 ? Int(random.next() % UInt64(sensors)) : Int(random.next() % 4)
            var current = verdict(Status(rawValue: UInt8(random.next() % 3))!, value: 40_000, bound: 35_000)
            if random.next() % 10 == 0 {
                current.criticalFeature = .pressure
                current.criticalValue = 2_100_000
                current.criticalBound = 2_000_000
            }
            let score = random.next() % 3 == 0 ? nil : forest(anomaly: random.next() % 3 == 0, confidence: UInt16(32_768 + random.next() % 32_768))
            let readings = UInt32(random.next() % 60)
            let anomalies = readings == 0 ? 0 : UInt32(random.next() % UInt64(readings))
            let battery: Int32? = random.next() % 2 == 0 ? Int32(15_000 + Int(random.next() % 15_000)) : nil
            for event in observe(&engine, sensor: sensor, timestampMs: timestampMs, verdict: current, forest: score, anomalies: anomalies, readings: readings, battery: battery) {
                check(event, sensor: sensor)
            }
        }
        XCTAssertGreaterThan(raisedCount, 100)
        XCTAssertGreaterThan(clearedCount, 100)
        // The engine's active set matches the episodes still open.
        for sensor in 0..<sensors {
            for kind in 0..<AlertKind.count {
                XCTAssertEqual(engine.isActive(AlertKind(rawValue: UInt8(kind))!, sensor: sensor), open[sensor][kind] != nil)
            }
        }
    }

    func testArenaAccountingAndStateSize() {
        XCTAssertEqual(MemoryLayout<AlertEngine.SensorState>.stride, 24)
        let block = UnsafeMutableRawPointer.allocate(byteCount: 4_096, alignment: 16)
        defer { block.deallocate() }
        var arena = Arena(base: block, sizeBytes: 4_096)
        _ = arena.carve(3, of: UInt8(0))
        let expected = AlertEngine.arenaBytes(after: arena.usedBytes, sensorCapacity: 9)
        _ = AlertEngine(arena: &arena, sensorCapacity: 9, settings: AlertSettings())
        XCTAssertEqual(arena.usedBytes, expected)
    }
}

/// Collects events, with an optional room limit.
private struct CollectingSink: AlertSink {
    var events: [AlertEvent] = []
    var limit = Int.max
    var hasRoom: Bool { events.count < limit }
    mutating func emit(_ event: AlertEvent) {
        XCTAssertTrue(hasRoom, "emit called without room")
        events.append(event)
    }
}

/// SplitMix64: a small seeded generator, so the random tests are reproducible.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }
}
