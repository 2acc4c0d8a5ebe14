/// Where the alert engine puts the alerts it raises and clears.
public protocol AlertSink {
    /// True while `emit` may be called; time-driven checks stop (and resume next tick) when false.
    var hasRoom: Bool { get }
    /// Takes one event; only called while `hasRoom`.
    mutating func emit(_ event: AlertEvent)
}

/// Constants of the alert rules (the reference design's values unless a profile changes them).
public struct AlertSettings: BitwiseCopyable, Sendable {
    /// A sensor with no reading for this long is offline.
    public var offlineAfterMs: Int64 = 300_000
    /// Battery below this (milli-percent) is low.
    public var lowBatteryMilliPercent: Int32 = 20_000
    /// Anomalous share of readings over 5 minutes above this (milli-fraction: 150 = 15 %).
    public var anomalyRateMilli: Int32 = 150
    /// Forest confidence above this (Q16: 58982 ≈ 0.9) makes an anomaly critical.
    public var criticalConfidenceQ16: UInt16 = 58_982

    public init() {}
}

/// Raises each alert once per episode and clears it when its condition ends.
public struct AlertEngine {
    public let settings: AlertSettings

    public init(arena: inout Arena, sensorCapacity: Int, settings: AlertSettings) {
        self.settings = settings
        // STUB
    }

    /// Arena bytes the engine takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, sensorCapacity: Int) -> Int { offset }

    /// Most events `observe` can emit for one reading (the pipeline reserves outbox room for them).
    public static let maxEventsPerReading = 2 * AlertKind.count
    // Must not exceed the pipeline's AlertBuffer (16 events).

    /// Updates the alert state of sensor `sensor` with a processed reading.
    public mutating func observe<Sink: AlertSink>(
        sensor: Int, reading: ProcessedReading, verdict: ThresholdVerdict, forest: ForestScore?,
        recentAnomalies: UInt32, recentReadings: UInt32, into sink: inout Sink
    ) {
        // STUB
    }

    /// Time-driven checks (offline sensors) for sensors 0..<sensorCount, while `sink.hasRoom`;
    /// a check cut short resumes where it stopped on the next call.
    public mutating func tick<Sink: AlertSink>(nowMs: Int64, sensorCount: Int, into sink: inout Sink) {
        // STUB
    }
}
