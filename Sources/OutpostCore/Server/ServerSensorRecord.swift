/// What the server remembers of a sensor's latest reading, for `GET /sensors/{id}`: the pipeline
/// keeps statistics and alert state, not the last values themselves.
public struct ServerSensorRecord: BitwiseCopyable, Sendable {
    /// Receive time (server clock) of the sensor's last accepted reading, ms since the epoch.
    public var lastReceivedMs: Int64
    /// The newest reading by timestamp (a late reading does not replace it).
    public var reading: ProcessedReading
    public var location: Location?
    /// False until the first reading.
    public var hasReading: Bool
    /// The line-mode serial line its readings last came on (its commands are written there), or -1.
    public var commandLine: Int8 = -1
    /// The source entry (`SourceTable`) its latest reading came from, or -1 (a serial line, the
    /// log at start-up, or a source whose entry was taken over since): the source holding it.
    public var owner: Int16 = -1

    /// A sensor never heard from.
    public static var empty: ServerSensorRecord {
        ServerSensorRecord(
            lastReceivedMs: 0,
            reading: ProcessedReading(
                sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: Int64.min,
                features: FeatureVector(), batteryMilliPercent: nil),
            location: nil, hasReading: false)
    }
}
