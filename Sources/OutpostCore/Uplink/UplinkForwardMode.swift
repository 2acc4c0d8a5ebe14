/// What the uplink forwards (`--forward`): the bandwidth knob of docs/UPLINK_FORMAT.md §4.
public enum UplinkForwardMode: UInt8, BitwiseCopyable, Sendable {
    /// Every record of the log: readings, alerts, window summaries, markers.
    case raw = 0
    /// Window summaries, alerts, markers and image chunks; readings (and quantity values, readings
    /// of quantities not detected on) are skipped (the cursor still passes them).
    case summaries = 1
    /// Alerts only.
    case alerts = 2

    /// True when records of `type` are sent in this mode.
    public func forwards(_ type: LogRecordType) -> Bool {
        // The command queue's records are the gateway's own state (docs/UPLINK_FORMAT.md §4).
        if type.isCommand { return false }
        switch self {
        case .raw: return true
        case .summaries: return type != .reading && type != .quantityValue
        case .alerts: return type.isAlert
        }
    }

    /// The mode named by `text` (`raw`, `summaries`, `alerts`), or nil.
    public init?(name text: UnsafeRawBufferPointer) {
        func matches(_ literal: StaticString) -> Bool {
            if text.count != literal.utf8CodeUnitCount { return false }
            for i in 0..<text.count where text[i] != literal.utf8Start[i] { return false }
            return true
        }
        if matches("raw") { self = .raw; return }
        if matches("summaries") { self = .summaries; return }
        if matches("alerts") { self = .alerts; return }
        return nil
    }

    /// Lower-case name (flags, `/health`).
    public var name: StaticString {
        switch self {
        case .raw: return "raw"
        case .summaries: return "summaries"
        case .alerts: return "alerts"
        }
    }
}
