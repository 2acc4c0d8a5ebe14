/// The verdict of the detectors on one reading, ordered by urgency.
public enum Status: UInt8, BitwiseCopyable, Sendable, Comparable {
    case normal = 0
    case warning = 1
    case alert = 2

    public static func < (a: Status, b: Status) -> Bool { a.rawValue < b.rawValue }

    /// Lower-case name for JSON output.
    public var name: StaticString {
        switch self {
        case .normal: return "normal"
        case .warning: return "warning"
        case .alert: return "alert"
        }
    }
}
