/// One normalised sensor reading: the unit of work of the pipeline.
///
/// Every value is in its core fixed-point unit (docs/FIXED_POINT.md), so the detectors compare
/// integers only. Readings are built by `ReadingBuilder`, which does the unit normalisation.
public struct Reading: BitwiseCopyable, Sendable, Equatable {
    /// Which sensor sent it.
    public var sensor: SensorName
    /// When it was measured, in milliseconds since the Unix epoch.
    public var timestampMs: Int64
    /// Temperature, humidity, pressure, vibration and power, each optional.
    public var features: FeatureVector
    /// Battery level in milli-percent (0...100 000), or nil when the sensor does not report one.
    public var batteryMilliPercent: Int32?
    /// Latitude and longitude in 1e-7 degrees, or nil when not reported.
    public var location: Location?

    /// A reading from `sensor` at `timestampMs` with no values yet.
    public init(sensor: SensorName, timestampMs: Int64) {
        self.sensor = sensor
        self.timestampMs = timestampMs
        self.features = FeatureVector()
        self.batteryMilliPercent = nil
        self.location = nil
    }
}

/// A position in 1e-7 degrees (the resolution of common GNSS receivers; fits `Int32`).
public struct Location: BitwiseCopyable, Sendable, Equatable {
    /// Latitude, -900 000 000 ... 900 000 000.
    public var latitudeE7: Int32
    /// Longitude, -1 800 000 000 ... 1 800 000 000.
    public var longitudeE7: Int32

    public init(latitudeE7: Int32, longitudeE7: Int32) {
        self.latitudeE7 = latitudeE7
        self.longitudeE7 = longitudeE7
    }
}
