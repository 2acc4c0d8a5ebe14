extension ThresholdDetector {
    /// The bound of the pair (`below`, `above`) that `value` is beyond, or nil.
    ///
    /// "Beyond" is strict (`>` above, `<` below); `slack` (the hysteresis, while the level is
    /// held) moves the bound inward, so a held level clears only once the value is back inside by
    /// `slack`. Computed in 64 bits: a bound near the `Int32` range end minus slack cannot overflow.
    @inline(__always)
    static func crossed(_ value: Int32, below: Int32?, above: Int32?, slack: Int32) -> Int32? {
        if let above, value.wide > above.wide - slack.wide { return above }
        if let below, value.wide < below.wide + slack.wide { return below }
        return nil
    }

    /// The change per second between two readings if it exceeds `maxPerSecond`, or nil.
    ///
    /// Compares |Δvalue| × 1000 > maxPerSecond × Δt in 64 bits: |Δvalue| < 2³², so the left side
    /// stays below 2⁴²; the right side overflowing means a gap so long no rate can breach it.
    /// Δt ≤ 0 (a repeated or out-of-order timestamp) skips the check.
    @inline(__always)
    static func rateBreach(
        from previous: Int32, at previousMs: Int64, to value: Int32, at timestampMs: Int64, maxPerSecond: Int32
    ) -> Int32? {
        let (elapsedMs, elapsedOverflow) = timestampMs.subtractingReportingOverflow(previousMs)
        if elapsedOverflow || elapsedMs <= 0 { return nil }
        let delta = value.wide - previous.wide
        let scaledDelta = (delta < 0 ? -delta : delta) * 1000
        let (limit, limitOverflow) = maxPerSecond.wide.multipliedReportingOverflow(by: elapsedMs)
        if limitOverflow || scaledDelta <= limit { return nil }
        return (scaledDelta / elapsedMs).saturatingInt32
    }

    /// Updates one feature's state with a reading that carries it.
    /// - Complexity: O(1).
    static func update(
        _ state: inout FeatureState, value: Int32, timestampMs: Int64, rule: FeatureRule, debounceCount: UInt8
    ) {
        var rate: Int32? = nil
        if let maxPerSecond = rule.rateMaxPerSecond, state.hasLast {
            rate = rateBreach(
                from: state.lastValue, at: state.lastTimestampMs, to: value, at: timestampMs, maxPerSecond: maxPerSecond)
        }
        let held = state.level
        let alertBound = crossed(
            value, below: rule.alertBelow, above: rule.alertAbove, slack: held >= .alert ? rule.hysteresis : 0)
        let warningBound = crossed(
            value, below: rule.warningBelow, above: rule.warningAbove, slack: held >= .warning ? rule.hysteresis : 0)
        let instant: Status
        if alertBound != nil {
            instant = .alert
        } else if warningBound != nil || rate != nil {
            instant = .warning
        } else {
            instant = .normal
        }
        state.warningRun = instant >= .warning ? saturatingIncrement(state.warningRun) : 0
        state.alertRun = instant >= .alert ? saturatingIncrement(state.alertRun) : 0
        let level: Status
        if instant <= held {
            // Lower (or equal) levels are reported at once: hysteresis already kept the held one.
            level = instant
        } else if state.alertRun >= debounceCount {
            level = .alert
        } else if state.warningRun >= debounceCount {
            level = held > .warning ? held : .warning
        } else {
            level = held
        }
        state.level = level
        switch level {
        case .alert:
            state.reportedValue = value
            state.reportedBound = alertBound ?? 0
        case .warning:
            if let warningBound {
                state.reportedValue = value
                state.reportedBound = warningBound
            } else if let rate {
                state.reportedValue = rate
                state.reportedBound = rule.rateMaxPerSecond ?? 0
            } else {
                // Debounced down from an alert on a feature without warning bounds.
                state.reportedValue = value
                state.reportedBound = alertBound ?? 0
            }
        case .normal:
            state.reportedValue = 0
            state.reportedBound = 0
        }
        let criticalHeld = state.isCritical
        let critical = crossed(
            value, below: rule.criticalBelow, above: rule.criticalAbove, slack: criticalHeld ? rule.hysteresis : 0)
        var flags = FeatureState.hasLast
        if critical != nil { flags |= FeatureState.criticalActive }
        state.flags = flags
        state.lastValue = value
        state.lastTimestampMs = timestampMs
    }

    @inline(__always)
    static func saturatingIncrement(_ run: UInt8) -> UInt8 { run == UInt8.max ? run : run + 1 }
}
