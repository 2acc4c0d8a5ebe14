/// What ended a command (`SensorCommandEvent`); the raw values are stored in the log as record
/// types 7 and 8 (docs/LOG_FORMAT.md §4.6).
public enum SensorCommandEventKind: UInt8, BitwiseCopyable, Sendable, Equatable {
    /// The sensor has it (docs/RESOURCES.md: a CON notification ACKed, a POST of its id, or the
    /// command written on the sensor's serial line).
    case delivered = 1
    /// Not delivered within the expiry time (`--command-expiry`).
    case expired = 2

    /// Lower-case name (JSON, MQTT acks).
    public var name: StaticString {
        switch self {
        case .delivered: return "delivered"
        case .expired: return "expired"
        }
    }
}
