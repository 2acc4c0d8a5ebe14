/// Why the pipeline did not take a reading.
public enum RefusalReason: UInt8, BitwiseCopyable, Sendable {
    /// The sensor table is full and the sensor is new.
    case sensorTableFull = 0
    /// The outbox has no room for the reading and the alerts it may raise: drain it first.
    case outboxFull = 1
    /// The log cannot keep the readings (and the alerts they may raise) now: the server's
    /// admission, before anything is acknowledged (never returned by `process`).
    case logFull = 2
}

/// The result of offering a reading to the pipeline.
public enum ProcessOutcome: Equatable, Sendable {
    case accepted(ProcessedReading)
    case refused(RefusalReason)
}

/// Counters of the pipeline, for health and metrics.
public struct PipelineCounters: BitwiseCopyable, Sendable {
    public var readingsAccepted: UInt64 = 0
    public var refusedSensorTableFull: UInt64 = 0
    public var refusedOutboxFull: UInt64 = 0
    public var anomalies: UInt64 = 0
    public var alertsRaised: UInt64 = 0
    public var alertsCleared: UInt64 = 0
    /// Readings whose timestamp was more than `Pipeline.clockSkewBoundMs` from their arrival time
    /// (the sensor's clock is unset, drifted, or it uploads an old buffer). They are taken as sent;
    /// the count is for `/health` and `/metrics`, so an operator sees the clock problem.
    public var clockSkew: UInt64 = 0
    /// Sensors forgotten so that a new sensor could take their index (`Pipeline+Evict`).
    public var sensorsEvicted: UInt64 = 0
    public init() {}
}

/// The core of Outpost: normalised readings in, verdicts, statistics and alerts out.
///
/// Per reading: look the sensor up, run the threshold detector and the forest, update the rolling
/// windows, let the alert engine raise or clear alerts, and queue the processed reading and its
/// alerts in the outbox. Every table is fixed at start-up; `process` never allocates.
public struct Pipeline<P: Profile> {
    public var sensors: SensorTable
    public var detector: ThresholdDetector
    public var windows: WindowStore
    /// Each sensor's history for the running model's context inputs (empty when the profile
    /// keeps none, `P.contextSensorCount` = 0).
    public var contexts: ContextStore
    public var alerts: AlertEngine
    /// The running forest; replaced whole between readings by `install(_:origin:nowMs:)`.
    public internal(set) var forest: ForestModel?
    public var outbox: P.Outbox
    public var counters = PipelineCounters()
    /// When `forest` was taken and the model files taken or refused, for `/health`.
    public var model = ModelStatus()
    /// Silence (gateway clock) after which a sensor whose offline alert is raised may give its
    /// index to a new sensor when the table is full; 0: never (`Pipeline+Evict`).
    public var sensorEvictAfterMs: Int64 = Pipeline.defaultSensorEvictAfterMs
    /// Recent readings judged normal, for the on-board learner (`Pipeline+Learn`): carved by
    /// `startLearning` only when learning is on (like the model slots), empty otherwise.
    public var retrainSample = RetrainSample()

    /// Builds the pipeline in `arena`, which must hold `arenaBytesRequired` bytes.
    public init(arena: inout Arena) {
        let start = arena.usedBytes
        let capacity = P.sensorCapacity
        sensors = SensorTable(arena: &arena, slotCount: P.sensorSlotCount, capacity: capacity)
        detector = ThresholdDetector(arena: &arena, rules: P.rules, sensorCapacity: capacity, overrideCapacity: P.thresholdOverrideCount)
        windows = WindowStore(arena: &arena, windows: P.windows, sensorCapacity: capacity)
        contexts = ContextStore(arena: &arena, sensorCapacity: Pipeline.contextPossible ? P.contextSensorCount : 0)
        if let bytes = P.modelBytes {
            do {
                forest = try ForestModel(bytes: bytes)
            } catch {
                // The model is baked into the build and checked by the tests: a bad one is a
                // broken build, not a run-time condition.
                preconditionFailure("the profile's baked model does not load")
            }
        } else {
            forest = nil
        }
        var settings = AlertSettings()
        if let forest { settings.anomalyThresholdQ16 = Int32(truncatingIfNeeded: min(forest.thresholdScoreQ16, 65_535)) }
        alerts = AlertEngine(arena: &arena, sensorCapacity: capacity, settings: settings)
        outbox = P.Outbox()
        // Paired with `arenaBytesRequired`: the footprint we state is the footprint we carve.
        precondition(arena.usedBytes - start <= Pipeline.arenaBytesRequired, "arena accounting out of step")
    }

    /// Arena bytes a pipeline of this profile carves (computed from 0; alignment padding included).
    public static var arenaBytesRequired: Int {
        let capacity = P.sensorCapacity
        var bytes = SensorTable.arenaBytes(after: 0, slotCount: P.sensorSlotCount, capacity: capacity)
        bytes = ThresholdDetector.arenaBytes(after: bytes, sensorCapacity: capacity, overrideCapacity: P.thresholdOverrideCount)
        bytes = WindowStore.arenaBytes(after: bytes, windows: P.windows, sensorCapacity: capacity)
        bytes = ContextStore.arenaBytes(after: bytes, sensorCapacity: Pipeline.contextPossible ? P.contextSensorCount : 0)
        bytes = AlertEngine.arenaBytes(after: bytes, sensorCapacity: capacity)
        return bytes
    }

    /// Static RAM of the core state: the arena regions plus the pipeline value itself.
    public static var footprintBytes: Int { arenaBytesRequired + MemoryLayout<Pipeline<P>>.size }

