/// Which front end queued a command (kept in its log record, docs/LOG_FORMAT.md §4.6).
public enum SensorCommandOrigin: UInt8, BitwiseCopyable, Sendable {
    /// `POST /api/sensors/{id}/command` (docs/HTTP.md).
    case http = 0
    /// An MQTT subscription (`outpost/<node>/command/<sensor>`).
    case mqtt = 1
    /// Anything else that calls `Server.enqueueCommand` (tests, tools).
    case other = 2

    /// Lower-case name (JSON output).
    public var name: StaticString {
        switch self {
        case .http: return "http"
        case .mqtt: return "mqtt"
        case .other: return "other"
        }
    }
}
