extension AlertEngine {
    /// The alert state of one sensor (24 bytes): which kinds are active, what is needed to clear
    /// them without flapping, and when the sensor was last heard from.
    public struct SensorState: BitwiseCopyable, Sendable {
        /// Latest arrival time of a reading (gateway clock; the reading's timestamp in replays), or
        /// `Int64.min` before the first reading.
        public var lastSeenMs: Int64
        /// Bound behind the active threshold and critical alerts (reported again when they clear).
        public var thresholdBound: Int32
        public var criticalBound: Int32
        /// Bit `kind.rawValue` set while an alert of that kind is raised.
        public var activeMask: UInt8
        /// Highest severity emitted in the current threshold and anomaly episodes (escalation).
        public var thresholdSeverity: Severity
        public var anomalySeverity: Severity
        /// Feature behind the active threshold and critical alerts (nil: the forest's confidence).
        public var thresholdFeature: Feature?
        public var criticalFeature: Feature?
        /// Consecutive readings without the condition while an anomaly / critical alert is active.
        public var anomalyQuietRun: UInt8
        public var criticalQuietRun: UInt8

        /// A sensor never heard from, with no alert.
        public static let initial = SensorState(
            lastSeenMs: Int64.min, thresholdBound: 0, criticalBound: 0, activeMask: 0, thresholdSeverity: .warning,
            anomalySeverity: .warning, thresholdFeature: nil, criticalFeature: nil, anomalyQuietRun: 0,
            criticalQuietRun: 0)

        /// True while an alert of `kind` is raised.
        @inline(__always)
        public func isActive(_ kind: AlertKind) -> Bool { activeMask & (1 &<< kind.rawValue) != 0 }

        /// Marks `kind` raised or cleared.
        @inline(__always)
        public mutating func setActive(_ kind: AlertKind, _ active: Bool) {
            let bit: UInt8 = 1 &<< kind.rawValue
            activeMask = active ? activeMask | bit : activeMask & ~bit
        }
    }
}
