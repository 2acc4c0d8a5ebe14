/// The payload of a `marker` record (docs/LOG_FORMAT.md §4.4): an event of the log itself.
public struct LogMarkerPayload: Sendable, Equatable, BitwiseCopyable {
    /// Marker codes (stored: fixed forever).
    public static let started: UInt16 = 1
    public static let readingsDropped: UInt16 = 2
    public static let alertsDropped: UInt16 = 3
    /// The upstream refused a record for good (a 4.xx that retrying cannot fix, docs/UPLINK_FORMAT.md
    /// §1): the value is that record's sequence, which the uplink then passes without delivering.
    public static let rejectedByUpstream: UInt16 = 4
    /// A sensor's slot went to a new sensor: the value is the reason (`evictedOffline`,
    /// `evictedOverShare`) and the payload ends with the evicted sensor's name.
    public static let sensorEvicted: UInt16 = 5
    /// Reasons of a `sensorEvicted` marker (stored: fixed forever): the sensor was offline past
    /// `--sensor-evict-after`; its source held more than its share of the sensor table.
    public static let evictedOffline: UInt64 = 1
    public static let evictedOverShare: UInt64 = 2

    public var code: UInt16
    public var value: UInt64
    /// The sensor a `sensorEvicted` marker names; empty for every other code.
    public var sensor: SensorName

    public init(code: UInt16, value: UInt64, sensor: SensorName = SensorName()) {
        precondition((code == LogMarkerPayload.sensorEvicted) == (sensor.count > 0), "only an eviction marker names a sensor")
        self.code = code
        self.value = value
        self.sensor = sensor
    }

    /// Payload bytes of a marker without a sensor name (all codes but `sensorEvicted`).
    public static let sizeBytes = 12

    /// Payload bytes of this marker: 12, plus the name field for `sensorEvicted`.
    public var encodedBytes: Int { sensor.count > 0 ? LogMarkerPayload.sizeBytes + LogPayloadName.size(sensor) : LogMarkerPayload.sizeBytes }

    /// Writes the payload into `bytes` (at least `encodedBytes`); returns its length.
    public func encode(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        precondition(bytes.count >= encodedBytes, "payload buffer too small")
        LogFormat.store16(bytes, 0, code)
        LogFormat.store16(bytes, 2, 0)
        LogFormat.store64(bytes, 4, value)
        if sensor.count == 0 { return LogMarkerPayload.sizeBytes }
        return LogPayloadName.encode(sensor, into: bytes, at: LogMarkerPayload.sizeBytes)
    }

    /// The payload in `bytes`, or nil when malformed: 12 bytes, or for `sensorEvicted` exactly 12
    /// plus a valid name field (any other length or a name on another code is refused).
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        if bytes.count < LogMarkerPayload.sizeBytes || LogFormat.load16(bytes, 2) != 0 { return nil }
        code = LogFormat.load16(bytes, 0)
        value = LogFormat.load64(bytes, 4)
        sensor = SensorName()
        let named = code == LogMarkerPayload.sensorEvicted
        if !named { if bytes.count != LogMarkerPayload.sizeBytes { return nil } else { return } }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[LogMarkerPayload.sizeBytes...])
        guard let (name, end) = LogPayloadName.decode(rest), end == rest.count else { return nil }
        sensor = name
    }

    /// Lower-case name of the code for JSON output.
    public var codeName: StaticString {
        switch code {
        case LogMarkerPayload.started: return "started"
        case LogMarkerPayload.readingsDropped: return "readings_dropped"
        case LogMarkerPayload.alertsDropped: return "alerts_dropped"
        case LogMarkerPayload.rejectedByUpstream: return "rejected_by_upstream"
        case LogMarkerPayload.sensorEvicted: return "sensor_evicted"
        default: return "unknown"
        }
    }

    /// Lower-case name of a `sensorEvicted` marker's reason for JSON output.
    public var reasonName: StaticString {
        switch value {
        case LogMarkerPayload.evictedOffline: return "offline"
        case LogMarkerPayload.evictedOverShare: return "over_share"
        default: return "unknown"
        }
    }
}
