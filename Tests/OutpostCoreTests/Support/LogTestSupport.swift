import OutpostCore

/// A 16-byte aligned arena buffer for one store, kept alive by the test.
final class LogArenaBuffer {
    let base: UnsafeMutableRawPointer
    let sizeBytes: Int

    init(sizeBytes: Int) {
        self.sizeBytes = sizeBytes
        base = UnsafeMutableRawPointer.allocate(byteCount: sizeBytes, alignment: 16)
    }

    deinit { base.deallocate() }

    func arena() -> Arena { Arena(base: base, sizeBytes: sizeBytes) }
}

/// The small geometry of the sweeps: 4 segments of 4 KiB.
let smallGeometry = LogGeometry(segmentSizeBytes: 4096, segmentCount: 4)!

/// What a test appended: enough to compare a recovered record byte for byte.
struct AppendedRecord: Equatable {
    var sequence: UInt64
    var type: LogRecordType
    var timestampMs: Int64
    var payload: [UInt8]
}

extension LogRecord {
    /// The payload as an array (tests).
    var payloadBytes: [UInt8] { withPayload { Array($0) } }
}

/// Opens a store on `disk` with a fresh arena (kept in `buffer`).
func openStore(
    _ disk: SimDisk, geometry: LogGeometry = smallGeometry, pageBytes: Int = 512, policy: LogFullPolicy = .rejectNew,
    buffer: LogArenaBuffer, readOnly: Bool = false
) throws(LogOpenError) -> LogStore<PowerCutDevice> {
    var arena = buffer.arena()
    return try LogStore(
        device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: pageBytes, policy: policy,
        formatIfBlank: true, readOnly: readOnly)
}

/// Every record from `sequence` on, up to what was written.
func readAll(_ store: inout LogStore<PowerCutDevice>, from sequence: UInt64 = 1) throws -> [LogRecord] {
    var reader = LogReader(from: sequence)
    var record = LogRecord()
    var records: [LogRecord] = []
    while try store.read(&reader, into: &record, through: store.lastWrittenSequence) {
        records.append(record)
        precondition(records.count < 1_000_000)
    }
    return records
}

/// A deterministic generator of readings, alerts and summaries for the workloads.
struct LogWorkload {
    var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }

    mutating func name() -> SensorName {
        let names: [StaticString] = ["boiler-1", "pump.north", "t", "a-very-long-sensor-name-32-bytes", "fan_2"]
        return SensorName(names[Int(next() % UInt64(names.count))])
    }

    mutating func reading(at timestampMs: Int64) -> ProcessedReading {
        var features = FeatureVector()
        for feature in [Feature.temperature, .humidity, .pressure, .vibration, .power] where next() % 3 != 0 {
            features[feature] = Int32(truncatingIfNeeded: Int64(bitPattern: next()) % 2_000_000)
        }
        return ProcessedReading(
            sensorSlot: 0, status: Status(rawValue: UInt8(next() % 3))!, anomaly: next() % 2 == 0,
            scoreQ16: UInt16(truncatingIfNeeded: next()), timestampMs: timestampMs, features: features,
            batteryMilliPercent: next() % 2 == 0 ? Int32(truncatingIfNeeded: next() % 100_000) : nil)
    }

    mutating func alert(at timestampMs: Int64) -> AlertEvent {
        AlertEvent(
            raised: next() % 2 == 0, kind: AlertKind(rawValue: UInt8(next() % 6))!,
            severity: Severity(rawValue: UInt8(1 + next() % 3))!, sensorSlot: 0,
            feature: next() % 4 == 0 ? nil : Feature(rawValue: UInt8(next() % 5)),
            value: Int32(truncatingIfNeeded: Int64(bitPattern: next())), threshold: Int32(truncatingIfNeeded: Int64(bitPattern: next())),
            confidenceQ16: UInt16(truncatingIfNeeded: next()), timestampMs: timestampMs)
    }

    mutating func summary() -> WindowSummary {
        var summary = WindowSummary(span: WindowSpan(rawValue: UInt8(next() % 4))!)
        summary.normalCount = UInt32(truncatingIfNeeded: next() % 1000)
        summary.warningCount = UInt32(truncatingIfNeeded: next() % 100)
        summary.alertCount = UInt32(truncatingIfNeeded: next() % 10)
        summary.anomalyCount = UInt32(truncatingIfNeeded: next() % 10)
        for i in 0..<Feature.count where next() % 2 == 0 {
            summary.features[i] = FeatureStats(
                count: UInt32(1 + next() % 500), mean: Int32(truncatingIfNeeded: Int64(bitPattern: next()) % 100_000),
                standardDeviation: Int32(next() % 5000), minimum: -5, maximum: 99_999, saturated: next() % 5 == 0)
        }
        return summary
    }
}
