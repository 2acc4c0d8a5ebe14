import Foundation
import Glibc
import OutpostCore

/// `outpost-tool report LOG --out report.html`: a visual report of what a daemon recorded, as one
/// self-contained HTML file with SVG charts (ReportHTML), made on the host from the log file.
enum ReportCommand {
    static let help = """
        usage: outpost-tool report LOG_FILE --out report.html [--progress auto|always|never]
               outpost-tool report --csv READINGS.csv --out report.html [--keep-log FILE]

        Reads an Outpost log file (docs/LOG_FORMAT.md, read-only, with the daemon's own recovery)
        and writes one self-contained HTML page (inline SVG, no external assets) with:
          - each quantity over time per sensor (min/max band, mean line, anomalies, alerts)
          - the anomaly rate per sensor
          - the alert timeline (raised and cleared, by severity)
          - the status mix per sensor (normal, warning, alert)
          - the window statistics of the newest window summary records
        With --csv, readings in the outpost-tool gen columns are first replayed through the
        daemon's pipeline (medium profile, as 'outpost replay') into a log written as the daemon
        writes one (readings, alerts, a window summary per sensor and window each minute of data
        time), and the report is made from that log (kept at FILE with --keep-log).
        Long series are reduced to \(ReportSeries.bucketCount) buckets per chart (min and max kept, so spikes
        stay visible); memory does not grow with the log's length.

          --out FILE       the HTML file to write (required)
          --csv FILE       replay these readings instead of reading a log
          --keep-log FILE  with --csv: where the replay's log is written and kept (default: a
                           temporary file, deleted)
          --progress MODE  progress lines on stderr: auto (logs of \(ReportProgress.autoThresholdRecords) records or more),
                           always or never (default auto)

        Exit codes: 0 written; 2 not a log, unknown format, damaged file header, bad arguments;
        1 a read or write failure. A log with damaged records is reported (the records that
        survive are charted) with a warning on stderr and in the page.

        """

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(command: "report", arguments: arguments, valueOptions: ["out", "progress", "csv", "keep-log"], positionalLimit: 1)
        if parsed.wantsHelp || (parsed.positionals.isEmpty && parsed.string("out") == nil && parsed.string("csv") == nil) {
            stdout.write(help)
            return
        }
        let out = try parsed.required("out")
        if let csv = parsed.string("csv") {
            guard parsed.positionals.isEmpty else { throw ToolError("report: give a LOG_FILE or --csv, not both") }
            let keep = parsed.string("keep-log")
            let log = keep ?? (NSTemporaryDirectory() + "/outpost-report-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).log")
            defer { if keep == nil { unlink(log) } }
            if keep != nil { unlink(log) }
            let (replayed, badRows) = try ReportReplay.replay(csv, into: log)
            stderr.write("outpost-tool report: replayed \(replayed) readings of \(csv) through the medium profile's pipeline\n")
            if badRows > 0 { stderr.write("outpost-tool report: \(csv): \(badRows) row(s) that do not parse skipped ('outpost replay' names them)\n") }
            var rest = ["--out", out]
            if let progress = parsed.string("progress") { rest += ["--progress", progress] }
            try report(log: log, shownAs: csv + " (replayed)", arguments: rest, stdout: stdout, stderr: stderr)
            return
        }
        if parsed.string("keep-log") != nil { throw ToolError("report: --keep-log goes with --csv") }
        guard let path = parsed.positionals.first else { throw ToolError("report: expected a LOG_FILE or --csv (see 'outpost-tool report --help')") }
        try report(log: path, shownAs: path, arguments: ["--out", out] + (parsed.string("progress").map { ["--progress", $0] } ?? []), stdout: stdout, stderr: stderr)
    }

    /// The report of the log at `path`, named `shownAs` on the page.
    static func report(log path: String, shownAs: String, arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(command: "report", arguments: arguments, valueOptions: ["out", "progress"], positionalLimit: 0)
        let out = try parsed.required("out")
        let mode = parsed.string("progress") ?? "auto"
        guard ["auto", "always", "never"].contains(mode) else {
            throw ToolError("report: --progress must be auto, always or never (got '\(mode)')")
        }
        var html = ""
        try LogCommand.withLog(path, forVerify: false) { (store, file) throws(ToolError) in
            let total = store.recovery.records
            let showProgress = mode == "always" || (mode == "auto" && total >= ReportProgress.autoThresholdRecords)
            var data = ReportData()
            try pass(&store, path: path, progress: ReportProgress(sink: stderr, total: total, enabled: showProgress, label: "pass 1/2")) {
                data.count($0)
            }
            data.prepareSeries()
            try pass(&store, path: path, progress: ReportProgress(sink: stderr, total: total, enabled: showProgress, label: "pass 2/2")) {
                data.plot($0)
            }
            let note = damageNote(store.recovery, file: file, geometry: store.geometry)
            if let note { stderr.write("outpost-tool report: \(path): \(note)\n") }
            let source = ReportHTML.Source(path: shownAs, logID: LogCommand.logIDText(store), formatVersion: Int(store.fileVersion), damageNote: note)
            html = ReportHTML.render(data, source: source)
        }
        let sink = try TextSink.file(out)
        sink.write(html)
        do { try sink.close() } catch { throw ToolError.io("\(out): write failed: \(error.message)") }
        stdout.write("outpost-tool report: wrote \(out) (\(html.utf8.count) bytes)\n")
    }

    /// Reads every record once, in order, handing each to `body`.
    static func pass(_ store: inout LogStore<LogCommandFile>, path: String, progress: ReportProgress, _ body: (LogRecord) -> Void) throws(ToolError) {
        var progress = progress
        var reader = LogReader(from: 0)
        var record = LogRecord()
        var read = 0
        // Bounded by the records in the log: each pass returns one or ends.
        while true {
            let more: Bool
            do { more = try store.read(&reader, into: &record, through: UInt64.max) } catch {
                throw ToolError.io("\(path): read failed: \(String(cString: strerror(-error.negativeErrno)))")
            }
            if !more { break }
            body(record)
            read += 1
            progress.update(read)
        }
        progress.finish(read)
    }

    /// What the recovery found damaged, in one sentence; nil for a clean log.
    static func damageNote(_ report: LogRecoveryReport, file: LogCommandFile, geometry: LogGeometry) -> String? {
        var parts: [String] = []
        if file.fileBytes < geometry.fileSizeBytes { parts.append("the file is truncated to \(file.fileBytes) of \(geometry.fileSizeBytes) bytes") }
        if report.damagedHeaders > 0 { parts.append("\(report.damagedHeaders) segment header(s) fail their check") }
        if report.damageCount > 0 { parts.append("\(report.damageCount) damaged stretch(es), \(report.skippedRecords) record(s) lost") }
        if report.cursorDamaged { parts.append("both cursor slots are damaged") }
        if parts.isEmpty { return nil }
        return "damaged log: " + parts.joined(separator: "; ") + " (the surviving records are reported; 'outpost-tool log verify' lists the damage)"
    }
}
