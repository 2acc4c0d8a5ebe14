/// Raises each alert once per episode and clears it when its condition ends.
///
/// Per sensor and `AlertKind` an episode starts with one raised event and ends with one cleared
/// event; in between the threshold and anomaly kinds may emit further raised events, each with a
/// higher severity than any before in the episode (escalation). A milder severity during an episode
/// emits nothing. Conditions and their hysteresis (what keeps a hovering value from flapping):
///
/// - threshold: the detector's `verdict.status` (warning → `.warning`, alert → `.major`); clears
///   when the status is normal again. The detector already applies hysteresis and debounce.
/// - anomaly: the forest flags the reading (`.major` from confidence 0.75); clears after
///   `quietReadingsToClear` consecutive normal forest verdicts.
/// - critical: a critical limit is crossed or the forest's confidence exceeds
///   `settings.criticalConfidenceQ16`; clears after `quietReadingsToClear` readings without either.
/// - anomalyRate: over the 5-minute window (at least `minimumRateReadings` readings) more than
///   `settings.anomalyRateMilli` of the readings were anomalies; clears at ≤ that rate − 2 %.
/// - lowBattery: battery below `settings.lowBatteryMilliPercent`; clears at ≥ it + 5 %.
/// - offline: found by `tick` after `settings.offlineAfterMs` of silence on the gateway's clock
///   (arrival times, never the readings' own timestamps: a sensor without a real-time clock, or one
///   uploading its buffer after an outage, sends timestamps far in the past while it is plainly
///   online); the next reading to arrive clears it.
public struct AlertEngine {
    public internal(set) var settings: AlertSettings
    /// Most sensors the engine holds state for (dense indices 0..<sensorCapacity).
    public let sensorCapacity: Int
    @usableFromInline let states: UnsafeMutableBufferPointer<SensorState>
    /// Next sensor the offline check looks at (round-robin across ticks).
    public private(set) var offlineCursor: Int = 0

    /// Consecutive quiet readings that clear an anomaly or critical alert.
    public static let quietReadingsToClear: UInt8 = 3
    /// Forest confidence (Q16) from which an anomaly is `.major` (0.75).
    public static let majorConfidenceQ16: UInt16 = 49_152
    /// Fewest readings in the 5-minute window for the anomaly rate to raise (noise guard).
    public static let minimumRateReadings: UInt32 = 20
    /// The anomaly rate clears this far (milli-fraction, 2 %) below its raising threshold.
    public static let anomalyRateHysteresisMilli: Int32 = 20
    /// The battery alert clears this far (milli-percent, 5 %) above its raising threshold.
    public static let batteryHysteresisMilliPercent: Int32 = 5_000

    public init(arena: inout Arena, sensorCapacity: Int, settings: AlertSettings) {
        precondition(sensorCapacity > 0, "the engine needs room for at least one sensor")
        precondition(settings.offlineAfterMs > 0, "offlineAfterMs must be positive")
        precondition(settings.anomalyRateMilli >= 0 && settings.anomalyRateMilli <= 1000, "anomaly rate is a milli-fraction")
        self.settings = settings
        self.sensorCapacity = sensorCapacity
        states = arena.carve(sensorCapacity, of: SensorState.initial)
    }