    /// Events the outbox must have free before a reading is taken.
    public static var outboxRoomPerReading: Int { 1 + AlertEngine.maxEventsPerReading }

    /// How far (either way) a reading's timestamp may be from its arrival time before it counts as
    /// clock skew: one hour. Sensors that buffer through an outage of less than that are not
    /// flagged; a sensor without a real-time clock (timestamps near 1970) always is.
    public static var clockSkewBoundMs: Int64 { 3_600_000 }

    /// Runs one reading through the pipeline. `arrivalMs` is when it arrived on the gateway's
    /// clock (offline detection uses it, and a timestamp far from it is counted as clock skew);
    /// nil for replays of recorded data, where the reading's timestamp is the clock.
    /// - Complexity: O(trees × depth) for the forest, O(1) for the rest.
    public mutating func process(_ reading: Reading, arrivalMs: Int64? = nil) -> ProcessOutcome {
        if P.Outbox.capacityEvents - outbox.count < Pipeline.outboxRoomPerReading {
            counters.refusedOutboxFull &+= 1
            return .refused(.outboxFull)
        }
        let sensor: Int
        switch sensors.findOrInsert(reading.sensor) {
        case .found(let index): sensor = index
        case .inserted(let index):
            sensor = index
            detector.resolve(sensor: index, name: reading.sensor)
            if Pipeline.contextPossible { contexts.reset(sensor: index) }
        case .full:
            guard let index = evict(for: reading.sensor, nowMs: arrivalMs ?? reading.timestampMs) else {
                counters.refusedSensorTableFull &+= 1
                return .refused(.sensorTableFull)
            }
            sensor = index
            detector.resolve(sensor: index, name: reading.sensor)
        }
        let verdict = detector.evaluate(sensor: sensor, timestampMs: reading.timestampMs, features: reading.features)
        // Folded at compile time: a profile without a baked model or model slots links no forest
        // code, one that keeps no sensor history no context code.
        let score: ForestScore?
        if !Pipeline.forestPossible {
            score = nil
        } else if Pipeline.contextPossible && forest?.usesContext == true {
            let context = contexts.pointer(sensor: sensor)
            score = forest?.score(
                core: reading.features, timestampMs: reading.timestampMs, previousMs: windows.newestMs(sensor: sensor), context: &context.pointee)
        } else {
            score = forest?.score(core: reading.features)
        }
        var status = verdict.status
        let anomaly = score?.anomaly ?? false
        if anomaly {
            counters.anomalies &+= 1
            if status < .warning { status = .warning }
        }
        if verdict.criticalFeature != nil { status = .alert }
        // Folded at compile time: a profile that does not learn links none of the sampling.
        if P.retrainSampleCount > 0 && status == .normal && !anomaly {
            retrainSample.observe(reading.features, forest: forest)
        }
        let processed = ProcessedReading(
            sensorSlot: UInt16(truncatingIfNeeded: sensor), status: status, anomaly: anomaly,
            scoreQ16: score?.scoreQ16 ?? 0, timestampMs: reading.timestampMs, features: reading.features,
            batteryMilliPercent: reading.batteryMilliPercent)
        windows.record(sensor: sensor, timestampMs: reading.timestampMs, features: reading.features, status: status, anomaly: anomaly)
        let recent = windows.statusCounts(sensor: sensor, span: .fiveMinutes, nowMs: reading.timestampMs)
        let queued = outbox.tryAppend(.reading(processed))
        precondition(queued, "outbox room was checked above")
        counters.readingsAccepted &+= 1
        if let arrivalMs {
            let (skewMs, overflow) = reading.timestampMs.subtractingReportingOverflow(arrivalMs)
            if overflow || skewMs > Pipeline.clockSkewBoundMs || skewMs < -Pipeline.clockSkewBoundMs { counters.clockSkew &+= 1 }
        }
        var raised = AlertBuffer()
        alerts.observe(
            sensor: sensor, reading: processed, arrivalMs: arrivalMs, verdict: verdict, forest: score,
            recentAnomalies: recent.anomalyCount, recentReadings: recent.readingCount, into: &raised)
        queue(&raised)
        return .accepted(processed)
    }

    /// Time-driven work (offline detection); call once per loop tick with the current time.
    /// Bounded: checks at most the sensors whose alerts fit the free outbox room this tick.
    public mutating func tick(nowMs: Int64) {
        var raised = AlertBuffer()
        let room = P.Outbox.capacityEvents - outbox.count
        raised.limit = min(room, AlertBuffer.capacityEvents)
        alerts.tick(nowMs: nowMs, sensorCount: sensors.count, into: &raised)
        queue(&raised)
    }

    mutating func queue(_ raised: inout AlertBuffer) {
        while let event = raised.events.popFirst() {
            let queued = outbox.tryAppend(.alert(event))
            precondition(queued, "outbox room was reserved for alerts")
            if event.raised { counters.alertsRaised &+= 1 } else { counters.alertsCleared &+= 1 }
        }
    }
}

/// A small fixed buffer the alert engine emits into; the pipeline moves it to the outbox.
struct AlertBuffer: AlertSink {
    static let capacityEvents = 16
    var events = Ring<16, AlertEvent>(filler: AlertEvent(
        raised: false, kind: .threshold, severity: .warning, sensorSlot: 0, feature: nil, value: 0,
        threshold: 0, confidenceQ16: 0, timestampMs: 0))
    var limit = AlertBuffer.capacityEvents

    var hasRoom: Bool { events.count < limit }

    mutating func emit(_ event: AlertEvent) {
        precondition(hasRoom, "alert engine emitted past the sink's room")
        events.append(event)
    }
}
