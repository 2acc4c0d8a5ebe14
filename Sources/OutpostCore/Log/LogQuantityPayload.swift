/// The payload of a `quantityValue` record (docs/LOG_FORMAT.md §4.8), 11 + n + q + u bytes: a value
/// of a quantity the gateway does not detect on, as sent (its name, its SenML unit, its value in
/// micro-units). The record's timestamp is the value's time.
public struct LogQuantityPayload: Sendable, Equatable, BitwiseCopyable {
    public var value: QuantityValue

    public init(_ value: QuantityValue) {
        precondition(value.sensor.count > 0 && value.name.count > 0, "a quantity value needs a sensor and a name")
        self.value = value
    }

    /// Payload bytes of this value.
    public var sizeBytes: Int {
        LogPayloadName.size(value.sensor) + LogPayloadName.size(value.name) + 1 + Int(value.unit?.count ?? 0) + 8
    }

    /// Writes the payload into `bytes` (at least `sizeBytes`); returns its length.
    /// - Complexity: O(name lengths).
    public func encode(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        precondition(bytes.count >= sizeBytes, "payload buffer too small")
        var offset = LogPayloadName.encode(value.sensor, into: bytes, at: 0)
        offset = LogPayloadName.encode(value.name, into: bytes, at: offset)
        if let unit = value.unit {
            offset = LogPayloadName.encode(unit, into: bytes, at: offset)
        } else {
            // A unit length of 0: the record had no unit.
            bytes[offset] = 0
            offset += 1
        }
        LogFormat.store64(bytes, offset, UInt64(bitPattern: value.valueMicro))
        return offset + 8
    }

    /// The payload in `bytes` with the record's `timestampMs`, or nil when malformed (a name or
    /// unit that is not 1…32 bytes of printable ASCII, a wrong length).
    /// - Complexity: O(payload).
    public init?(decoding bytes: UnsafeRawBufferPointer, timestampMs: Int64) {
        guard let (sensor, afterSensor) = LogPayloadName.decode(bytes) else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: bytes[afterSensor...])
        guard let (name, afterName) = LogPayloadName.decode(rest) else { return nil }
        var offset = afterSensor + afterName
        if offset >= bytes.count { return nil }
        var unit: SensorName? = nil
        if bytes[offset] == 0 {
            offset += 1
        } else {
            guard let (decoded, afterUnit) = LogPayloadName.decode(UnsafeRawBufferPointer(rebasing: bytes[offset...])) else { return nil }
            unit = decoded
            offset += afterUnit
        }
        if bytes.count != offset + 8 { return nil }
        let micro = Int64(bitPattern: LogFormat.load64(bytes, offset))
        value = QuantityValue(sensor: sensor, timestampMs: timestampMs, valueMicro: micro, name: name, unit: unit)
    }
}
