// The SenML records of each log record type (docs/UPLINK_FORMAT.md §3).

extension SenMLEncoder {
    /// SenML unit and decimal places of a feature's core fixed-point value (docs/FIXED_POINT.md):
    /// the value sent is the core value × 10^−decimals in that unit.
    static func unit(of feature: Feature) -> (unit: StaticString, decimals: Int) {
        switch feature {
        case .temperature: return ("Cel", 3)
        case .humidity: return ("%RH", 3)
        case .pressure: return ("Pa", 1)  // dPa in the core
        case .vibration: return ("m/s2", 3)
        case .power: return ("W", 3)
        }
    }

    /// One record per present quantity: `sensor/<quantity>` with `u`, `v`, `t`, `seq`.
    mutating func encodeReading(_ payload: LogReadingPayload, sequence: UInt64, timestampMs: Int64) {
        let reading = payload.reading
        for i in 0..<Feature.count {
            guard let feature = Feature.at(i), reading.features.isPresent(feature) else { continue }
            let (unit, decimals) = SenMLEncoder.unit(of: feature)
            beginRecord(payload.name, feature.name)
            unitValue(unit, reading.features.values[i], decimals: decimals)
            endRecord(sequence: sequence, timestampMs: timestampMs)
        }
        if let battery = reading.batteryMilliPercent {
            beginRecord(payload.name, "battery")
            unitValue("%EL", battery, decimals: 3)
            endRecord(sequence: sequence, timestampMs: timestampMs)
        }
    }

    /// Two records, each with exactly one value field (RFC 8428 §4.3): `sensor/alert/<kind>` with
    /// `vs` = "raised:<severity>" or "cleared:<severity>" (and the extensions `conf` when the
    /// forest gave a confidence, `feat` when the alert concerns one feature), then
    /// `sensor/alert/<kind>/value` with `u` and `v` = the value that raised or cleared it and the
    /// extension `thr` = the bound crossed, in the same unit.
    mutating func encodeAlert(_ payload: LogAlertPayload, sequence: UInt64) {
        let alert = payload.alert
        beginRecord(payload.name, "alert", alert.kind.name)
        writer.int(3)  // vs
        let state: StaticString = alert.raised ? "raised:" : "cleared:"
        let severity = alert.severity.name
        writer.head(major: 3, argument: UInt64(truncatingIfNeeded: (state.utf8CodeUnitCount + severity.utf8CodeUnitCount).wide))
        putASCII(state)
        putASCII(severity)
        if alert.confidenceQ16 != 0 {
            writer.text("conf")
            writer.float64(Double(alert.confidenceQ16.wide) / 65_536)
        }
        if let feature = alert.feature {
            writer.text("feat")
            writer.text(feature.name)
        }
        endRecord(sequence: sequence, timestampMs: alert.timestampMs)
        beginRecord(payload.name, "alert", alert.kind.name, "value")
        alertValue(alert, alert.value, unitLabel: true)
        writer.text("thr")
        alertValue(alert, alert.threshold, unitLabel: false)
        endRecord(sequence: sequence, timestampMs: alert.timestampMs)
    }

    /// An alert's value or threshold in the unit its kind uses (AlertEvent.value): with
    /// `unitLabel` it is written as `u` + `v`, else as a bare number.
    mutating func alertValue(_ alert: AlertEvent, _ value: Int32, unitLabel: Bool) {
        var unit: StaticString? = nil
        var decimals = 0
        var fraction = false
        if let feature = alert.feature {
            (unit, decimals) = SenMLEncoder.unit(of: feature)
        } else {
            switch alert.kind {
            case .offline: unit = "s"
            case .uplinkRejected: break  // a count of records: no SenML unit
            case .anomalyRate: unit = "/"; decimals = 3  // milli-fraction
            case .lowBattery: unit = "%EL"; decimals = 3
            case .anomaly, .critical, .threshold: unit = "/"; fraction = true  // forest score, Q16
            }
        }
        if unitLabel {
            if let unit {
                writer.int(1)
                writer.text(unit)
            }
            writer.int(2)
        }
        if fraction {
            writer.float64(Double(value.wide) / 65_536)
        } else {
            number(value, decimals: decimals)
        }
    }

