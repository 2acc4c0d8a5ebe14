/// Encodes log records as one SenML-CBOR pack (RFC 8428 §6, Content-Format 112) into a fixed
/// buffer, without allocation: the uplink's batch (docs/UPLINK_FORMAT.md).
///
/// A pack is an indefinite-length array of record maps. The first SenML record carries the base
/// name `bn` = node id + "/" and, when the log has one, its log id in the extension label `"lid"`;
/// every SenML record carries its log record's sequence number in the extension label `"seq"`, so
/// a receiver can drop duplicates by (node id, log id, sequence).
///
/// Each `append` adds one log record completely or not at all (the buffer is rewound), so a batch
/// is always a whole number of log records and `finish` always has room for the closing break.
public struct SenMLEncoder {
    /// Most bytes one log record can take in a pack (a window summary of a 32-byte sensor name with
    /// all five features, the base name of a 32-byte node id and the 13-byte log id label included,
    /// both names escaped to three bytes per byte: 29 records of at most about 200 bytes). Batches
    /// must hold this much.
    public static let maxLogRecordBytes = 8192

    var writer: CBORWriter
    let nodeId: SensorName
    /// The log id written next to `bn` (0: none written).
    let logID: UInt64
    /// Log records in the pack so far.
    public private(set) var recordCount = 0
    /// SenML records in the pack so far.
    public private(set) var senmlRecordCount = 0
    /// True until the first SenML record (which carries `bn`) is written.
    var needsBaseName = true
    var finished = false

    /// Starts a pack for node `nodeId` in `buffer` (at least `maxLogRecordBytes` + 2 bytes), for
    /// records of the log `logID` (0: the pack carries no log id).
    public init(buffer: UnsafeMutableRawBufferPointer, nodeId: SensorName, logID: UInt64 = 0) {
        precondition(buffer.count >= SenMLEncoder.maxLogRecordBytes + 2, "SenML batch buffer too small for one log record")
        precondition(nodeId.count > 0, "the pack needs a node id")
        // One byte is kept for the break that closes the array.
        writer = CBORWriter(buffer: buffer, reserveBytes: 1)
        self.nodeId = nodeId
        self.logID = logID
        writer.beginIndefiniteArray()
    }

    /// Bytes written so far (without the closing break).
    public var countBytes: Int { writer.count }

    /// Appends `record`'s SenML records.
    /// - Returns: `.appended`, `.noRoom` (the pack is unchanged; send it and start another), or
    ///   `.skipped` for a record the format does not carry or a payload that does not decode
    ///   (the pack is unchanged; the caller counts it).
    /// - Complexity: O(payload size).
    public mutating func append(_ record: LogRecord) -> SenMLEncodeOutcome {
        precondition(!finished, "append after finish")
        let startCount = writer.count
        let startDepth = writer.depth
        let startSenML = senmlRecordCount
        let startNeedsBase = needsBaseName
        var ok = false
        switch record.type {
        case .reading:
            if let payload = record.reading { ok = true; encodeReading(payload, sequence: record.sequence, timestampMs: record.timestampMs) }
        case .alert, .alertCleared:
            if let payload = record.alert { ok = true; encodeAlert(payload, sequence: record.originalSequence) }
        case .windowSummary:
            if let payload = record.windowSummary { ok = true; encodeSummary(payload, sequence: record.sequence, timestampMs: record.timestampMs) }
        case .marker:
            if let payload = record.marker { ok = true; encodeMarker(payload, sequence: record.sequence, timestampMs: record.timestampMs) }
        case .quantityValue:
            ok = encodeQuantity(record)
        case .imageChunk:
            if let payload = record.imageChunk {
                ok = true
                record.withPayload { encodeImageChunk(payload, bytes: $0, sequence: record.sequence, timestampMs: record.timestampMs) }
            }
        case .command, .commandDelivered, .commandExpired:
            // Never forwarded (`UplinkForwardMode.forwards`): skipped if asked.
            ok = false
        }
        if !ok || writer.overflowed {
            writer.rewind(count: startCount, depth: startDepth)
            senmlRecordCount = startSenML
            needsBaseName = startNeedsBase
            return ok ? .noRoom : .skipped
        }
        recordCount += 1
        return .appended
    }

