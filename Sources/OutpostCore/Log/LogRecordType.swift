/// The kind of a log record. Raw values are stored in the log: fixed forever, append only.
public enum LogRecordType: UInt8, Sendable, BitwiseCopyable {
    case reading = 1
    case alert = 2
    case alertCleared = 3
    case windowSummary = 4
    case marker = 5
    /// A command accepted for a sensor (docs/LOG_FORMAT.md §4.6).
    case command = 6
    /// A command delivered to its sensor / expired undelivered.
    case commandDelivered = 7
    case commandExpired = 8
    /// A chunk of a binary upload (`POST /images/{camera}`), or the end of one that did not
    /// finish (docs/LOG_FORMAT.md §4.7).
    case imageChunk = 9
    /// A value of a quantity the gateway does not detect on, as sent (docs/LOG_FORMAT.md §4.8).
    case quantityValue = 10

    /// Lower-case name for JSON output.
    public var name: StaticString {
        switch self {
        case .reading: return "reading"
        case .alert: return "alert"
        case .alertCleared: return "alert_cleared"
        case .windowSummary: return "window_summary"
        case .marker: return "marker"
        case .command: return "command"
        case .commandDelivered: return "command_delivered"
        case .commandExpired: return "command_expired"
        case .imageChunk: return "image_chunk"
        case .quantityValue: return "quantity_value"
        }
    }

    /// True for the records that the full policies keep in preference to readings.
    public var isAlert: Bool { self == .alert || self == .alertCleared }

    /// True for the records of the command queue (§4.6): the gateway's own business, never
    /// forwarded upstream.
    public var isCommand: Bool { self == .command || self == .commandDelivered || self == .commandExpired }
}
