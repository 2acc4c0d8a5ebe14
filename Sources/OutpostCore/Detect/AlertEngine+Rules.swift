extension AlertEngine {
    /// Threshold alerts: raise when the status leaves normal, escalate when it gets worse,
    /// clear when it is normal again. Emits at most one event.
    /// - Complexity: O(1).
    mutating func observeThreshold<Sink: AlertSink>(
        _ state: inout SensorState, slot: UInt16, reading: ProcessedReading, verdict: ThresholdVerdict,
        into sink: inout Sink
    ) {
        let active = state.isActive(.threshold)
        if verdict.status != .normal {
            let severity: Severity = verdict.status == .alert ? .major : .warning
            if active && severity <= state.thresholdSeverity { return }
            state.setActive(.threshold, true)
            state.thresholdSeverity = severity
            state.thresholdFeature = verdict.feature
            state.thresholdBound = verdict.bound
            AlertEngine.emit(
                AlertEvent(
                    raised: true, kind: .threshold, severity: severity, sensorSlot: slot, feature: verdict.feature,
                    value: verdict.value, threshold: verdict.bound, confidenceQ16: 0, timestampMs: reading.timestampMs),
                into: &sink)
        } else if active {
            state.setActive(.threshold, false)
            var value: Int32 = 0
            if let feature = state.thresholdFeature, let current = reading.features[feature] { value = current }
            AlertEngine.emit(
                AlertEvent(
                    raised: false, kind: .threshold, severity: state.thresholdSeverity, sensorSlot: slot,
                    feature: state.thresholdFeature, value: value, threshold: state.thresholdBound, confidenceQ16: 0,
                    timestampMs: reading.timestampMs),
                into: &sink)
        }
    }

    /// Forest anomalies: value is the score (Q16), threshold 0 (the model's threshold is not in
    /// the verdict). Emits at most one event.
    /// - Complexity: O(1).
    mutating func observeAnomaly<Sink: AlertSink>(
        _ state: inout SensorState, slot: UInt16, timestampMs: Int64, forest: ForestScore, into sink: inout Sink
    ) {
        let active = state.isActive(.anomaly)
        if forest.anomaly {
            state.anomalyQuietRun = 0
            let severity: Severity = forest.confidenceQ16 >= AlertEngine.majorConfidenceQ16 ? .major : .warning
            if active && severity <= state.anomalySeverity { return }
            state.setActive(.anomaly, true)
            state.anomalySeverity = severity
            AlertEngine.emit(
                AlertEvent(
                    raised: true, kind: .anomaly, severity: severity, sensorSlot: slot, feature: nil,
                    value: Int32(forest.scoreQ16), threshold: settings.anomalyThresholdQ16, confidenceQ16: forest.confidenceQ16,
                    timestampMs: timestampMs),
                into: &sink)
        } else if active {
            state.anomalyQuietRun += 1
            if state.anomalyQuietRun < AlertEngine.quietReadingsToClear { return }
            state.anomalyQuietRun = 0
            state.setActive(.anomaly, false)
            AlertEngine.emit(
                AlertEvent(
                    raised: false, kind: .anomaly, severity: state.anomalySeverity, sensorSlot: slot, feature: nil,
                    value: Int32(forest.scoreQ16), threshold: settings.anomalyThresholdQ16, confidenceQ16: 0,
                    timestampMs: timestampMs),
                into: &sink)
        }
    }

    /// Critical alerts: a critical limit (value and limit of that feature) or a forest confidence
    /// above the critical one (value and threshold in Q16). Emits at most one event.
    /// - Complexity: O(1).
    mutating func observeCritical<Sink: AlertSink>(
        _ state: inout SensorState, slot: UInt16, reading: ProcessedReading, verdict: ThresholdVerdict,
        forest: ForestScore?, into sink: inout Sink
    ) {
        var confidence: UInt16 = 0
        if let forest { confidence = forest.confidenceQ16 }
        let confidenceThreshold = Int32(settings.criticalConfidenceQ16)
        let forestCritical = confidence > settings.criticalConfidenceQ16
        let active = state.isActive(.critical)
        if verdict.criticalFeature != nil || forestCritical {
            state.criticalQuietRun = 0
            if active { return }
            state.setActive(.critical, true)
            state.criticalFeature = verdict.criticalFeature
            let value = verdict.criticalFeature != nil ? verdict.criticalValue : Int32(confidence)
            state.criticalBound = verdict.criticalFeature != nil ? verdict.criticalBound : confidenceThreshold
            AlertEngine.emit(
                AlertEvent(
                    raised: true, kind: .critical, severity: .critical, sensorSlot: slot,
                    feature: verdict.criticalFeature, value: value, threshold: state.criticalBound,
                    confidenceQ16: confidence, timestampMs: reading.timestampMs),
                into: &sink)
        } else if active {
            state.criticalQuietRun += 1
            if state.criticalQuietRun < AlertEngine.quietReadingsToClear { return }
            state.criticalQuietRun = 0
            state.setActive(.critical, false)
            var value = Int32(confidence)
            if let feature = state.criticalFeature { value = reading.features[feature] ?? 0 }
            AlertEngine.emit(
                AlertEvent(
                    raised: false, kind: .critical, severity: .critical, sensorSlot: slot,
                    feature: state.criticalFeature, value: value, threshold: state.criticalBound,
                    confidenceQ16: confidence, timestampMs: reading.timestampMs),
                into: &sink)
        }
    }

    /// Share of anomalous readings over the 5-minute window, as a milli-fraction (value) against
    /// `settings.anomalyRateMilli` (threshold). Compared exactly: anomalies × 1000 against
    /// threshold × readings. Clearing needs no minimum count, so a sensor that slows down still
    /// clears. Emits at most one event.
    /// - Complexity: O(1).
    mutating func observeAnomalyRate<Sink: AlertSink>(
        _ state: inout SensorState, slot: UInt16, timestampMs: Int64, anomalies: UInt32, readings: UInt32,
        into sink: inout Sink
    ) {
        if readings == 0 { return }
        let scaledAnomalies = anomalies.wide * 1000
        let rateMilli = (scaledAnomalies / readings.wide).saturatingInt32
        let active = state.isActive(.anomalyRate)
        let raiseLimit = settings.anomalyRateMilli.wide * readings.wide
        var clearMilli = settings.anomalyRateMilli - AlertEngine.anomalyRateHysteresisMilli
        if clearMilli < 0 { clearMilli = 0 }
        if !active && readings >= AlertEngine.minimumRateReadings && scaledAnomalies > raiseLimit {
            state.setActive(.anomalyRate, true)
        } else if active && scaledAnomalies <= clearMilli.wide * readings.wide {
            state.setActive(.anomalyRate, false)
        } else {
            return
        }
        AlertEngine.emit(
            AlertEvent(
                raised: !active, kind: .anomalyRate, severity: .major, sensorSlot: slot, feature: nil, value: rateMilli,
                threshold: settings.anomalyRateMilli, confidenceQ16: 0, timestampMs: timestampMs),
            into: &sink)
    }

    /// Low battery: raise below the threshold, clear at ≥ threshold + 5 %. Emits at most one event.
    /// - Complexity: O(1).
    mutating func observeBattery<Sink: AlertSink>(
        _ state: inout SensorState, slot: UInt16, timestampMs: Int64, batteryMilliPercent: Int32, into sink: inout Sink
    ) {
        let active = state.isActive(.lowBattery)
        let threshold = settings.lowBatteryMilliPercent
        if !active && batteryMilliPercent < threshold {
            state.setActive(.lowBattery, true)
        } else if active && batteryMilliPercent.wide >= threshold.wide + AlertEngine.batteryHysteresisMilliPercent.wide {
            state.setActive(.lowBattery, false)
        } else {
            return
        }
        AlertEngine.emit(
            AlertEvent(
                raised: !active, kind: .lowBattery, severity: .warning, sensorSlot: slot, feature: nil,
                value: batteryMilliPercent, threshold: threshold, confidenceQ16: 0, timestampMs: timestampMs),
            into: &sink)
    }
}
