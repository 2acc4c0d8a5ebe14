/// How a delivered command reached its sensor (kept in the event and its log record).
public enum SensorCommandVia: UInt8, BitwiseCopyable, Sendable, Equatable {
    /// Not delivered (an expiry).
    case none = 0
    /// A CON notification of `/commands/<sensor>` that the observer ACKed (RFC 7641).
    case observe = 1
    /// `POST /commands/<sensor>` with the command's id after a GET.
    case confirm = 2
    /// Written on the sensor's line-mode serial line.
    case serialLine = 3

    /// Lower-case name (JSON).
    public var name: StaticString {
        switch self {
        case .none: return "none"
        case .observe: return "observe"
        case .confirm: return "confirm"
        case .serialLine: return "serial_line"
        }
    }
}
