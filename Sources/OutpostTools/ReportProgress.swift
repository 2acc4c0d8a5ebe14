import Glibc

/// "records read / total" lines on standard error while a big log is read: at most
/// `linesPerSecond` of them, and a last line at the end of each pass, so a terminal or a CI log
/// shows that a long report is moving without being flooded.
struct ReportProgress {
    /// Logs with fewer records than this are read without progress lines (`auto` mode).
    static let autoThresholdRecords = 50_000
    static let linesPerSecond = 4

    let sink: TextSink
    let total: Int
    let enabled: Bool
    let label: String
    private var lastNs: UInt64 = 0
    private(set) var lines = 0

    init(sink: TextSink, total: Int, enabled: Bool, label: String) {
        self.sink = sink
        self.total = total
        self.enabled = enabled
        self.label = label
        self.lastNs = ReportProgress.nowNs()
    }

    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Called per record (`read` so far): writes a line when the interval has passed. The clock is
    /// read every 4096 records only, so the check costs nothing per record.
    mutating func update(_ read: Int) {
        guard enabled, read & 4095 == 0 else { return }
        let now = ReportProgress.nowNs()
        if now - lastNs < 1_000_000_000 / UInt64(ReportProgress.linesPerSecond) { return }
        lastNs = now
        write(read)
    }

    /// The pass's last line.
    mutating func finish(_ read: Int) {
        guard enabled else { return }
        write(read)
    }

    private mutating func write(_ read: Int) {
        let percent = total == 0 ? 100 : min(100, read * 100 / total)
        sink.write("outpost-tool report: \(label): \(read) / \(total) records (\(percent)%)\n")
        try? sink.flush()
        lines += 1
    }
}
