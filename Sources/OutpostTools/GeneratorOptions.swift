/// Settings of the reference sensor generator (`outpost-tool gen`).
public struct GeneratorOptions: Equatable {
    /// Number of sensors (`sensor-001`...).
    public var sensors = 100
    /// Length of the generated period in seconds.
    public var durationS: Double = 60
    /// Readings per second, per sensor.
    public var ratePerS: Double = 1
    /// Seed of every random choice; the same seed gives the same bytes.
    public var seed: UInt64 = 1
    /// Timestamp of the first reading (default 2026-01-01T00:00:00Z).
    public var startMs: Int64 = 1_767_225_600_000
    /// Probability that an anomaly starts at a reading of a sensor that is not in one.
    public var anomalyStartProbability = 0.05
    /// Mean length of an anomaly in seconds (exponentially distributed).
    public var anomalyMeanDurationS: Double = 30
    /// Only anomalies of this kind (`temperature`, `vibration`, `power`, `multiple`), or every kind
    /// equally likely when nil. The random draws are the same either way; only the kind is forced.
    public var anomalyKind: String? = nil
    /// The kinds `anomalyKind` takes.
    public static let anomalyKinds = ["temperature", "vibration", "power", "multiple"]
    /// Every n-th sensor (`sensor-005`, `sensor-010`, ... for 5) is mains powered: empty battery.
    public var mainsPoweredEvery = 5

    public init() {}

    /// Time between two readings of a sensor, in whole milliseconds (at least 1).
    public var intervalMs: Int64 {
        precondition(ratePerS > 0, "rate must be positive")
        return max(1, Int64((1000 / ratePerS).rounded()))
    }

    /// Number of reading times: every `intervalMs` from `startMs`, strictly before `durationS`.
    public var stepCount: Int {
        let durationMs = (durationS * 1000).rounded()
        return Int((durationMs / Double(intervalMs)).rounded(.up))
    }

    /// Expected share of rows labelled anomalous in the long run: an anomaly run has on average
    /// about `meanDuration / interval + 0.5` rows, and a normal run `(1 − p) / p` rows.
    public var expectedAnomalyShare: Double {
        let p = anomalyStartProbability
        if p <= 0 { return 0 }
        let anomalyRows = anomalyMeanDurationS * 1000 / Double(intervalMs) + 0.5
        let normalRows = (1 - p) / p
        return anomalyRows / (anomalyRows + normalRows)
    }
}
