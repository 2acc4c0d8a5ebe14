/// The payload of an `alert` / `alertCleared` record (docs/LOG_FORMAT.md §4.2): the alert event
/// with its sensor's name. Whether it was raised or cleared is the record type.
public struct LogAlertPayload: Sendable, Equatable {
    public var name: SensorName
    /// The event; `sensorSlot` is not stored (decoded as 0).
    public var alert: AlertEvent

    public init(name: SensorName, alert: AlertEvent) {
        precondition(name.count > 0, "an alert needs a sensor name")
        self.name = name
        self.alert = alert
    }

    /// The record type for this event.
    public var recordType: LogRecordType { alert.raised ? .alert : .alertCleared }

    /// Payload bytes of this alert.
    public var sizeBytes: Int { LogPayloadName.size(name) + 13 }

    /// Writes the payload into `bytes` (at least `sizeBytes`); returns its length.
    public func encode(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        precondition(bytes.count >= sizeBytes, "payload buffer too small")
        let offset = LogPayloadName.encode(name, into: bytes, at: 0)
        bytes[offset] = alert.kind.rawValue
        bytes[offset + 1] = alert.severity.rawValue
        bytes[offset + 2] = alert.feature?.rawValue ?? 255
        LogFormat.store16(bytes, offset + 3, alert.confidenceQ16)
        LogFormat.storeInt32(bytes, offset + 5, alert.value)
        LogFormat.storeInt32(bytes, offset + 9, alert.threshold)
        assert(offset + 13 == sizeBytes)
        return offset + 13
    }

    /// The payload in `bytes` (exactly the payload), or nil when malformed.
    public init?(decoding bytes: UnsafeRawBufferPointer, raised: Bool, timestampMs: Int64) {
        guard let (name, start) = LogPayloadName.decode(bytes) else { return nil }
        if bytes.count != start + 13 { return nil }
        guard let kind = AlertKind(rawValue: bytes[start]) else { return nil }
        guard let severity = Severity(rawValue: bytes[start + 1]) else { return nil }
        let featureCode = bytes[start + 2]
        var feature: Feature? = nil
        if featureCode != 255 {
            guard let known = Feature(rawValue: featureCode) else { return nil }
            feature = known
        }
        self.name = name
        self.alert = AlertEvent(
            raised: raised, kind: kind, severity: severity, sensorSlot: 0, feature: feature,
            value: LogFormat.loadInt32(bytes, start + 5), threshold: LogFormat.loadInt32(bytes, start + 9),
            confidenceQ16: LogFormat.load16(bytes, start + 3), timestampMs: timestampMs)
    }

    public static func == (a: LogAlertPayload, b: LogAlertPayload) -> Bool { a.name == b.name && a.alert == b.alert }
}
