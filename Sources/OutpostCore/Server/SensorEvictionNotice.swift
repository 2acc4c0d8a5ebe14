/// A sensor whose slot went to a new sensor, waiting in the server until the next outbox drain
/// hands it to the consumer (the log writes it as a `sensorEvicted` marker, docs/LOG_FORMAT.md
/// §4.4): the evicted sensor's name is gone from the table once its index is reused.
public struct SensorEvictionNotice: BitwiseCopyable, Sendable {
    /// The sensor that lost its slot.
    public var sensor: SensorName
    /// `LogMarkerPayload.evictedOffline` or `.evictedOverShare`.
    public var reason: UInt64
    /// When it lost it (server clock, ms since the epoch).
    public var timestampMs: Int64

    public init(sensor: SensorName, reason: UInt64, timestampMs: Int64) {
        self.sensor = sensor
        self.reason = reason
        self.timestampMs = timestampMs
    }
}
