/// The Isolation Forest's verdict on one sample.
public struct ForestScore: BitwiseCopyable, Sendable, Equatable {
    /// Anomaly score s(x) = 2^(−E[h(x)]/c(ψ)) in Q16 (65535 ≈ 1).
    public var scoreQ16: UInt16
    /// True when the sample's path sum is at most the model's path-sum threshold: the exact integer
    /// form of "score at or above the threshold score" (docs/MODEL_FORMAT.md).
    public var anomaly: Bool
    /// Confidence of an anomaly in Q16: 0.5 at the threshold rising to 1 at s = 1; 0 when normal.
    public var confidenceQ16: UInt16

    public init(scoreQ16: UInt16, anomaly: Bool, confidenceQ16: UInt16) {
        self.scoreQ16 = scoreQ16
        self.anomaly = anomaly
        self.confidenceQ16 = confidenceQ16
    }
}
