/// A fixed-bucket latency histogram in nanoseconds (Prometheus histogram semantics: bucket i counts
/// observations ≤ `bounds[i]`, cumulated when rendered), fed by the daemon once per tick.
public struct MetricsHistogram: BitwiseCopyable, Sendable {
    /// Number of finite buckets.
    public static let bucketCount = 12

    /// Upper bounds of the finite buckets in nanoseconds: 10 µs ... 250 ms.
    public static func bound(_ index: Int) -> UInt64 {
        switch index {
        case 0: return 10_000
        case 1: return 25_000
        case 2: return 50_000
        case 3: return 100_000
        case 4: return 250_000
        case 5: return 500_000
        case 6: return 1_000_000
        case 7: return 2_500_000
        case 8: return 5_000_000
        case 9: return 10_000_000
        case 10: return 50_000_000
        default: return 250_000_000
        }
    }

    /// Observations per bucket (not cumulative); index `bucketCount` is +Inf.
    public var counts: InlineArray<13, UInt64>
    /// Sum of all observations in nanoseconds, and their number.
    public var sumNs: UInt64 = 0
    public var count: UInt64 = 0

    public init() { counts = InlineArray(repeating: 0) }

    /// Records one observation of `ns` nanoseconds.
    /// - Complexity: O(buckets)
    public mutating func record(ns: UInt64) {
        var index = MetricsHistogram.bucketCount
        for i in 0..<MetricsHistogram.bucketCount where ns <= MetricsHistogram.bound(i) {
            index = i
            break
        }
        counts[index] &+= 1
        sumNs &+= ns
        count &+= 1
    }
}
