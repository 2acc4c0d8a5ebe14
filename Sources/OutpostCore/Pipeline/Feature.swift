/// One of the five quantities every reading carries and the detectors look at.
///
/// The raw values are the indices into a `FeatureVector` and the feature codes of the model and
/// log formats, so they are fixed forever: append new features, never renumber.
public enum Feature: UInt8, BitwiseCopyable, Sendable {
    case temperature = 0
    case humidity = 1
    case pressure = 2
    case vibration = 3
    case power = 4

    /// Number of features in a `FeatureVector`.
    public static let count = 5

    /// The feature with index `index`, or nil when out of range.
    @inline(__always)
    public static func at(_ index: Int) -> Feature? { Feature(rawValue: UInt8(truncatingIfNeeded: index)) }

    /// Index into a `FeatureVector`.
    @inline(__always)
    public var index: Int { Int(rawValue) }

    /// Decimal digits after the point of the core fixed-point representation (see docs/FIXED_POINT.md).
    ///
    /// temperature m°C, humidity m%RH, pressure dPa, vibration mm/s² (milli m/s²), power mW.
    /// Pressure uses 0.1 Pa so that 2 MPa still fits an `Int32`; all others use milli-units.
    public var decimals: Int {
        switch self {
        case .pressure: return 1
        default: return 3
        }
    }

    /// Name used in CSV headers, JSON output and the metrics (ASCII).
    public var name: StaticString {
        switch self {
        case .temperature: return "temperature"
        case .humidity: return "humidity"
        case .pressure: return "pressure"
        case .vibration: return "vibration"
        case .power: return "power_consumption"
        }
    }
}
