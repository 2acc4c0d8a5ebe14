extension TextWriter {
    /// Appends a feature value in its unit with its fixed-point decimals (°C, %RH, Pa, m/s², W).
    public mutating func featureValue(_ value: Int32, _ feature: Feature) {
        fixed(value.wide, decimals: feature.decimals)
    }

    /// Appends `{"type":"alert",...}` for an alert event (no line end).
    ///
    /// `value`/`threshold` are printed in the unit of what they measure: the feature's unit,
    /// seconds (offline), a fraction (anomaly rate) or percent (battery).
    public mutating func alertJSON(_ event: AlertEvent, sensor: SensorName) {
        text("{\"type\":\"alert\",\"event\":\"")
        text(event.raised ? "raised" : "cleared")
        text("\",\"kind\":\"")
        text(event.kind.name)
        text("\",\"severity\":\"")
        text(event.severity.name)
        text("\",\"sensor\":\"")
        name(sensor)
        text("\",\"feature\":")
        if let feature = event.feature {
            byte(0x22)
            text(feature.name)
            byte(0x22)
        } else {
            text("null")
        }
        text(",\"value\":")
        alertQuantity(event.value, event)
        text(",\"threshold\":")
        alertQuantity(event.threshold, event)
        text(",\"confidence\":")
        q16(event.confidenceQ16)
        text(",\"t_ms\":")
        integer(event.timestampMs)
        byte(0x7D)
    }

    mutating func alertQuantity(_ value: Int32, _ event: AlertEvent) {
        switch event.kind {
        case .offline, .uplinkRejected: integer(value.wide)
        case .anomalyRate, .lowBattery: fixed(value.wide, decimals: 3)
        case .threshold, .critical, .anomaly:
            if let feature = event.feature {
                featureValue(value, feature)
            } else {
                // A forest score (Q16), as a fraction with three decimals.
                q16(UInt16(truncatingIfNeeded: min(max(value, 0), 65_535)))
            }
        }
    }

    /// Appends `{"type":"summary",...}` for one sensor's window (no line end).
    public mutating func summaryJSON(_ summary: WindowSummary, sensor: SensorName, nowMs: Int64) {
        text("{\"type\":\"summary\",\"sensor\":\"")
        name(sensor)
        text("\",\"t_ms\":")
        integer(nowMs)
        text(",\"window_s\":")
        integer(summary.span.seconds.wide)
        text(",\"readings\":")
        integer(summary.readingCount.wide)
        text(",\"normal\":")
        integer(summary.normalCount.wide)
        text(",\"warning\":")
        integer(summary.warningCount.wide)
        text(",\"alert\":")
        integer(summary.alertCount.wide)
        text(",\"anomalies\":")
        integer(summary.anomalyCount.wide)
        for f in 0..<Feature.count {
            let feature = Feature.at(f)!
            let stats = summary.features[f]
            text(",\"")
            text(feature.name)
            text("\":{\"count\":")
            integer(stats.count.wide)
            if stats.count > 0 {
                text(",\"mean\":")
                featureValue(stats.mean, feature)
                text(",\"std\":")
                featureValue(stats.standardDeviation, feature)
                text(",\"min\":")
                featureValue(stats.minimum, feature)
                text(",\"max\":")
                featureValue(stats.maximum, feature)
            }
            byte(0x7D)
        }
        byte(0x7D)
    }
}
