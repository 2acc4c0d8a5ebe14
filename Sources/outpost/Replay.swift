import CHAL
import OutpostCore
import OutpostProfiles

/// `outpost replay FILE.csv`: feeds recorded readings through the whole pipeline, in batches of the
/// profile's batch size, with the data's own clock, and writes alerts and window summaries as JSON
/// lines. The output depends only on the input, so host and firmware builds must agree byte for byte.
enum Replay {
    /// Longest accepted CSV line in bytes.
    static let lineBytesMax = 1024
    /// Window summaries are written every minute of data time.
    static let summaryIntervalMs: Int64 = 60_000
    /// Bad rows reported one by one before only counting them.
    static let reportedErrorsMax = 20

    static func run(pathIndex: Int, modelIndex: Int = 0, arena: inout Arena, out: inout Console, err: inout Console) -> Int32 {
        let fd: Int32
        if Arguments.matches(pathIndex, "-") {
            fd = 0
        } else {
            fd = chal_open(Arguments.cString(pathIndex)!, Int32(truncatingIfNeeded: CHAL_OPEN_READ))
            if fd < 0 {
                err.reserve(512)
                err.writer.text("outpost: replay: cannot open '")
                err.writer.raw(Arguments.bytes(pathIndex)!)
                err.writer.text("': ")
                Errno.describe(fd.wide, &err.writer)
                err.writer.byte(0x0A)
                return 2
            }
        }
        let input = UnsafeMutableRawBufferPointer(arena.carve(64 * 1024, of: UInt8(0)))
        var state = ReplayState<ActiveProfile>(arena: &arena)
        if modelIndex > 0 && !loadModel(Arguments.bytes(modelIndex)!, into: &state.pipeline, arena: &arena, err: &err) {
            if fd != 0 { _ = chal_close(fd) }
            return 2
        }
        var lines = LineReader(fd: fd, buffer: input, lineBytesMax: lineBytesMax)
        var lineNumber = 0
        var status: Int32 = 0
        // Bounded by the input: every iteration consumes one line or ends.
        while true {
            let next = lines.next()
            switch next {
            case .end:
                break
            case .failed(let errno):
                err.reserve(256)
                err.writer.text("outpost: replay: read error: ")
                Errno.describe(errno, &err.writer)
                err.writer.byte(0x0A)
                status = 1
            case .tooLong:
                lineNumber += 1
                reportBadRow(&err, &state, pathIndex, lineNumber, CSVRowError(column: 0, reason: "line longer than 1024 bytes"))
                continue
            case .line(let line):
                lineNumber += 1
                if lineNumber == 1 {
                    do {
                        try ReadingCSV.checkHeader(line)
                    } catch {
                        reportBadRow(&err, &state, pathIndex, lineNumber, error)
                        err.line("outpost: replay: the first line must be the header written by outpost-tool gen")
                        return 2
                    }
                    continue
                }
                if line.count == 0 { continue }
                do {
                    let reading = try ReadingCSV.parse(line)
                    state.take(reading, &out, &err)
                } catch {
                    reportBadRow(&err, &state, pathIndex, lineNumber, error)
                }
                continue
            }
            break
        }
        if fd != 0 { _ = chal_close(fd) }
        if lineNumber == 0 {
            err.line("outpost: replay: empty input (expected a header line)")
            return 2
        }
        state.finish(&out)
        if state.badRows > 0 {
            err.reserve(128)
            err.writer.text("outpost: replay: ")
            err.writer.unsigned(state.badRows)
            err.writer.text(" bad rows skipped\n")
            if status == 0 { status = 2 }
        }
        return status
    }

    /// `--model FILE`: reads, checks and installs the model file as the daemon does at start-up
    /// (the same slots and checks, docs/MODEL_FORMAT.md "Models at run time"). False, with the
    /// daemon's message, when it is refused.
    static func loadModel(_ path: UnsafeRawBufferPointer, into pipeline: inout Pipeline<ActiveProfile>, arena: inout Arena, err: inout Console) -> Bool {
        let capacity = ActiveProfile.modelCapacity
        if !capacity.allowsModel {
            err.line("outpost: replay: --model is not in this build (the low profile runs no forest: thresholds only)")
            return false
        }
        var model = DaemonModel()
        model.slots = ModelSlots(arena: &arena, capacity: capacity)
        model.path = UnsafeMutableRawBufferPointer(arena.carve(DaemonModel.pathBytesMax + 1, of: UInt8(0)))
        model.enabled = true
        if !model.setPath(path) {
            err.line("outpost: replay: --model wants a model file (a path of 1 to 400 bytes)")
            return false
        }
        guard let forest = model.load(level: .error, log: &err) else { return false }
        // The data's clock, not the wall clock: the output depends only on the inputs.
        pipeline.install(forest, nowMs: 0)
        return true
    }

