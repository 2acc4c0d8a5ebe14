extension ThresholdDetector {
    /// The detector's memory of one feature of one sensor (24 bytes).
    ///
    /// Only a reading in which the feature is present changes it; an absent feature keeps its level,
    /// so a sensor that skips a feature in one message does not flap between alert and normal.
    public struct FeatureState: BitwiseCopyable, Sendable, Equatable {
        /// Timestamp of the last reading that carried the feature (rate bound), in ms.
        public var lastTimestampMs: Int64
        /// Value of the feature in that reading (core units).
        public var lastValue: Int32
        /// Value and bound behind the reported `level` (for a rate breach: the rate per second and
        /// the rate bound); 0 when normal.
        public var reportedValue: Int32
        public var reportedBound: Int32
        /// The debounced level the detector reports for this feature.
        public var level: Status
        /// Consecutive readings whose instantaneous level was ≥ warning, resp. ≥ alert (saturating).
        public var warningRun: UInt8
        public var alertRun: UInt8
        /// `FeatureState.hasLast` and `FeatureState.criticalActive` bits.
        public var flags: UInt8

        /// Set once the feature has been seen: `lastValue`/`lastTimestampMs` are meaningful.
        static let hasLast: UInt8 = 1
        /// A critical limit is breached (or held by hysteresis).
        static let criticalActive: UInt8 = 2

        /// The state of a feature never seen.
        public static let initial = FeatureState(
            lastTimestampMs: 0, lastValue: 0, reportedValue: 0, reportedBound: 0, level: .normal,
            warningRun: 0, alertRun: 0, flags: 0)

        /// True once a reading carried the feature.
        @inline(__always)
        public var hasLast: Bool { flags & FeatureState.hasLast != 0 }

        /// True while a critical limit is breached or held by hysteresis.
        @inline(__always)
        public var isCritical: Bool { flags & FeatureState.criticalActive != 0 }
    }
}
