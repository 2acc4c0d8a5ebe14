/// Why a value could not be normalised.
public enum NormaliseError: Error, Equatable, Sendable {
    /// The unit does not measure this quantity (e.g. watts for temperature).
    case unitMismatch
    /// The converted value does not fit the core fixed-point range of the feature.
    case outOfRange
}

/// Unit normalisation, as the reference edge processor does it: Fahrenheit and kelvin to Celsius,
/// bar/hPa/kPa to pascals, humidity clamped to 0...100 %RH.
///
/// Inputs are micro-units (value × 10⁶, see `DecimalText`); outputs the core fixed-point units.
/// All arithmetic is integer and rounds half away from zero, so the host and every board agree.
public enum Normalise {
    /// Converts `micro` (in `unit`) into the core unit of `feature`.
    public static func feature(_ feature: Feature, micro: Int64, unit: Unit) throws(NormaliseError) -> Int32 {
        guard unit.feature == feature else { throw .unitMismatch }
        let core: Int64
        switch unit {
        case .celsius:
            core = divide(micro, 1_000)  // µ°C → m°C
        case .fahrenheit:
            // (F − 32) × 5/9; in µ°F → m°C: (µF − 32e6) × 5 / 9000.
            let (shifted, o1) = micro.subtractingReportingOverflow(32_000_000)
            let (times5, o2) = shifted.multipliedReportingOverflow(by: 5)
            if o1 || o2 { throw .outOfRange }
            core = divide(times5, 9_000)
        case .kelvin:
            let (shifted, o) = micro.subtractingReportingOverflow(273_150_000)
            if o { throw .outOfRange }
            core = divide(shifted, 1_000)
        case .percentRelativeHumidity:
            // Clamped to 0...100 %RH: a humidity sensor cannot be outside, a reading is noise there.
            core = min(max(divide(micro, 1_000), 0), 100_000)
        case .pascal:
            core = divide(micro, 100_000)  // µPa → dPa
        case .hectopascal:
            core = divide(micro, 1_000)  // µhPa = 1e-4 Pa → dPa
        case .kilopascal:
            core = divide(micro, 100)  // µkPa = 1e-3 Pa → dPa
        case .bar:
            core = micro  // µbar = 0.1 Pa = 1 dPa
        case .watt:
            core = divide(micro, 1_000)  // µW → mW
        case .kilowatt:
            core = micro  // µkW = 1 mW
        case .metrePerSecondSquared:
            core = divide(micro, 1_000)
        case .percent, .degree:
            throw .unitMismatch
        }
        if core > 2_147_483_647 || core < -2_147_483_648 { throw .outOfRange }
        return Int32(truncatingIfNeeded: core)
    }

    /// Battery level from percent micro-units into milli-percent, clamped to 0...100 %.
    public static func battery(micro: Int64) -> Int32 {
        Int32(truncatingIfNeeded: min(max(divide(micro, 1_000), 0), 100_000))
    }

    /// An angle in micro-degrees into 1e-7 degrees; nil outside ±180°.
    public static func degreesE7(micro: Int64) -> Int32? {
        if micro > 180_000_000 || micro < -180_000_000 { return nil }
        return Int32(truncatingIfNeeded: micro * 10)
    }

    /// `value / divisor` rounded half away from zero (divisor > 0).
    @inline(__always)
    public static func divide(_ value: Int64, _ divisor: Int64) -> Int64 {
        precondition(divisor > 0)
        let quotient = value / divisor
        let remainder = value - quotient * divisor  // same sign as value
        if remainder >= 0 {
            return remainder * 2 >= divisor ? quotient + 1 : quotient
        }
        return -remainder * 2 >= divisor ? quotient - 1 : quotient
    }
}
