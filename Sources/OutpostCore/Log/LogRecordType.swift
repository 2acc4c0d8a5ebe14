/// The kind of a log record. Raw values are stored in the log: fixed forever, append only.
public enum LogRecordType: UInt8, Sendable, BitwiseCopyable {
    case reading = 1
    case alert = 2
    case alertCleared = 3
    case windowSummary = 4
    case marker = 5

    /// Lower-case name for JSON output.
    public var name: StaticString {
        switch self {
        case .reading: return "reading"
        case .alert: return "alert"
        case .alertCleared: return "alert_cleared"
        case .windowSummary: return "window_summary"
        case .marker: return "marker"
        }
    }

    /// True for the records that the full policies keep in preference to readings.
    public var isAlert: Bool { self == .alert || self == .alertCleared }
}
