/// The SenML units (RFC 8428 §12.1 and the secondary units of RFC 8798) accepted, each mapped to a
/// quantity. Units outside SenML (`kPa`, `degF`) are refused here: the CSV path accepts them.
public enum SenMLUnit: UInt8, BitwiseCopyable, Sendable {
    case celsius  // Cel
    case kelvin  // K
    case relativeHumidity  // %RH
    case pascal  // Pa
    case hectopascal  // hPa
    case bar  // bar
    case watt  // W
    case kilowatt  // kW
    case metrePerSecondSquared  // m/s2
    case batteryPercent  // %EL
    case latitude  // lat
    case longitude  // lon

    /// The unit named `text`, or nil when not accepted. Names are case-sensitive, as in SenML.
    init?(_ text: SenMLText) {
        if text.equals("Cel") { self = .celsius; return }
        if text.equals("K") { self = .kelvin; return }
        if text.equals("%RH") { self = .relativeHumidity; return }
        if text.equals("Pa") { self = .pascal; return }
        if text.equals("hPa") { self = .hectopascal; return }
        if text.equals("bar") { self = .bar; return }
        if text.equals("W") { self = .watt; return }
        if text.equals("kW") { self = .kilowatt; return }
        if text.equals("m/s2") { self = .metrePerSecondSquared; return }
        if text.equals("%EL") { self = .batteryPercent; return }
        if text.equals("lat") { self = .latitude; return }
        if text.equals("lon") { self = .longitude; return }
        return nil
    }

    /// The normaliser's unit, or nil for battery and coordinates (handled apart).
    var normaliseUnit: Unit? {
        switch self {
        case .celsius: return .celsius
        case .kelvin: return .kelvin
        case .relativeHumidity: return .percentRelativeHumidity
        case .pascal: return .pascal
        case .hectopascal: return .hectopascal
        case .bar: return .bar
        case .watt: return .watt
        case .kilowatt: return .kilowatt
        case .metrePerSecondSquared: return .metrePerSecondSquared
        case .batteryPercent, .latitude, .longitude: return nil
        }
    }
}
