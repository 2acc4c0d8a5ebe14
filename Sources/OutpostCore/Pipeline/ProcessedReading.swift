/// A reading after the pipeline: normalised values plus the detectors' verdicts.
public struct ProcessedReading: BitwiseCopyable, Sendable, Equatable {
    /// Slot of the sensor in the sensor table (its name is kept there).
    public var sensorSlot: UInt16
    /// Overall status: the most urgent of the threshold detector and the forest.
    public var status: Status
    /// True when the forest flagged the reading (always false without a forest).
    public var anomaly: Bool
    /// Forest score s(x) in 0...65535 (= 0...1); 0 without a forest.
    public var scoreQ16: UInt16
    public var timestampMs: Int64
    public var features: FeatureVector
    /// Battery level in milli-percent, or nil.
    public var batteryMilliPercent: Int32?

    public init(
        sensorSlot: UInt16, status: Status, anomaly: Bool, scoreQ16: UInt16, timestampMs: Int64,
        features: FeatureVector, batteryMilliPercent: Int32?
    ) {
        self.sensorSlot = sensorSlot
        self.status = status
        self.anomaly = anomaly
        self.scoreQ16 = scoreQ16
        self.timestampMs = timestampMs
        self.features = features
        self.batteryMilliPercent = batteryMilliPercent
    }
}

/// What leaves the pipeline through the outbox, in order: the log and the uplink drain it.
public enum OutboxEvent: BitwiseCopyable, Sendable, Equatable {
    case reading(ProcessedReading)
    case alert(AlertEvent)
}
