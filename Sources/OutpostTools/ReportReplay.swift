import Foundation
import OutpostCore
import OutpostProfiles

/// `report --csv FILE.csv`: recorded readings (the `gen` columns) through the daemon's pipeline
/// (the medium profile, as `outpost replay` on the host), written into a temporary log exactly as
/// the daemon logs them: every processed reading and alert as it leaves the outbox, and a window
/// summary record per sensor and window each minute of data time. The report is then made from
/// that log, so a CSV and a board's log give the same kind of page.
enum ReportReplay {
    typealias P = ProfileMedium
    /// Window summaries per minute of data time, as `outpost replay` writes them.
    static let summaryIntervalMs: Int64 = 60_000
    /// Log bytes reserved per CSV byte (a logged reading is about as long as its CSV row, plus
    /// alerts and summaries), and the smallest log.
    static let logBytesPerCSVByte = 3
    static let segmentBytes = 65_536

    /// Replays `csvPath` into a new log file at `logPath`; returns the readings replayed and the
    /// rows skipped because they do not parse (as `outpost replay` skips them).
    static func replay(_ csvPath: String, into logPath: String) throws(ToolError) -> (readings: Int, badRows: Int) {
        let text: Data
        do { text = try Data(contentsOf: URL(fileURLWithPath: csvPath)) } catch {
            throw ToolError("\(csvPath): cannot read: \(error.localizedDescription)")
        }
        let segments = max(8, (text.count * logBytesPerCSVByte) / segmentBytes + 4)
        guard let geometry = LogGeometry(segmentSizeBytes: segmentBytes, segmentCount: segments) else {
            throw ToolError("\(csvPath): too large to replay into one log (\(text.count) bytes)")
        }
        let file: LogCommandFile
        do { file = try LogCommandFile.create(logPath, sizeBytes: geometry.fileSizeBytes) } catch {
            throw ToolError.io("\(logPath): cannot create the replay log: \(String(cString: strerror(-error.negativeErrno)))")
        }
        defer { file.close() }
        let pageBytes = 4096
        let storeBytes = LogStore<LogCommandFile>.arenaBytes(after: 0, geometry: geometry, pageBytes: pageBytes)
        let arenaBytes = storeBytes + Pipeline<P>.arenaBytesRequired + 4096
        let base = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
        defer { base.deallocate() }
        var arena = Arena(base: base, sizeBytes: arenaBytes)
        var store: LogStore<LogCommandFile>
        do {
            store = try LogStore(device: file, arena: &arena, geometry: geometry, pageBytes: pageBytes, policy: .rejectNew, formatIfBlank: true)
        } catch {
            throw ToolError.io("\(logPath): cannot format the replay log: \(error)")
        }
        var pipeline = Pipeline<P>(arena: &arena)
        var replayed = 0
        var badRows = 0
        var lineNumber = 0
        var nextSummaryMs = Int64.min
        var lastMs = Int64.min
        let full = { (error: LogAppendError) -> ToolError in
            ToolError.io("\(logPath): the replay log could not take the readings: \(error)")
        }
        // A plain buffer rather than a closure over the Data: the loop throws typed errors.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, text.count), alignment: 1)
        defer { buffer.deallocate() }
        text.copyBytes(to: buffer)
        let bytes = UnsafeRawBufferPointer(rebasing: buffer[0..<text.count])
        do {
                var start = 0
                // Bounded by the file: each pass consumes one line.
                while start < bytes.count {
                    var end = start
                    while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                    var line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    if line.last == 0x0D { line = UnsafeRawBufferPointer(rebasing: line.dropLast()) }
                    start = end + 1
                    lineNumber += 1
                    if lineNumber == 1 {
                        do throws(CSVRowError) { try ReadingCSV.checkHeader(line) } catch {
                            throw ToolError("\(csvPath):1: not the CSV header written by outpost-tool gen (docs/CSV_FORMAT.md): \(error.reason)")
                        }
                        continue
                    }
                    if line.isEmpty { continue }
                    guard let reading = try? ReadingCSV.parse(line) else {
                        badRows += 1
                        continue
                    }
                    if nextSummaryMs == Int64.min { nextSummaryMs = (reading.timestampMs / summaryIntervalMs + 1) * summaryIntervalMs }
                    if reading.timestampMs >= nextSummaryMs {
                        pipeline.tick(nowMs: max(lastMs, nextSummaryMs - 1))
                        do throws(LogAppendError) {
                            try drain(&pipeline, into: &store)
                            try summarise(&pipeline, into: &store, nowMs: nextSummaryMs)
                        } catch { throw full(error) }
                        nextSummaryMs = (reading.timestampMs / summaryIntervalMs + 1) * summaryIntervalMs
                    }
                    lastMs = max(lastMs, reading.timestampMs)
                    do throws(LogAppendError) {
                        if case .refused(.outboxFull) = pipeline.process(reading) {
                            try drain(&pipeline, into: &store)
                            _ = pipeline.process(reading)
                        }
                        try drain(&pipeline, into: &store)
                    } catch { throw full(error) }
                    replayed += 1
                }
                if lastMs != Int64.min {
                    pipeline.tick(nowMs: lastMs)
                    do throws(LogAppendError) {
                        try drain(&pipeline, into: &store)
                        try summarise(&pipeline, into: &store, nowMs: lastMs)
                    } catch { throw full(error) }
                }
                do throws(LogAppendError) { try store.commit() } catch { throw full(error) }
        }
        if replayed == 0 { throw ToolError("\(csvPath): no readings (expected rows in the outpost-tool gen columns)") }
        return (replayed, badRows)
    }

    /// Every outbox event into the log, as the daemon's store consumes them.
    static func drain(_ pipeline: inout Pipeline<P>, into store: inout LogStore<LogCommandFile>) throws(LogAppendError) {
        while let event = pipeline.outbox.popFirst() {
            switch event {
            case .reading(let reading):
                _ = try store.append(reading: reading, name: pipeline.sensors.name(at: Int(reading.sensorSlot)))
            case .alert(let alert):
                _ = try store.append(alert: alert, name: pipeline.sensors.name(at: Int(alert.sensorSlot)))
            }
        }
    }

    /// A window summary record per sensor and window of the profile, as of `nowMs`.
    static func summarise(_ pipeline: inout Pipeline<P>, into store: inout LogStore<LogCommandFile>, nowMs: Int64) throws(LogAppendError) {
        for sensor in 0..<pipeline.sensors.count {
            for i in 0..<WindowSpan.count {
                let span = WindowSpan.at(i)!
                if !P.windows.contains(span) { continue }
                let summary = pipeline.windows.summary(sensor: sensor, span: span, nowMs: nowMs)
                _ = try store.append(summary: summary, name: pipeline.sensors.name(at: sensor), timestampMs: nowMs)
            }
        }
    }
}
