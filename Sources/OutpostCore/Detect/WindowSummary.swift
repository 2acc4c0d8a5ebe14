/// Statistics of one sensor over one window.
public struct WindowSummary: BitwiseCopyable, Sendable {
    public var span: WindowSpan
    /// Readings in the window, by status, and how many the forest flagged.
    public var normalCount: UInt32
    public var warningCount: UInt32
    public var alertCount: UInt32
    public var anomalyCount: UInt32
    /// Per-feature statistics, indexed by `Feature.index`.
    public var features: InlineArray<5, FeatureStats>

    public init(span: WindowSpan) {
        self.span = span
        normalCount = 0
        warningCount = 0
        alertCount = 0
        anomalyCount = 0
        features = InlineArray(repeating: .empty)
    }

    /// All readings in the window.
    public var readingCount: UInt32 { normalCount &+ warningCount &+ alertCount }
}
