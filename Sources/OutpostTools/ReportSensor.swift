import OutpostCore

/// What the report knows of one sensor: its name, its readings by status, its anomalies, one
/// series per quantity (when charted), and the last window summary of each span.
struct ReportSensor {
    let name: String
    var readings = 0
    /// Readings by `Status` raw value (normal, warning, alert).
    var statusCounts = [0, 0, 0]
    var anomalies = 0
    var alertsRaised = 0
    var alertsCleared = 0
    /// One per `Feature` index; nil for a quantity the sensor never reported (or not charted).
    var series: [ReportSeries?] = Array(repeating: nil, count: Feature.count)
    /// Quantities reported, by `Feature` index (counted in the first pass).
    var quantityReadings = Array(repeating: 0, count: Feature.count)
    /// The newest window summary per `WindowSpan` raw value, with its time; and how many were read.
    var lastSummary: [(timestampMs: Int64, summary: WindowSummary)?] = Array(repeating: nil, count: WindowSpan.count)
    var summaries = 0
    /// The newest reading's time, and the statistics of the readings within each `WindowSpan`
    /// before it (computed in the second pass).
    var lastReadingMs = Int64.min
    var computed = Array(repeating: ReportWindowStats(), count: WindowSpan.count)

    init(name: String) {
        self.name = name
    }

    /// Anomalies per reading, 0 when there is none.
    var anomalyRate: Double { readings == 0 ? 0 : Double(anomalies) / Double(readings) }
}
