/// Bounds for one feature, in its core fixed-point unit. A nil bound is not checked.
///
/// A value strictly beyond a bound breaches it (`> above`, `< below`), matching the reference rules
/// ("alert if temperature > 45 °C"). A breached level clears only when the value is back inside the
/// bound by `hysteresis`, so a value hovering at the bound does not flap.
public struct FeatureRule: BitwiseCopyable, Sendable {
    public var warningBelow: Int32?
    public var warningAbove: Int32?
    public var alertBelow: Int32?
    public var alertAbove: Int32?
    /// Critical limits: a breach raises a critical alert at once (no debounce).
    public var criticalBelow: Int32?
    public var criticalAbove: Int32?
    /// Largest accepted change per second between consecutive readings (absolute), or nil.
    /// A faster change is a warning (a stuck or broken sensor, or a real jump).
    public var rateMaxPerSecond: Int32?
    /// How far back inside a bound a value must come before the breach clears (≥ 0).
    public var hysteresis: Int32

    /// A rule that checks nothing.
    public init() {
        hysteresis = 0
    }

    public init(
        warningBelow: Int32? = nil, warningAbove: Int32? = nil, alertBelow: Int32? = nil,
        alertAbove: Int32? = nil, criticalBelow: Int32? = nil, criticalAbove: Int32? = nil,
        rateMaxPerSecond: Int32? = nil, hysteresis: Int32 = 0
    ) {
        precondition(hysteresis >= 0, "hysteresis must not be negative")
        self.warningBelow = warningBelow
        self.warningAbove = warningAbove
        self.alertBelow = alertBelow
        self.alertAbove = alertAbove
        self.criticalBelow = criticalBelow
        self.criticalAbove = criticalAbove
        self.rateMaxPerSecond = rateMaxPerSecond
        self.hysteresis = hysteresis
    }
}

/// The threshold detector's configuration: one rule per feature and the debounce count.
public struct ThresholdRules: BitwiseCopyable, Sendable {
    /// Rules indexed by `Feature.index`.
    public var features: InlineArray<5, FeatureRule>
    /// A warning or alert level counts only after this many consecutive breaching readings (≥ 1).
    public var debounceCount: UInt8

    /// Rules that check nothing, with a debounce of 1.
    public init() {
        features = InlineArray(repeating: FeatureRule())
        debounceCount = 1
    }

    /// The rule for `feature`.
    ///
    /// Read-only on purpose: a settable subscript gets a `modify` coroutine, whose frame allocator
    /// (`swift_coroFrameAlloc`) unoptimised Embedded builds then need. Change rules with `set`.
    public subscript(feature: Feature) -> FeatureRule { features[feature.index] }

    /// Replaces the rule for `feature`.
    public mutating func set(_ feature: Feature, _ rule: FeatureRule) {
        features[feature.index] = rule
    }
}
