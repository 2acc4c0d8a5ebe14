/// One of the rolling windows the runtime keeps per sensor and feature.
///
/// Each window is a time-bucketed ring: `bucketCount` buckets of `bucketMs` each, so its memory is
/// fixed whatever the reading rate. The window at time t covers the buckets whose start lies in
/// (t − spanMs, t], i.e. between (bucketCount − 1) × bucketMs and spanMs of data.
public enum WindowSpan: UInt8, BitwiseCopyable, Sendable {
    case oneMinute = 0
    case fiveMinutes = 1
    case fifteenMinutes = 2
    case oneHour = 3

    /// Number of spans.
    public static let count = 4

    /// The span with index `index` (0...3).
    public static func at(_ index: Int) -> WindowSpan? { WindowSpan(rawValue: UInt8(truncatingIfNeeded: index)) }

    /// Length of the window in milliseconds.
    public var spanMs: Int64 {
        switch self {
        case .oneMinute: return 60_000
        case .fiveMinutes: return 300_000
        case .fifteenMinutes: return 900_000
        case .oneHour: return 3_600_000
        }
    }

    /// Number of buckets in the ring.
    public var bucketCount: Int {
        switch self {
        case .oneMinute: return 6  // 10 s buckets
        case .fiveMinutes: return 10  // 30 s buckets
        case .fifteenMinutes: return 15  // 1 min buckets
        case .oneHour: return 12  // 5 min buckets
        }
    }

    /// Width of one bucket in milliseconds.
    public var bucketMs: Int64 { spanMs / bucketCount.wide }

    /// Length in seconds, for output.
    public var seconds: Int { Int(truncatingIfNeeded: spanMs / 1000) }
}

/// A set of window spans, as a bit mask (bit `span.rawValue`).
public struct WindowSet: BitwiseCopyable, Sendable, Equatable {
    public var mask: UInt8

    public init(mask: UInt8) { self.mask = mask }

    /// The 1 min and 5 min windows (low-power devices).
    public static let short = WindowSet(mask: 0b0011)
    /// All four windows.
    public static let all = WindowSet(mask: 0b1111)

    /// True when `span` is in the set.
    @inline(__always)
    public func contains(_ span: WindowSpan) -> Bool { mask & (1 &<< span.rawValue) != 0 }

    /// Number of spans in the set.
    public var count: Int { mask.nonzeroBitCount }
}
