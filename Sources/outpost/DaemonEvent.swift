/// The kinds of state change the daemon reports on standard error; each kind has its own rate
/// limit (`DaemonSupervision.linesPerMinute`), so one flapping condition cannot hide another.
enum DaemonEvent: Int {
    /// The uplink went down or came back up.
    case uplink = 0
    /// The log changed state (full, out of space, available again).
    case log = 1
    /// Readings started or stopped being refused (5.03).
    case refusing = 2
    /// Readings of new sensors were refused: the sensor table is full.
    case sensorTable = 3
    /// drop-oldest erased unforwarded readings.
    case dropped = 4
    /// A configuration reload (SIGHUP).
    case reload = 5

    static let count = 6

    /// Name in the "suppressed" line.
    var label: StaticString {
        switch self {
        case .uplink: return "uplink"
        case .log: return "log state"
        case .refusing: return "refusing"
        case .sensorTable: return "sensor table"
        case .dropped: return "dropped readings"
        case .reload: return "reload"
        }
    }
}
