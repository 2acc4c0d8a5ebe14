/// The reference sensor generator behind `outpost-tool gen`: synthetic readings of many sensors
/// with labelled anomalies, as CSV (columns and units in docs/CSV_FORMAT.md).
///
/// Rows are ordered by time, then by sensor. Output depends only on the options: each sensor draws
/// from its own xoshiro256** stream seeded by (seed, sensor number), so `sensor-001` is the same
/// whether 10 or 1000 sensors are generated.
public struct SensorGenerator {
    /// The CSV header, which is also the daemon's `replay` input and serial line format.
    public static let columns = [
        "sensor_id", "timestamp_ms", "temperature", "humidity", "pressure", "vibration",
        "power_consumption", "battery_level", "latitude", "longitude", "label",
    ]

    /// What was written.
    public struct Summary: Equatable {
        public var rows: Int
        public var anomalousRows: Int
    }

    public let options: GeneratorOptions

    public init(options: GeneratorOptions) {
        precondition(options.sensors >= 1, "at least one sensor")
        precondition(options.durationS > 0 && options.ratePerS > 0, "duration and rate must be positive")
        precondition(options.anomalyStartProbability >= 0 && options.anomalyStartProbability <= 1, "probability out of range")
        precondition(options.anomalyMeanDurationS > 0, "anomaly duration must be positive")
        self.options = options
    }

    /// The id of sensor `number`: `sensor-001`, zero-padded to at least 3 digits.
    public func sensorID(_ number: Int) -> String {
        let width = max(3, String(options.sensors).count)
        let digits = String(number)
        return "sensor-" + String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// Writes the header and every row to `sink`; `progress` receives a line now and then for long runs.
    /// - Complexity: O(sensors × steps).
    public func write(to sink: TextSink, progress: TextSink? = nil) throws(ToolError) -> Summary {
        var sensors: [SimulatedSensor] = []
        sensors.reserveCapacity(options.sensors)
        var ids: [[UInt8]] = []
        for number in 1...options.sensors {
            sensors.append(SimulatedSensor(number: number, options: options))
            ids.append(Array(sensorID(number).utf8))
        }
        sink.write(Self.columns.joined(separator: ",") + "\n")
        let steps = options.stepCount
        let interval = options.intervalMs
        let totalRows = steps * options.sensors
        let reportEveryRows = 1_000_000
        var line: [UInt8] = []
        line.reserveCapacity(160)
        var summary = Summary(rows: 0, anomalousRows: 0)
        for step in 0..<steps {
            let timestampMs = options.startMs + Int64(step) * interval
            for index in 0..<sensors.count {
                let reading = sensors[index].read(atMs: timestampMs, options: options)
                line.removeAll(keepingCapacity: true)
                sensors[index].appendCSVRow(reading, id: ids[index], timestampMs: timestampMs, to: &line)
                sink.write(bytes: line)
                summary.rows += 1
                if reading.anomalous { summary.anomalousRows += 1 }
                if let progress, summary.rows % reportEveryRows == 0 {
                    progress.write("gen: \(summary.rows) of \(totalRows) rows\n")
                    try progress.flush()
                }
            }
            try sink.flushIfFull()
        }
        try sink.flush()
        return summary
    }
}
