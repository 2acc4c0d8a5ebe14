import OutpostCore

/// The threshold rules of the reference design, in core fixed-point units (docs/FIXED_POINT.md):
/// alert if temperature > 45 °C, vibration > 3.0 m/s² or power < 20 W; warning if temperature
/// > 35 °C, vibration > 2.0 m/s² or power < 50 W; critical if temperature > 80 °C, pressure
/// > 200 kPa or humidity > 90 %RH.
public enum ReferenceRules {
    public static var standard: ThresholdRules {
        var rules = ThresholdRules()
        rules.set(.temperature, FeatureRule(
            warningAbove: 35_000, alertAbove: 45_000, criticalAbove: 80_000, hysteresis: 500))
        rules.set(.vibration, FeatureRule(warningAbove: 2_000, alertAbove: 3_000, hysteresis: 100))
        rules.set(.power, FeatureRule(warningBelow: 50_000, alertBelow: 20_000, hysteresis: 1_000))
        rules.set(.pressure, FeatureRule(criticalAbove: 2_000_000, hysteresis: 1_000))
        rules.set(.humidity, FeatureRule(criticalAbove: 90_000, hysteresis: 1_000))
        return rules
    }

    /// The low-power device's simple model: warning outside 10–40 °C, vibration > 2.0 m/s² or
    /// power outside 30–200 W; the standard alert and critical bounds still apply.
    public static var simple: ThresholdRules {
        var rules = standard
        var temperature = rules[.temperature]
        temperature.warningBelow = 10_000
        temperature.warningAbove = 40_000
        rules.set(.temperature, temperature)
        var power = rules[.power]
        power.warningBelow = 30_000
        power.warningAbove = 200_000
        rules.set(.power, power)
        return rules
    }
}
