import OutpostCore

/// Window statistics the report computes itself from a sensor's readings in the last `span` of
/// its data (its newest reading's time minus the span), for logs that hold no window summary
/// records: readings by status, anomalies, and per quantity count, mean, standard deviation,
/// minimum and maximum. The same figures a `WindowSummary` carries.
struct ReportWindowStats {
    var statusCounts = [0, 0, 0]
    var anomalies = 0
    var count = Array(repeating: 0, count: Feature.count)
    var sum = Array(repeating: 0.0, count: Feature.count)
    var sumOfSquares = Array(repeating: 0.0, count: Feature.count)
    var minimum = Array(repeating: Int32.max, count: Feature.count)
    var maximum = Array(repeating: Int32.min, count: Feature.count)

    var readings: Int { statusCounts.reduce(0, +) }

    mutating func add(_ reading: ProcessedReading) {
        statusCounts[Int(reading.status.rawValue)] += 1
        if reading.anomaly { anomalies += 1 }
        for i in 0..<Feature.count {
            guard let value = reading.features[Feature.at(i)!] else { continue }
            count[i] += 1
            sum[i] += Double(value)
            sumOfSquares[i] += Double(value) * Double(value)
            minimum[i] = min(minimum[i], value)
            maximum[i] = max(maximum[i], value)
        }
    }

    /// Mean and population standard deviation of quantity `i` (fixed point), nil without readings.
    func meanAndDeviation(_ i: Int) -> (mean: Double, deviation: Double)? {
        guard count[i] > 0 else { return nil }
        let n = Double(count[i])
        let mean = sum[i] / n
        return (mean, max(0, sumOfSquares[i] / n - mean * mean).squareRoot())
    }
}
