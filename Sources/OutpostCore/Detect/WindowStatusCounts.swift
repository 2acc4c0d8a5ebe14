/// How many readings of one sensor a window holds, by status, and how many the forest flagged:
/// `WindowSummary` without the per-feature statistics, for the per-reading anomaly-rate rule.
public struct WindowStatusCounts: BitwiseCopyable, Sendable {
    public var span: WindowSpan
    public var normalCount: UInt32 = 0
    public var warningCount: UInt32 = 0
    public var alertCount: UInt32 = 0
    public var anomalyCount: UInt32 = 0

    public init(span: WindowSpan) {
        self.span = span
    }

    /// All readings in the window.
    public var readingCount: UInt32 { normalCount &+ warningCount &+ alertCount }
}
