/// The payload of a `commandDelivered` / `commandExpired` record (docs/LOG_FORMAT.md §4.6).
public struct LogCommandEndPayload: Sendable, Equatable {
    public var name: SensorName
    public var id: UInt32
    public var via: SensorCommandVia

    public init(name: SensorName, id: UInt32, via: SensorCommandVia) {
        self.name = name
        self.id = id
        self.via = via
    }

    public var sizeBytes: Int { LogPayloadName.size(name) + 5 }

    /// Writes the payload into `out` (at least `sizeBytes`); returns its length.
    public func encode(into out: UnsafeMutableRawBufferPointer) -> Int {
        precondition(out.count >= sizeBytes, "payload buffer too small")
        let offset = LogPayloadName.encode(name, into: out, at: 0)
        LogFormat.store32(out, offset, id)
        out[offset + 4] = via.rawValue
        return offset + 5
    }

    /// The payload in `bytes`, or nil when malformed.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard let (name, start) = LogPayloadName.decode(bytes) else { return nil }
        if bytes.count != start + 5 { return nil }
        guard let via = SensorCommandVia(rawValue: bytes[start + 4]) else { return nil }
        self.name = name
        id = LogFormat.load32(bytes, start)
        self.via = via
    }
}
