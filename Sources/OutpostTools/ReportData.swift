import OutpostCore

/// Everything a report shows, gathered from a log in two passes over its records (the log is read
/// through the core's `LogStore`, as the uplink reads it): the first finds the sensors, the time
/// range and the counts; the second fills each sensor's fixed-size series. Memory is bounded by
/// the charted sensors × quantities × `ReportSeries.bucketCount` and `alertMarksMax`, whatever the
/// log's length.
struct ReportData {
    /// Sensors with charts (the rest are counted in the tables and named as not charted): more
    /// lines than this on one chart are not readable, and the page stays a few MB at most.
    static let chartedSensorsMax = 12
    /// Alert events drawn; the rest are counted.
    static let alertMarksMax = 4000

    var sensors: [ReportSensor] = []
    var sensorIndex: [String: Int] = [:]
    var alerts: [ReportAlertMark] = []
    var alertsNotDrawn = 0
    /// Time range of the readings (ms since the epoch); `firstMs > lastMs` when there are none.
    var firstMs = Int64.max
    var lastMs = Int64.min
    /// Time range of every record (alerts and summaries can lie outside the readings').
    var records = 0
    var recordsByType = Array(repeating: 0, count: 16)
    var undecodable = 0
    var markers = 0

    /// The charted sensors: the first `chartedSensorsMax` by name.
    var chartedCount: Int { min(sensors.count, ReportData.chartedSensorsMax) }

    /// The bucket of `timestampMs` in the readings' range.
    func bucket(_ timestampMs: Int64) -> Int {
        if lastMs <= firstMs { return 0 }
        let clamped = min(max(timestampMs, firstMs), lastMs)
        let position = Double(clamped - firstMs) / Double(lastMs - firstMs)
        return min(ReportSeries.bucketCount - 1, Int(position * Double(ReportSeries.bucketCount)))
    }

    /// The sensor index of `name`, adding it when new.
    mutating func sensor(_ name: SensorName) -> Int {
        let text = LogCommand.name(name)
        if let index = sensorIndex[text] { return index }
        sensors.append(ReportSensor(name: text))
        sensorIndex[text] = sensors.count - 1
        return sensors.count - 1
    }

    /// First pass, one record: sensors, ranges, counts, alerts, summaries.
    mutating func count(_ record: LogRecord) {
        records += 1
        recordsByType[Int(record.type.rawValue)] += 1
        switch record.type {
        case .reading:
            guard let payload = record.reading else { undecodable += 1; return }
            let index = sensor(payload.name)
            let reading = payload.reading
            firstMs = min(firstMs, record.timestampMs)
            lastMs = max(lastMs, record.timestampMs)
            sensors[index].readings += 1
            sensors[index].lastReadingMs = max(sensors[index].lastReadingMs, record.timestampMs)
            sensors[index].statusCounts[Int(reading.status.rawValue)] += 1
            if reading.anomaly { sensors[index].anomalies += 1 }
            for i in 0..<Feature.count where reading.features[Feature.at(i)!] != nil {
                sensors[index].quantityReadings[i] += 1
            }
        case .alert, .alertCleared:
            guard let payload = record.alert else { undecodable += 1; return }
            let index = sensor(payload.name)
            let alert = payload.alert
            if alert.raised { sensors[index].alertsRaised += 1 } else { sensors[index].alertsCleared += 1 }
            if alerts.count < ReportData.alertMarksMax {
                alerts.append(ReportAlertMark(timestampMs: record.timestampMs, sensor: index, raised: alert.raised, kind: alert.kind,
                                              severity: alert.severity, feature: alert.feature, value: alert.value))
            } else {
                alertsNotDrawn += 1
            }
        case .windowSummary:
            guard let payload = record.windowSummary else { undecodable += 1; return }
            let index = sensor(payload.name)
            let span = Int(payload.summary.span.rawValue)
            sensors[index].summaries += 1
            if let last = sensors[index].lastSummary[span], last.timestampMs > record.timestampMs { return }
            sensors[index].lastSummary[span] = (record.timestampMs, payload.summary)
        case .marker:
            markers += 1
        case .quantityValue:
            // Values of quantities not detected on: counted (`recordsByType`), not charted.
            if record.quantity == nil { undecodable += 1 }
        case .command, .commandDelivered, .commandExpired:
            // The command queue's own records: counted (`recordsByType`), not charted.
            if record.type == .command ? record.command == nil : record.commandEnd == nil { undecodable += 1 }
        case .imageChunk:
            // Uploads: counted (`recordsByType`), not charted.
            if record.imageChunk == nil { undecodable += 1 }
        }
    }

    /// Between the passes: sensors sorted by name (stable colours and order), series made for the
    /// charted ones.
    mutating func prepareSeries() {
        let order = sensors.indices.sorted { sensors[$0].name < sensors[$1].name }
        var remap = Array(repeating: 0, count: sensors.count)
        for (newIndex, oldIndex) in order.enumerated() { remap[oldIndex] = newIndex }
        sensors = order.map { sensors[$0] }
        for (name, index) in sensorIndex { sensorIndex[name] = remap[index] }
        alerts = alerts.map {
            ReportAlertMark(timestampMs: $0.timestampMs, sensor: remap[$0.sensor], raised: $0.raised, kind: $0.kind,
                            severity: $0.severity, feature: $0.feature, value: $0.value)
        }
        for index in 0..<chartedCount {
            for i in 0..<Feature.count where sensors[index].quantityReadings[i] > 0 {
                sensors[index].series[i] = ReportSeries()
            }
        }
    }

    /// Second pass, one record: readings into their sensor's series and its window statistics.
    mutating func plot(_ record: LogRecord) {
        guard record.type == .reading, let payload = record.reading else { return }
        guard let index = sensorIndex[LogCommand.name(payload.name)] else { return }
        let reading = payload.reading
        for span in 0..<WindowSpan.count where record.timestampMs > sensors[index].lastReadingMs - WindowSpan.at(span)!.spanMs {
            sensors[index].computed[span].add(reading)
        }
        if index >= chartedCount { return }
        let bucket = bucket(record.timestampMs)
        for i in 0..<Feature.count {
            guard let value = reading.features[Feature.at(i)!] else { continue }
            sensors[index].series[i]?.add(value, bucket: bucket, anomaly: reading.anomaly)
        }
    }

    /// Quantities (Feature indices) with at least one charted series.
    var chartedQuantities: [Int] {
        (0..<Feature.count).filter { i in sensors.prefix(chartedCount).contains { $0.series[i] != nil } }
    }
}
