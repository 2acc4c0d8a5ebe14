import OutpostCore

/// One quantity of one sensor over the report's time range, reduced to a fixed number of buckets:
/// per bucket the minimum, maximum, mean and the last anomalous value, so a chart of any log has
/// the same number of points and a one-reading spike still shows (as the bucket's extreme).
struct ReportSeries {
    /// Buckets per chart: about one per two pixels of a 1000-pixel plot.
    static let bucketCount = 480

    var minimum: [Int32]
    var maximum: [Int32]
    var sum: [Int64]
    var count: [Int32]
    /// Readings flagged anomalous in each bucket, and the value of the last of them.
    var anomalies: [Int32]
    var anomalyValue: [Int32]
    /// Readings in the series (all buckets).
    var readings = 0

    init() {
        minimum = Array(repeating: Int32.max, count: ReportSeries.bucketCount)
        maximum = Array(repeating: Int32.min, count: ReportSeries.bucketCount)
        sum = Array(repeating: 0, count: ReportSeries.bucketCount)
        count = Array(repeating: 0, count: ReportSeries.bucketCount)
        anomalies = Array(repeating: 0, count: ReportSeries.bucketCount)
        anomalyValue = Array(repeating: 0, count: ReportSeries.bucketCount)
    }

    /// Adds `value` (fixed point, the feature's decimals) to `bucket`.
    mutating func add(_ value: Int32, bucket: Int, anomaly: Bool) {
        minimum[bucket] = min(minimum[bucket], value)
        maximum[bucket] = max(maximum[bucket], value)
        sum[bucket] += Int64(value)
        count[bucket] += 1
        readings += 1
        if anomaly {
            anomalies[bucket] += 1
            anomalyValue[bucket] = value
        }
    }

    /// The mean of `bucket` (fixed point), nil when the bucket is empty.
    func mean(_ bucket: Int) -> Double? {
        count[bucket] == 0 ? nil : Double(sum[bucket]) / Double(count[bucket])
    }
}
