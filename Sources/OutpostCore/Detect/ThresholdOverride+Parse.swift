// The text form of a threshold rule (docs/CONFIG.md §8), as the daemon's `--threshold` flag and
// `[thresholds] rule` key give it: `PATTERN QUANTITY FIELD=VALUE...`, blank-separated.

extension ThresholdOverride {
    /// Why a rule's text was refused (the message says what is wanted).
    public struct ParseError: Error {
        public let reason: StaticString
    }

    /// Parses `PATTERN QUANTITY FIELD=VALUE...`: PATTERN a sensor name or `PREFIX*`; QUANTITY one of
    /// `temperature`, `humidity`, `pressure`, `vibration`, `power_consumption`; FIELD one of
    /// `warn_above`, `warn_below`, `alert_above`, `alert_below`, `critical_above`,
    /// `critical_below`, `rate_max` (per second), `hysteresis`, each at most once, at least one;
    /// VALUE a decimal number in the quantity's SenML unit (Cel, %RH, Pa, m/s2, W), converted to
    /// the core's fixed point (docs/FIXED_POINT.md).
    /// - Complexity: O(text bytes).
    public static func parse(_ text: UnsafeRawBufferPointer) throws(ParseError) -> ThresholdOverride {
        var position = 0
        guard let patternField = nextField(text, &position) else { throw ParseError(reason: "wants 'PATTERN QUANTITY FIELD=VALUE...' (e.g. 'freezer-* temperature alert_above=-10')") }
        var patternEnd = patternField.count
        let isPrefix = patternField.count > 0 && patternField[patternField.count - 1] == 0x2A
        if isPrefix { patternEnd -= 1 }
        var pattern = SensorName()
        if patternEnd > 0 {
            for i in 0..<patternEnd where patternField[i] == 0x2A {
                throw ParseError(reason: "pattern: a sensor name, or a prefix followed by one '*' at its end")
            }
            guard let name = SensorName(UnsafeRawBufferPointer(rebasing: patternField[0..<patternEnd]).bindMemory(to: UInt8.self).span)
            else { throw ParseError(reason: "pattern: 1 to 32 printable ASCII bytes without space, quote, comma or backslash, optionally ending with '*'") }
            pattern = name
        } else if !isPrefix {
            throw ParseError(reason: "wants 'PATTERN QUANTITY FIELD=VALUE...'")
        }
        guard let quantityField = nextField(text, &position) else { throw ParseError(reason: "wants a quantity after the pattern: temperature, humidity, pressure, vibration or power_consumption") }
        var feature: Feature? = nil
        for index in 0..<Feature.count where ConfigValue.matches(quantityField, Feature.at(index)!.name) { feature = Feature.at(index) }
        guard let feature else { throw ParseError(reason: "quantity: temperature, humidity, pressure, vibration or power_consumption") }
        var rule = FeatureRule()
        var seen: UInt8 = 0
        // Bounded by the text: every pass consumes a field.
        while let field = nextField(text, &position) {
            var equals = -1
            for i in 0..<field.count where field[i] == 0x3D {
                equals = i
                break
            }
            if equals <= 0 { throw ParseError(reason: "wants FIELD=VALUE after the quantity") }
            let name = UnsafeRawBufferPointer(rebasing: field[0..<equals])
            let valueText = UnsafeRawBufferPointer(rebasing: field[(equals + 1)..<field.count])
            guard let slot = fieldIndex(name) else {
                throw ParseError(reason: "field: warn_above, warn_below, alert_above, alert_below, critical_above, critical_below, rate_max or hysteresis")
            }
            if seen & (1 &<< UInt8(truncatingIfNeeded: slot)) != 0 { throw ParseError(reason: "a field is given twice") }
            seen |= 1 &<< UInt8(truncatingIfNeeded: slot)
            let value = try fixedPoint(valueText, feature: feature)
            switch slot {
            case 0: rule.warningAbove = value
            case 1: rule.warningBelow = value
            case 2: rule.alertAbove = value
            case 3: rule.alertBelow = value
            case 4: rule.criticalAbove = value
            case 5: rule.criticalBelow = value
            case 6:
                if value < 0 { throw ParseError(reason: "rate_max must not be negative") }
                rule.rateMaxPerSecond = value
            default:
                if value < 0 { throw ParseError(reason: "hysteresis must not be negative") }
                rule.hysteresis = value
            }
        }
        if seen == 0 { throw ParseError(reason: "wants at least one FIELD=VALUE (e.g. alert_above=-10)") }
        return ThresholdOverride(pattern: pattern, isPrefix: isPrefix, feature: feature, rule: rule)
    }

    /// The next blank-separated field of `text` from `position`, or nil at the end.
    static func nextField(_ text: UnsafeRawBufferPointer, _ position: inout Int) -> UnsafeRawBufferPointer? {
        while position < text.count && (text[position] == 0x20 || text[position] == 0x09) { position += 1 }
        if position == text.count { return nil }
        let start = position
        while position < text.count && text[position] != 0x20 && text[position] != 0x09 { position += 1 }
        return UnsafeRawBufferPointer(rebasing: text[start..<position])
    }

    static func fieldIndex(_ name: UnsafeRawBufferPointer) -> Int? {
        if ConfigValue.matches(name, "warn_above") { return 0 }
        if ConfigValue.matches(name, "warn_below") { return 1 }
        if ConfigValue.matches(name, "alert_above") { return 2 }
        if ConfigValue.matches(name, "alert_below") { return 3 }
        if ConfigValue.matches(name, "critical_above") { return 4 }
        if ConfigValue.matches(name, "critical_below") { return 5 }
        if ConfigValue.matches(name, "rate_max") { return 6 }
        if ConfigValue.matches(name, "hysteresis") { return 7 }
        return nil
    }

    /// A decimal in the quantity's SenML unit as the core's fixed point, within `Int32`.
    static func fixedPoint(_ text: UnsafeRawBufferPointer, feature: Feature) throws(ParseError) -> Int32 {
        let micro: Int64
        do {
            micro = try DecimalText.microUnits(text.bindMemory(to: UInt8.self).span)
        } catch {
            throw ParseError(reason: "wants a decimal number in the quantity's unit (Cel, %RH, Pa, m/s2, W)")
        }
        // Micro-units to the core's unit: temperature, humidity, vibration and power keep 3
        // decimals (÷ 1000), pressure 1 (÷ 100 000); exact for every value the config may give.
        let divisor: Int64 = feature.decimals == 1 ? 100_000 : 1_000
        let value = micro / divisor
        if value > 2_147_483_647 || value < -2_147_483_648 {
            throw ParseError(reason: "value out of range for the quantity's fixed point")
        }
        return Int32(truncatingIfNeeded: value)
    }
}
