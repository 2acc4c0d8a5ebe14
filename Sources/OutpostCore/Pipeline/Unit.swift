/// A unit a sensor may report a value in. The normaliser converts each into the core unit of its
/// feature (see `Feature.decimals` and docs/FIXED_POINT.md).
public enum Unit: UInt8, BitwiseCopyable, Sendable {
    case celsius = 0
    case fahrenheit
    case kelvin
    case percentRelativeHumidity
    case pascal
    case hectopascal
    case kilopascal
    case bar
    case watt
    case kilowatt
    case metrePerSecondSquared
    /// Battery level in percent (SenML `%EL`).
    case percent
    /// Angle in degrees (latitude, longitude).
    case degree

    /// The feature this unit measures, or nil for battery and location units.
    public var feature: Feature? {
        switch self {
        case .celsius, .fahrenheit, .kelvin: return .temperature
        case .percentRelativeHumidity: return .humidity
        case .pascal, .hectopascal, .kilopascal, .bar: return .pressure
        case .watt, .kilowatt: return .power
        case .metrePerSecondSquared: return .vibration
        case .percent, .degree: return nil
        }
    }
}
