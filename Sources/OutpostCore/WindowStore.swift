/// Statistics of one feature over one window.
public struct FeatureStats: BitwiseCopyable, Sendable, Equatable {
    public var count: UInt32
    /// Mean, standard deviation (population), minimum and maximum in the feature's core unit.
    public var mean: Int32
    public var standardDeviation: Int32
    public var minimum: Int32
    public var maximum: Int32

    public static let empty = FeatureStats(count: 0, mean: 0, standardDeviation: 0, minimum: 0, maximum: 0)
}

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

/// Rolling windows per sensor and feature: time-bucketed rings carved from the arena.
public struct WindowStore {
    public let windows: WindowSet

    /// Windows `windows` for `sensorCapacity` sensors.
    public init(arena: inout Arena, windows: WindowSet, sensorCapacity: Int) {
        self.windows = windows
        // STUB
    }

    /// Arena bytes the store takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, windows: WindowSet, sensorCapacity: Int) -> Int { offset }

    /// Adds a processed reading of sensor `sensor` to every window.
    public mutating func record(sensor: Int, timestampMs: Int64, features: FeatureVector, status: Status, anomaly: Bool) {
        // STUB
    }

    /// The statistics of sensor `sensor` over `span` as of `nowMs`.
    public func summary(sensor: Int, span: WindowSpan, nowMs: Int64) -> WindowSummary {
        WindowSummary(span: span)  // STUB
    }
}
