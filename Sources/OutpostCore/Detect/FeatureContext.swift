/// One sensor's history of one quantity, in fixed point, for the context inputs of a model
/// (`ContextKind`): a running mean and variance and the previous value. 12 bytes; how many values
/// were folded in is kept beside it in `SensorContext.counts`. All integer, so every build (host
/// tools, firmware) computes the same bits.
///
/// Why its own running statistics rather than the window store's buckets: the windows are time
/// buckets whose set differs per profile, and their mean and σ need a pass over up to 43 buckets
/// and a square root per reading. A running mean depends only on the sequence of the sensor's
/// values, so `outpost-tool train` and `score` reproduce it from a CSV exactly, whatever the
/// profile, in O(1) per reading. (The time of the previous reading is the one the window store
/// keeps, `WindowStore.newestMs(sensor:)`.)
///
/// The mean and variance are cumulative for the first `horizonCount` values and then
/// exponentially weighted with α = 1/`horizonCount`. After `warmUpCount` values a deviation is
/// clipped before it is folded in (`fold`), so an anomaly lasting a few dozen readings does not
/// become the sensor's normal: the mean still follows a lasting change, by at most
/// `clipSigma` σ / `horizonCount` per reading.
///
/// Why 12 bytes: the medium profile's 1 MiB footprint had about 68 bytes per sensor to spare, so
/// five quantities take 5 × 12 + 5 count bytes; deeper lags did not fit.
public struct FeatureContext: BitwiseCopyable, Sendable {
    /// Running mean in core units × 16 (Q4); values are taken clamped to ±`valueLimit`.
    public var meanQ4: Int32
    /// Running variance in core units², saturating at `UInt32.max` (σ ≤ 65 535 core units).
    public var variance: UInt32
    /// The previous value (lag 1), in core units.
    public var previous: Int32

    /// No history (all-zero bytes, so a zeroed arena stays unwritten).
    public static var empty: FeatureContext { FeatureContext(meanQ4: 0, variance: 0, previous: 0) }

    /// Values after which the mean and variance stop being cumulative and weigh the newest value
    /// by 1/64: the history the z-score compares with is about the last 64 readings.
    public static let horizonCount: UInt8 = 64
    /// Values seen before the z-score is anything but 0 (the variance of fewer is too rough).
    public static let warmUpCount: UInt8 = 8
    /// Deviations beyond this many σ move the mean as this many σ (after the warm-up).
    public static let clipSigma: Int64 = 3
    /// Deviations beyond this many half σ (1.5 σ) count in the variance as that many (after the warm-up).
    public static let varianceClipSigmaHalves: Int64 = 3
    /// The smallest σ a z-score divides by: one core unit (16 in Q4), so a constant sensor gives
    /// large but finite z-scores.
    public static let sigmaFloorQ4: Int64 = 16
    /// z-scores are clamped to ±1000 σ (in milli-σ).
    public static let zLimitMilli: Int64 = 1_000_000
    /// Values enter the running mean clamped to ±2^27 core units, so the mean fits Int32 in Q4.
    public static let valueLimit: Int64 = 134_217_727
}