    /// Closes the pack and returns its bytes (valid while the buffer is).
    public mutating func finish() -> UnsafeRawBufferPointer {
        precondition(!finished, "finish twice")
        finished = true
        writer.useReserve()
        writer.writeBreak()
        precondition(!writer.overflowed, "the reserve holds the break")
        return writer.bytes
    }

    // MARK: - Building blocks

    /// Opens one SenML record map named `sensor/first[/second[/third]]` (without the sensor part
    /// when `sensor` is nil), preceded by `bn` when it is the pack's first record.
    mutating func beginRecord(_ sensor: SensorName?, _ first: StaticString, _ second: StaticString? = nil, _ third: StaticString? = nil) {
        beginMap()
        writer.int(0)  // n
        let sensorBytes = sensor.map { SenMLEncoder.escapedCount($0) + 1 } ?? 0
        var length = sensorBytes + first.utf8CodeUnitCount
        if let second { length += 1 + second.utf8CodeUnitCount }
        if let third { length += 1 + third.utf8CodeUnitCount }
        writer.head(major: 3, argument: UInt64(truncatingIfNeeded: length.wide))
        if let sensor {
            putEscaped(sensor)
            writer.put1(0x2F)
        }
        putASCII(first)
        if let second {
            writer.put1(0x2F)
            putASCII(second)
        }
        if let third {
            writer.put1(0x2F)
            putASCII(third)
        }
        senmlRecordCount += 1
    }

    /// Opens one SenML record map named `sensor/quantity`, for a quantity named at run time.
    mutating func beginRecord(_ sensor: SensorName, quantity: SensorName) {
        beginMap()
        writer.int(0)  // n
        let length = SenMLEncoder.escapedCount(sensor) + 1 + SenMLEncoder.escapedCount(quantity)
        writer.head(major: 3, argument: UInt64(truncatingIfNeeded: length.wide))
        putEscaped(sensor)
        writer.put1(0x2F)
        putEscaped(quantity)
        senmlRecordCount += 1
    }

    /// Opens a record map, with `bn` (and `lid`) first when it is the pack's first record.
    mutating func beginMap() {
        writer.beginIndefiniteMap()
        if needsBaseName {
            needsBaseName = false
            writer.int(-2)  // bn
            // Escaped to the name characters of RFC 8428 §4.5.1 (SenMLEncoder+Names.swift).
            writer.head(major: 3, argument: UInt64(truncatingIfNeeded: (SenMLEncoder.escapedCount(nodeId) + 1).wide))
            putEscaped(nodeId)
            writer.put1(0x2F)  // "/"
            if logID != 0 {
                // Once per pack, like `bn`: the log id applies to every record of the pack.
                writer.text("lid")
                writer.head(major: 0, argument: logID)
            }
        }
    }

    /// Writes `t` (seconds, ms precision) and `seq`, and closes the record map.
    mutating func endRecord(sequence: UInt64, timestampMs: Int64) {
        writer.int(6)  // t
        if timestampMs % 1000 == 0 {
            writer.int(timestampMs / 1000)
        } else {
            writer.float64(Double(timestampMs) / 1000)
        }
        writer.text("seq")
        writer.head(major: 0, argument: sequence)
        writer.writeBreak()
    }

    /// Writes `u` then `v` = `value` × 10^−`decimals` (an integer when exact, else a float64).
    mutating func unitValue(_ unit: StaticString?, _ value: Int32, decimals: Int) {
        if let unit {
            writer.int(1)  // u
            writer.text(unit)
        }
        writer.int(2)  // v
        number(value, decimals: decimals)
    }

    /// `value` × 10^−`decimals` as a CBOR number.
    mutating func number(_ value: Int32, decimals: Int) {
        precondition(decimals >= 0 && decimals <= 6, "decimals out of range")
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let wide = value.wide
        if wide % scale == 0 {
            writer.int(wide / scale)
        } else {
            // Both operands are exact doubles; the division rounds once, to the nearest double.
            writer.float64(Double(wide) / Double(scale))
        }
    }

    mutating func putASCII(_ text: StaticString) {
        let start = text.utf8Start
        for i in 0..<text.utf8CodeUnitCount { writer.put1(start[i]) }
    }
}