    /// Per feature with statistics: `sensor/<quantity>/mean|sd|min|max` (`u`, `v`) and
    /// `sensor/<quantity>/count`; then `sensor/status/normal|warning|alert|anomaly` counts. Every
    /// record has `t` = window end and the extension `win` = window length in seconds; a feature
    /// whose sums saturated has `sat` = true on its mean.
    mutating func encodeSummary(_ payload: LogSummaryPayload, sequence: UInt64, timestampMs: Int64) {
        let summary = payload.summary
        let windowS = summary.span.seconds
        for i in 0..<Feature.count {
            guard let feature = Feature.at(i) else { continue }
            let stats = summary.features[i]
            if stats.count == 0 { continue }
            let (unit, decimals) = SenMLEncoder.unit(of: feature)
            summaryStat(payload.name, feature.name, "mean", unit, stats.mean, decimals, windowS, sequence, timestampMs, saturated: stats.saturated)
            summaryStat(payload.name, feature.name, "sd", unit, stats.standardDeviation, decimals, windowS, sequence, timestampMs, saturated: false)
            summaryStat(payload.name, feature.name, "min", unit, stats.minimum, decimals, windowS, sequence, timestampMs, saturated: false)
            summaryStat(payload.name, feature.name, "max", unit, stats.maximum, decimals, windowS, sequence, timestampMs, saturated: false)
            summaryCount(payload.name, feature.name, "count", stats.count, windowS, sequence, timestampMs)
        }
        summaryCount(payload.name, "status", "normal", summary.normalCount, windowS, sequence, timestampMs)
        summaryCount(payload.name, "status", "warning", summary.warningCount, windowS, sequence, timestampMs)
        summaryCount(payload.name, "status", "alert", summary.alertCount, windowS, sequence, timestampMs)
        summaryCount(payload.name, "status", "anomaly", summary.anomalyCount, windowS, sequence, timestampMs)
    }

    mutating func summaryStat(
        _ name: SensorName, _ quantity: StaticString, _ statistic: StaticString, _ unit: StaticString, _ value: Int32,
        _ decimals: Int, _ windowS: Int, _ sequence: UInt64, _ timestampMs: Int64, saturated: Bool
    ) {
        beginRecord(name, quantity, statistic)
        unitValue(unit, value, decimals: decimals)
        writer.text("win")
        writer.int(windowS.wide)
        if saturated {
            writer.text("sat")
            writer.bool(true)
        }
        endRecord(sequence: sequence, timestampMs: timestampMs)
    }

    mutating func summaryCount(
        _ name: SensorName, _ group: StaticString, _ counter: StaticString, _ count: UInt32, _ windowS: Int,
        _ sequence: UInt64, _ timestampMs: Int64
    ) {
        beginRecord(name, group, counter)
        writer.int(2)
        writer.int(count.wide)
        writer.text("win")
        writer.int(windowS.wide)
        endRecord(sequence: sequence, timestampMs: timestampMs)
    }

    /// A marker as `log/<code>` with `v` = its value and the extension `mark` = its code; an
    /// eviction marker as `<sensor>/log/sensor_evicted` (the sensor it names).
    mutating func encodeMarker(_ payload: LogMarkerPayload, sequence: UInt64, timestampMs: Int64) {
        beginRecord(payload.sensor.count > 0 ? payload.sensor : nil, "log", payload.codeName)
        writer.int(2)
        writer.head(major: 0, argument: payload.value)
        writer.text("mark")
        writer.int(payload.code.wide)
        endRecord(sequence: sequence, timestampMs: timestampMs)
    }

    /// A value of a quantity not detected on, as it was sent: `sensor/<quantity>` with its own
    /// `u` (when it had one) and `v` (an integer when whole, else a float64 of the micro-units /
    /// 10⁶), `t`, `seq`.
    /// Not inlined into `append`: the uplink's batch loop inlines `append`, and this path stays
    /// one call there (in the low firmware, which never writes such records, a few bytes).
    /// - Returns: false when the payload does not decode (nothing written).
    @inline(never)
    mutating func encodeQuantity(_ record: LogRecord) -> Bool {
        guard let payload = record.quantity else { return false }
        let sequence = record.sequence
        let value = payload.value
        beginRecord(value.sensor, quantity: value.name)
        if let unit = value.unit {
            writer.int(1)  // u
            writer.head(major: 3, argument: UInt64(truncatingIfNeeded: Int(unit.count).wide))
            for i in 0..<Int(unit.count) { writer.put1(unit[i]) }
        }
        writer.int(2)  // v
        if value.valueMicro % 1_000_000 == 0 {
            writer.int(value.valueMicro / 1_000_000)
        } else {
            writer.float64(Double(value.valueMicro) / 1_000_000)
        }
        endRecord(sequence: sequence, timestampMs: value.timestampMs)
        return true
    }
}
