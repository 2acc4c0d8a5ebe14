import Glibc
import OutpostCore

/// `outpost-tool log verify|stats|dump PATH`: inspects a daemon's log file (docs/LOG_FORMAT.md)
/// with the core's own recovery, read-only.
enum LogCommand {
    static let help = """
        usage: outpost-tool log verify PATH
               outpost-tool log stats PATH
               outpost-tool log dump PATH [--from SEQ]

        Inspects an Outpost log file (docs/LOG_FORMAT.md) without changing it.

          verify   checks every segment header, record and cursor slot; exit 0 when clean, 1 when
                   something is damaged (printed with its file offset)
          stats    segments, records by type, sequence range, forward cursor, free space
          dump     one JSON object per line per record, decoded, from sequence SEQ (default: oldest)

        A file that is not an Outpost log, or has an unknown format version, exits with 2.

        """

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(command: "log", arguments: arguments, valueOptions: ["from"], positionalLimit: 2)
        if parsed.wantsHelp || parsed.positionals.isEmpty {
            stdout.write(help)
            return
        }
        guard parsed.positionals.count == 2 else { throw ToolError("log: expected an action and a PATH (see 'outpost-tool log --help')") }
        let action = parsed.positionals[0]
        let path = parsed.positionals[1]
        switch action {
        case "verify":
            try withLog(path, forVerify: true) { (store, file) throws(ToolError) in try verify(&store, file: file, path: path, stdout: stdout) }
        case "stats":
            try withLog(path, forVerify: false) { (store, file) throws(ToolError) in stats(&store, file: file, path: path, stdout: stdout) }
        case "dump":
            let from = try parsed.unsigned("from", default: 0)
            try withLog(path, forVerify: false) { (store, _) throws(ToolError) in try dump(&store, from: from, path: path, stdout: stdout) }
        default:
            throw ToolError("log: unknown action '\(action)' (verify, stats, dump)")
        }
    }

    /// Opens `path` read-only, recovers it into a store with a heap arena, and calls `body`.
    static func withLog(
        _ path: String, forVerify: Bool, _ body: (inout LogStore<LogCommandFile>, LogCommandFile) throws(ToolError) -> Void
    ) throws(ToolError) {
        var file: LogCommandFile
        do { file = try LogCommandFile.openReadOnly(path) } catch {
            throw ToolError("\(path): cannot open: \(String(cString: strerror(-error.negativeErrno)))")
        }
        defer { file.close() }
        let probe: LogFileHeader.Probe
        do { probe = try LogStore<LogCommandFile>.probe(&file) } catch {
            throw ToolError.io("\(path): read failed: \(String(cString: strerror(-error.negativeErrno)))")
        }
        let damagedExit: Int32 = forVerify ? 1 : 2
        let geometry: LogGeometry
        switch probe {
        case .valid(let header): geometry = header.geometry
        case .blank: throw ToolError("\(path): not an Outpost log (the header is blank: never formatted)")
        case .notALog: throw ToolError("\(path): not an Outpost log (no OPLG magic at offset 0)")
        case .unsupportedVersion(let version):
            throw ToolError("\(path): unknown log format version \(version) (this tool reads versions \(LogFormat.oldestVersion) to \(LogFormat.version))")
        case .corrupt: throw ToolError("\(path): corrupt log file header: neither copy (offsets 0 and \(LogFormat.fileHeaderCopyOffset)) passes its check (CRC or geometry); not repaired", exitCode: damagedExit)
        }
        if file.fileBytes < geometry.fileSizeBytes { file = file.padded(to: geometry.fileSizeBytes) }
        let pageBytes = min(4096, geometry.segmentPayloadBytes)
        let arenaBytes = LogStore<LogCommandFile>.arenaBytes(after: 0, geometry: geometry, pageBytes: pageBytes)
        let base = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 16)
        defer { base.deallocate() }
        var arena = Arena(base: base, sizeBytes: arenaBytes)
        var store: LogStore<LogCommandFile>
        do {
            store = try LogStore(device: file, arena: &arena, geometry: geometry, pageBytes: pageBytes, policy: .rejectNew, formatIfBlank: false, readOnly: true)
        } catch {
            throw ToolError.io("\(path): cannot open the log: \(error)")
        }
        try body(&store, file)
    }

    static func verify(_ store: inout LogStore<LogCommandFile>, file: LogCommandFile, path: String, stdout: TextSink) throws(ToolError) {
        let report = store.recovery
        let geometry = store.geometry
        stdout.write("\(path): Outpost log format \(store.fileVersion), \(geometry.segmentCount) segments of \(geometry.segmentSizeBytes) bytes, log id \(logIDText(store))\n")
        stdout.write("records: \(report.records), sequences \(report.firstSequence)...\(report.lastSequence)\n")
        var problems = 0
        if file.fileBytes < geometry.fileSizeBytes {
            stdout.write("damage: file truncated to \(file.fileBytes) of \(geometry.fileSizeBytes) bytes (the rest reads as zeros)\n")
            problems += 1
        }
        if report.damagedHeaders > 0 {
            stdout.write("damage: \(report.damagedHeaders) segment header(s) fail their check, first at offset \(report.firstDamagedHeaderOffset); those segments read as free\n")
            problems += 1
        }
        if report.damagedHeaderCopyOffset >= 0 {
            stdout.write("damage: file header copy at offset \(report.damagedHeaderCopyOffset) fails its check; the other copy is valid (the daemon rewrites the damaged one)\n")
            problems += 1
        }
        if report.damageCount > 0 {
            stdout.write("damage: \(report.damageCount) damaged stretch(es) in \(report.corruptSegments) segment(s), \(report.skippedRecords) record(s) lost; the records after each are kept\n")
            for i in 0..<min(report.damageCount, LogRecoveryReport.damageListCapacity) {
                let entry = report.damage[i]
                let last = entry.firstLostSequence &+ entry.lostRecords &- 1
                let sequences = entry.lostRecords == 0 ? "no sequence" : "sequences \(entry.firstLostSequence)...\(last)"
                stdout.write("damage: segment \(entry.segment) offset \(entry.offset) (\(entry.bytes) bytes): \(entry.lostRecords) record(s) lost (\(sequences))\n")
            }
            if report.damageCount > LogRecoveryReport.damageListCapacity {
                stdout.write("damage: ... and \(report.damageCount - LogRecoveryReport.damageListCapacity) more stretch(es)\n")
            }
            problems += 1
        }
        if report.cursorDamaged {
            stdout.write("damage: both cursor slots fail their check (offsets 512 and 1024); cursor reads as 0\n")
            problems += 1
        }
        if report.tailBytes > 0 {
            stdout.write("note: \(report.tailBytes) byte(s) after the last record of the head segment \(store.head) (an unsynced or torn write, or an earlier life of the segment); the daemon clears them\n")
        }
        // Read everything back through the reader as the uplink would: counts must agree.
        var reader = LogReader(from: 0)
        var record = LogRecord()
        var read = 0
        var undecodable = 0
        do {
            while try store.read(&reader, into: &record, through: UInt64.max) {
                read += 1
                if !decodes(record) { undecodable += 1 }
            }
        } catch {
            throw ToolError.io("\(path): read failed: \(String(cString: strerror(-error.negativeErrno)))")
        }
        if undecodable > 0 {
            stdout.write("damage: \(undecodable) record(s) pass their CRC but their payload does not decode\n")
            problems += 1
        }
        if read != report.records {
            stdout.write("damage: \(read) record(s) readable of \(report.records) found\n")
            problems += 1
        }
        if problems > 0 { throw ToolError("\(path): damaged (\(problems) problem(s), see above)", exitCode: 1) }
        stdout.write("clean\n")
    }

    static func decodes(_ record: LogRecord) -> Bool {
        switch record.type {
        case .reading: return record.reading != nil
        case .alert, .alertCleared: return record.alert != nil
        case .windowSummary: return record.windowSummary != nil
        case .marker: return record.marker != nil
        case .command: return record.command != nil
        case .commandDelivered, .commandExpired: return record.commandEnd != nil
        case .quantityValue: return record.quantity != nil
        case .imageChunk: return record.imageChunk != nil
        }
    }

    static func stats(_ store: inout LogStore<LogCommandFile>, file: LogCommandFile, path: String, stdout: TextSink) {
        let report = store.recovery
        let geometry = store.geometry
        let free = geometry.segmentCount - report.liveSegments - report.erasedSegments
        stdout.write("file: \(path)\n")
        stdout.write("format_version: \(store.fileVersion)\n")
        stdout.write("log_id: \(logIDText(store))\n")
        stdout.write("file_bytes: \(file.fileBytes)\n")
        stdout.write("segment_bytes: \(geometry.segmentSizeBytes)\n")
        stdout.write("segments: \(geometry.segmentCount) (live \(report.liveSegments), erased \(report.erasedSegments), blank or damaged \(free))\n")
        stdout.write("records: \(report.records)\n")
        for type in [LogRecordType.reading, .alert, .alertCleared, .windowSummary, .marker, .command, .commandDelivered, .commandExpired, .imageChunk, .quantityValue] {
            stdout.write("records_\(type.name): \(report.recordsByType[Int(type.rawValue)])\n")
        }
        stdout.write("first_sequence: \(report.firstSequence)\n")
        stdout.write("last_sequence: \(report.lastSequence)\n")
        stdout.write("cursor: \(store.cursor)\n")
        let unforwarded = report.lastSequence > store.cursor ? report.lastSequence - store.cursor : 0
        stdout.write("unforwarded_records: \(min(unforwarded, UInt64(report.records)))\n")
        stdout.write("free_bytes: \(store.freeBytes)\n")
        stdout.write("skipped_records: \(report.skippedRecords)\n")
        stdout.write("damaged_stretches: \(report.damageCount)\n")
    }

    /// The log id in hexadecimal (16 digits), with "(derived)" for a file that stores none
    /// (docs/LOG_FORMAT.md §2.1).
    static func logIDText(_ store: LogStore<LogCommandFile>) -> String {
        var text = String(store.logID, radix: 16)
        while text.count < 16 { text = "0" + text }
        return text + (store.logIDIsStored ? "" : " (derived)")
    }

    static func dump(_ store: inout LogStore<LogCommandFile>, from: UInt64, path: String, stdout: TextSink) throws(ToolError) {
        var reader = LogReader(from: from)
        var record = LogRecord()
        // Bounded by the records in the log: each pass returns one or ends.
        while true {
            let more: Bool
            do { more = try store.read(&reader, into: &record, through: UInt64.max) } catch {
                throw ToolError.io("\(path): read failed: \(String(cString: strerror(-error.negativeErrno)))")
            }
            if !more { break }
            stdout.write(json(record, logID: store.logID))
            stdout.write("\n")
            try stdout.flushIfFull()
        }
    }

    /// One record as a JSON object (no trailing newline).
    static func json(_ record: LogRecord, logID: UInt64) -> String {
        var text = "{\"log_id\":\(logID),\"seq\":\(record.sequence),\"type\":\"\(record.type.name)\",\"ts_ms\":\(record.timestampMs)"
        if record.isCopied { text += ",\"copied\":true,\"original_sequence\":\(record.originalSequence)" }
        switch record.type {
        case .reading:
            guard let payload = record.reading else { return text + ",\"undecodable\":true}" }
            let reading = payload.reading
            text += ",\"sensor\":\"\(name(payload.name))\",\"status\":\"\(reading.status.name)\",\"anomaly\":\(reading.anomaly),\"score\":\(decimal(Int64(reading.scoreQ16) * 1_000_000 / 65536, 6))"
            for index in 0..<Feature.count {
                let feature = Feature.at(index)!
                if let value = reading.features[feature] { text += ",\"\(feature.name)\":\(decimal(Int64(value), feature.decimals))" }
            }
            if let battery = reading.batteryMilliPercent { text += ",\"battery\":\(decimal(Int64(battery), 3))" }
        case .alert, .alertCleared:
            guard let payload = record.alert else { return text + ",\"undecodable\":true}" }
            let alert = payload.alert
            text += ",\"sensor\":\"\(name(payload.name))\",\"kind\":\"\(alert.kind.name)\",\"severity\":\"\(alert.severity.name)\""
            if let feature = alert.feature {
                text += ",\"feature\":\"\(feature.name)\",\"value\":\(decimal(Int64(alert.value), feature.decimals)),\"threshold\":\(decimal(Int64(alert.threshold), feature.decimals))"
            } else {
                text += ",\"feature\":null,\"value\":\(alert.value),\"threshold\":\(alert.threshold)"
            }
            text += ",\"confidence\":\(decimal(Int64(alert.confidenceQ16) * 1_000_000 / 65536, 6))"
        case .windowSummary:
            guard let payload = record.windowSummary else { return text + ",\"undecodable\":true}" }
            let summary = payload.summary
            text += ",\"sensor\":\"\(name(payload.name))\",\"window_s\":\(summary.span.seconds),\"normal\":\(summary.normalCount),\"warning\":\(summary.warningCount),\"alert\":\(summary.alertCount),\"anomalies\":\(summary.anomalyCount)"
            for index in 0..<Feature.count where summary.features[index].count > 0 {
                let feature = Feature.at(index)!
                let stats = summary.features[index]
                let d = feature.decimals
                text += ",\"\(feature.name)\":{\"count\":\(stats.count),\"mean\":\(decimal(Int64(stats.mean), d)),\"sd\":\(decimal(Int64(stats.standardDeviation), d)),\"min\":\(decimal(Int64(stats.minimum), d)),\"max\":\(decimal(Int64(stats.maximum), d)),\"saturated\":\(stats.saturated)}"
            }
        case .marker:
            guard let marker = record.marker else { return text + ",\"undecodable\":true}" }
            text += ",\"code\":\"\(marker.codeName)\",\"value\":\(marker.value)"
            if marker.code == LogMarkerPayload.sensorEvicted {
                text += ",\"sensor\":\"\(name(marker.sensor))\",\"reason\":\"\(marker.reasonName)\""
            }
        case .command:
            guard let command = record.command else { return text + ",\"undecodable\":true}" }
            let hex = record.withPayload { bytes in
                bytes[command.bytesOffset..<(command.bytesOffset + command.bytesCount)].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            }
            text += ",\"sensor\":\"\(name(command.name))\",\"id\":\(command.id),\"origin\":\"\(command.origin.name)\",\"content_format\":\(command.contentFormat),\"bytes_hex\":\"\(hex)\""
        case .commandDelivered, .commandExpired:
            guard let end = record.commandEnd else { return text + ",\"undecodable\":true}" }
            text += ",\"sensor\":\"\(name(end.name))\",\"id\":\(end.id),\"via\":\"\(end.via.name)\""
        case .quantityValue:
            guard let payload = record.quantity else { return text + ",\"undecodable\":true}" }
            let value = payload.value
            let unit = value.unit.map { "\"\(name($0))\"" } ?? "null"
            text += ",\"sensor\":\"\(name(value.sensor))\",\"quantity\":\"\(name(value.name))\",\"unit\":\(unit),\"value\":\(decimal(value.valueMicro, 6))"
        case .imageChunk:
            guard let chunk = record.imageChunk else { return text + ",\"undecodable\":true}" }
            text += ",\"camera\":\"\(name(chunk.camera))\",\"transfer\":\(chunk.transferID),\"chunk\":\(chunk.chunkIndex),\"offset\":\(chunk.offsetBytes),\"content_format\":\(chunk.contentFormat),\"bytes\":\(chunk.bytesCount),\"last\":\(chunk.isLast),\"aborted\":\(chunk.isAborted)"
        }
        return text + "}"
    }

    /// A sensor name as text (printable ASCII without quotes or backslashes, so JSON-safe).
    static func name(_ name: SensorName) -> String {
        var bytes: [UInt8] = []
        for i in 0..<Int(name.count) { bytes.append(name[i]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The fixed-point `value` with `decimals` digits after the point, exactly (no binary rounding).
    static func decimal(_ value: Int64, _ decimals: Int) -> String {
        precondition(decimals >= 0 && decimals <= 9)
        if decimals == 0 { return String(value) }
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let magnitude = value.magnitude
        let whole = magnitude / UInt64(scale)
        var fraction = String(magnitude % UInt64(scale))
        while fraction.count < decimals { fraction = "0" + fraction }
        return (value < 0 ? "-" : "") + String(whole) + "." + fraction
    }
}
