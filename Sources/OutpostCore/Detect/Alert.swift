/// What an alert is about. Raw values are stored in the log: append only.
public enum AlertKind: UInt8, BitwiseCopyable, Sendable {
    /// A feature crossed a warning or alert bound of the threshold rules (or its rate bound).
    case threshold = 0
    /// The Isolation Forest scored the reading above the model's decision threshold.
    case anomaly = 1
    /// A critical limit was crossed, or the forest's confidence exceeded 0.9.
    case critical = 2
    /// More than 15 % of the sensor's readings over 5 minutes were anomalous.
    case anomalyRate = 3
    /// No reading from the sensor for 5 minutes.
    case offline = 4
    /// Battery below 20 %.
    case lowBattery = 5
    /// The gateway's own alert, not a sensor's: the upstream refused records for good and the
    /// uplink set them aside (docs/UPLINK_FORMAT.md, "Rejected records"). Raised when a record is
    /// set aside, cleared once none was for `ServerHealthWatch.recentMs`: open exactly while
    /// `/health` gives the reason `records_rejected`. Its event carries `AlertEvent.gatewaySlot`.
    case uplinkRejected = 6

    /// Number of sensor kinds, 0 ..< count (size of per-sensor alert state tables); the gateway's
    /// own kinds (`uplinkRejected`) come after them and have no per-sensor state.
    public static let count = 6

    /// Lower-case name for JSON output.
    public var name: StaticString {
        switch self {
        case .threshold: return "threshold"
        case .anomaly: return "anomaly"
        case .critical: return "critical"
        case .anomalyRate: return "anomaly_rate"
        case .offline: return "offline"
        case .lowBattery: return "low_battery"
        case .uplinkRejected: return "uplink_rejected"
        }
    }
}

/// How urgent an alert is. Raw values are stored in the log: append only.
public enum Severity: UInt8, BitwiseCopyable, Sendable, Comparable {
    case warning = 1
    case major = 2
    case critical = 3

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }

    /// Lower-case name for JSON output.
    public var name: StaticString {
        switch self {
        case .warning: return "warning"
        case .major: return "major"
        case .critical: return "critical"
        }
    }
}

/// One alert raised or cleared: what leaves the pipeline for the log, the uplink and observers.
public struct AlertEvent: BitwiseCopyable, Sendable, Equatable {
    /// True when the alert is raised, false when it is cleared.
    public var raised: Bool
    public var kind: AlertKind
    public var severity: Severity
    /// Slot of the sensor in the sensor table, or `gatewaySlot` for the gateway's own alerts.
    public var sensorSlot: UInt16
    /// The feature concerned, or nil (offline, anomaly over the whole vector, battery).
    public var feature: Feature?
    /// The value that raised or cleared it, in the feature's core unit (battery: milli-percent;
    /// offline: seconds since last reading; anomaly rate: milli-fraction of anomalous readings).
    public var value: Int32
    /// The bound that was crossed, in the same unit as `value`.
    public var threshold: Int32
    /// Confidence in 0...65535 (= 0...1); forest anomalies only, 0 otherwise.
    public var confidenceQ16: UInt16
    /// Time of the reading (or tick) that raised or cleared it, in ms since the Unix epoch.
    public var timestampMs: Int64

    /// The `sensorSlot` of an alert about the gateway itself (named by its node id): beyond every
    /// sensor table (at most 65 535 slots).
    public static let gatewaySlot = UInt16.max
    /// The `sensorSlot` of a past event whose sensor was evicted and its index given to another
    /// (`Pipeline+Evict`): the name is gone, so the event is shown with a null sensor.
    public static let evictedSlot = UInt16.max - 1

    public init(
        raised: Bool, kind: AlertKind, severity: Severity, sensorSlot: UInt16, feature: Feature?,
        value: Int32, threshold: Int32, confidenceQ16: UInt16, timestampMs: Int64
    ) {
        self.raised = raised
        self.kind = kind
        self.severity = severity
        self.sensorSlot = sensorSlot
        self.feature = feature
        self.value = value
        self.threshold = threshold
        self.confidenceQ16 = confidenceQ16
        self.timestampMs = timestampMs
    }
}