    /// Arena bytes the engine takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, sensorCapacity: Int) -> Int {
        Arena.bytes(after: offset, sensorCapacity, of: SensorState.self)
    }

    /// Most events `observe` can emit for one reading (the pipeline reserves outbox room for
    /// them): at most one per kind (a raise, an escalation or a clear).
    public static let maxEventsPerReading = AlertKind.count
    // Must not exceed the pipeline's AlertBuffer (16 events).

    /// The alert state of sensor `sensor`.
    public func state(sensor: Int) -> SensorState {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        return states[sensor]
    }

    /// True while an alert of `kind` is raised for sensor `sensor`.
    public func isActive(_ kind: AlertKind, sensor: Int) -> Bool { state(sensor: sensor).isActive(kind) }

    /// Updates the alert state of sensor `sensor` with a processed reading that arrived at
    /// `arrivalMs` on the gateway's clock (nil: the reading's own timestamp, for replays of recorded
    /// data where the readings' time is the only clock).
    ///
    /// `sink` must have room for `maxEventsPerReading` events. Events come in `AlertKind` order,
    /// except that clearing `.offline` comes first.
    /// - Complexity: O(1).
    public mutating func observe<Sink: AlertSink>(
        sensor: Int, reading: ProcessedReading, arrivalMs: Int64? = nil, verdict: ThresholdVerdict, forest: ForestScore?,
        recentAnomalies: UInt32, recentReadings: UInt32, into sink: inout Sink
    ) {
        precondition(sensor >= 0 && sensor < sensorCapacity, "sensor index out of range")
        var state = states[sensor]
        let slot = UInt16(truncatingIfNeeded: sensor)
        let timestampMs = reading.timestampMs
        // Offline is a matter of the gateway's clock: `tick` compares `lastSeenMs` with its `nowMs`.
        let arrived = arrivalMs ?? timestampMs
        if state.isActive(.offline) {
            state.setActive(.offline, false)
            AlertEngine.emit(
                AlertEvent(
                    raised: false, kind: .offline, severity: .warning, sensorSlot: slot, feature: nil,
                    value: AlertEngine.seconds(from: state.lastSeenMs, to: arrived),
                    threshold: AlertEngine.seconds(from: 0, to: settings.offlineAfterMs), confidenceQ16: 0,
                    timestampMs: arrived),
                into: &sink)
        }
        if arrived > state.lastSeenMs { state.lastSeenMs = arrived }
        observeThreshold(&state, slot: slot, reading: reading, verdict: verdict, into: &sink)
        if let forest { observeAnomaly(&state, slot: slot, timestampMs: timestampMs, forest: forest, into: &sink) }
        observeCritical(&state, slot: slot, reading: reading, verdict: verdict, forest: forest, into: &sink)
        observeAnomalyRate(
            &state, slot: slot, timestampMs: timestampMs, anomalies: recentAnomalies, readings: recentReadings,
            into: &sink)
        if let battery = reading.batteryMilliPercent {
            observeBattery(&state, slot: slot, timestampMs: timestampMs, batteryMilliPercent: battery, into: &sink)
        }
        states[sensor] = state
    }

    /// Time-driven checks (offline sensors) for sensors 0..<sensorCount, while `sink.hasRoom`;
    /// a check cut short resumes where it stopped on the next call.
    /// - Complexity: O(`sensorCount`) at most; one check per sensor per call.
    public mutating func tick<Sink: AlertSink>(nowMs: Int64, sensorCount: Int, into sink: inout Sink) {
        precondition(sensorCount >= 0 && sensorCount <= sensorCapacity, "sensor count out of range")
        if sensorCount == 0 { return }
        if offlineCursor >= sensorCount { offlineCursor = 0 }
        for _ in 0..<sensorCount {
            guard sink.hasRoom else { return }
            let sensor = offlineCursor
            offlineCursor = sensor + 1 == sensorCount ? 0 : sensor + 1
            var state = states[sensor]
            // A sensor never heard from has nothing to go silent on.
            if state.lastSeenMs == Int64.min || state.isActive(.offline) { continue }
            let (silenceMs, overflow) = nowMs.subtractingReportingOverflow(state.lastSeenMs)
            if overflow || silenceMs < settings.offlineAfterMs { continue }
            state.setActive(.offline, true)
            states[sensor] = state
            AlertEngine.emit(
                AlertEvent(
                    raised: true, kind: .offline, severity: .warning, sensorSlot: UInt16(truncatingIfNeeded: sensor),
                    feature: nil, value: AlertEngine.seconds(from: state.lastSeenMs, to: nowMs),
                    threshold: AlertEngine.seconds(from: 0, to: settings.offlineAfterMs), confidenceQ16: 0,
                    timestampMs: nowMs),
                into: &sink)
        }
    }

    /// Whole seconds from `startMs` to `endMs` (0 when negative), saturated to `Int32`.
    @inline(__always)
    static func seconds(from startMs: Int64, to endMs: Int64) -> Int32 {
        let (elapsedMs, overflow) = endMs.subtractingReportingOverflow(startMs)
        if overflow { return Int32.max }
        return elapsedMs <= 0 ? 0 : (elapsedMs / 1000).saturatingInt32
    }

    @inline(__always)
    static func emit<Sink: AlertSink>(_ event: AlertEvent, into sink: inout Sink) {
        // The pipeline reserves `maxEventsPerReading`; running out is a broken contract, not load.
        precondition(sink.hasRoom, "alert sink has no room")
        sink.emit(event)
    }
}
