/// A value of a quantity the gateway does not detect on (`co2`, `voltage`, …): taken from a SenML
/// record as sent, logged (docs/LOG_FORMAT.md §4.8) and forwarded upstream with its own name and
/// unit, never normalised or scored.
///
/// The quantity name and the unit are kept as `SensorName`s: the same 32-byte inline text of
/// printable ASCII, so no second text type is needed (SenML names only use `[A-Za-z0-9:./_-]`,
/// and every SenML unit is printable ASCII without quotes, commas or backslashes).
public struct QuantityValue: BitwiseCopyable, Sendable, Equatable {
    public var sensor: SensorName
    public var timestampMs: Int64
    /// The value exactly as sent, in micro-units of `unit` (value × 10⁶, see `DecimalText`).
    public var valueMicro: Int64
    /// The quantity: the part of the record name after the sensor.
    public var name: SensorName
    /// The SenML unit (`u`, else `bu`), nil when the record has none (RFC 8428 §4.5.2: optional).
    public var unit: SensorName?

    public init(sensor: SensorName, timestampMs: Int64, valueMicro: Int64, name: SensorName, unit: SensorName?) {
        self.sensor = sensor
        self.timestampMs = timestampMs
        self.valueMicro = valueMicro
        self.name = name
        self.unit = unit
    }

    /// Filler for carved buffers.
    public static var empty: QuantityValue {
        QuantityValue(sensor: SensorName(), timestampMs: 0, valueMicro: 0, name: SensorName(), unit: nil)
    }
}
