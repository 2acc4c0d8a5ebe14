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
    /// The forest's decision threshold as a Q16 score, reported as the `threshold` of anomaly
    /// alerts (the pipeline sets it from the model; 0 without a forest).
    public var anomalyThresholdQ16: Int32 = 0

    public init() {}
}