    static func reportBadRow<P: Profile>(
        _ err: inout Console, _ state: inout ReplayState<P>, _ pathIndex: Int, _ line: Int, _ error: CSVRowError
    ) {
        state.badRows &+= 1
        if state.badRows > 20 { return }  // reportedErrorsMax
        err.reserve(512)
        err.writer.text("outpost: replay: ")
        err.writer.raw(UnsafeRawBufferPointer(rebasing: Arguments.bytes(pathIndex)!.prefix(200)))
        err.writer.byte(0x3A)
        err.writer.integer(line.wide)
        if error.column > 0 {
            err.writer.byte(0x3A)
            err.writer.integer(error.column.wide)
            err.writer.text(" (")
            err.writer.text(ReadingCSV.columnName(error.column))
            err.writer.text(")")
        }
        err.writer.text(": ")
        err.writer.text(error.reason)
        err.writer.byte(0x0A)
    }
}

/// The pipeline and bookkeeping of one replay.
struct ReplayState<P: Profile> {
    var pipeline: Pipeline<P>
    var batch: Ring<256, Reading>
    var nextSummaryMs: Int64 = Int64.min
    var lastTimeMs: Int64 = Int64.min
    var badRows: UInt64 = 0
    var refused: UInt64 = 0

    init(arena: inout Arena) {
        precondition(P.batchSize <= 256, "replay batch ring holds 256 readings")
        pipeline = Pipeline<P>(arena: &arena)
        batch = Ring(filler: Reading(sensor: SensorName(), timestampMs: 0))
    }

    /// Queues a reading; runs the batch when it is full or when a summary boundary is crossed.
    mutating func take(_ reading: Reading, _ out: inout Console, _ err: inout Console) {
        if nextSummaryMs == Int64.min {
            nextSummaryMs = (reading.timestampMs / Replay.summaryIntervalMs + 1) * Replay.summaryIntervalMs
        }
        // Bounded: a gap of many minutes writes one set of summaries per minute, at most 1 day's worth.
        var boundaries = 0
        while reading.timestampMs >= nextSummaryMs && boundaries < 1_440 {
            runBatch(&out)
            writeSummaries(nowMs: nextSummaryMs, &out)
            nextSummaryMs += Replay.summaryIntervalMs
            boundaries += 1
        }
        if reading.timestampMs >= nextSummaryMs {
            nextSummaryMs = (reading.timestampMs / Replay.summaryIntervalMs + 1) * Replay.summaryIntervalMs
        }
        batch.append(reading)
        if batch.count == P.batchSize { runBatch(&out) }
    }

    /// Runs the queued readings through the pipeline, then the tick, then writes the alerts.
    mutating func runBatch(_ out: inout Console) {
        while let reading = batch.popFirst() {
            if reading.timestampMs > lastTimeMs { lastTimeMs = reading.timestampMs }
            if case .refused = pipeline.process(reading) {
                refused &+= 1
                drain(&out)  // an outbox that filled mid-batch is drained, then the reading retried
                if case .refused = pipeline.process(reading) { continue }
            }
        }
        if lastTimeMs != Int64.min { pipeline.tick(nowMs: lastTimeMs) }
        drain(&out)
    }

    mutating func drain(_ out: inout Console) {
        while let event = pipeline.outbox.popFirst() {
            guard case .alert(let alert) = event else { continue }
            out.reserve(512)
            out.writer.alertJSON(alert, sensor: pipeline.sensors.name(at: Int(alert.sensorSlot)))
            out.writer.byte(0x0A)
        }
    }

    mutating func writeSummaries(nowMs: Int64, _ out: inout Console) {
        for sensor in 0..<pipeline.sensors.count {
            for i in 0..<WindowSpan.count {
                let span = WindowSpan.at(i)!
                if !P.windows.contains(span) { continue }
                let summary = pipeline.windows.summary(sensor: sensor, span: span, nowMs: nowMs)
                out.reserve(1024)
                out.writer.summaryJSON(summary, sensor: pipeline.sensors.name(at: sensor), nowMs: nowMs)
                out.writer.byte(0x0A)
            }
        }
    }

    /// Runs what is queued and writes the final summaries and totals.
    mutating func finish(_ out: inout Console) {
        runBatch(&out)
        if lastTimeMs != Int64.min { writeSummaries(nowMs: lastTimeMs, &out) }
        let c = pipeline.counters
        out.reserve(512)
        out.writer.text("{\"type\":\"end\",\"readings\":")
        out.writer.unsigned(c.readingsAccepted)
        out.writer.text(",\"refused_sensor_table_full\":")
        out.writer.unsigned(c.refusedSensorTableFull)
        out.writer.text(",\"anomalies\":")
        out.writer.unsigned(c.anomalies)
        out.writer.text(",\"alerts_raised\":")
        out.writer.unsigned(c.alertsRaised)
        out.writer.text(",\"alerts_cleared\":")
        out.writer.unsigned(c.alertsCleared)
        out.writer.text(",\"bad_rows\":")
        out.writer.unsigned(badRows)
        out.writer.text("}\n")
    }
}
