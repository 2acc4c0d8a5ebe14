/// The quantities a SenML record name may end in (the part after the sensor name).
public enum SenMLQuantity: UInt8, BitwiseCopyable, Sendable {
    case temperature
    case humidity
    case pressure
    case vibration
    /// `power` or `power_consumption`.
    case power
    case battery
    case latitude  // lat
    case longitude  // lon

    /// The quantity named by `bytes[start..<end]` of `name`, or nil when unknown (counted).
    init?(_ name: SenMLText, from start: Int) {
        func matches(_ literal: StaticString) -> Bool {
            if name.count - start != literal.utf8CodeUnitCount { return false }
            let text = literal.utf8Start
            for i in 0..<literal.utf8CodeUnitCount where name[start + i] != text[i] { return false }
            return true
        }
        if matches("temperature") { self = .temperature; return }
        if matches("humidity") { self = .humidity; return }
        if matches("pressure") { self = .pressure; return }
        if matches("vibration") { self = .vibration; return }
        if matches("power") || matches("power_consumption") { self = .power; return }
        if matches("battery") { self = .battery; return }
        if matches("lat") { self = .latitude; return }
        if matches("lon") { self = .longitude; return }
        return nil
    }

    /// The reading feature, or nil for battery and coordinates.
    var feature: Feature? {
        switch self {
        case .temperature: return .temperature
        case .humidity: return .humidity
        case .pressure: return .pressure
        case .vibration: return .vibration
        case .power: return .power
        case .battery, .latitude, .longitude: return nil
        }
    }
}
