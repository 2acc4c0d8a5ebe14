/// The payload of a `command` record (docs/LOG_FORMAT.md §4.6): a command accepted for a sensor.
/// The command's bytes are not copied here; `bytesOffset` and `bytesCount` locate them in the
/// record's payload.
public struct LogCommandPayload: Sendable, Equatable {
    /// Most command bytes a record holds with the longest sensor name.
    public static var maxCommandBytes: Int { LogFormat.maxPayloadBytes - 8 - SensorName.capacityBytes }

    public var name: SensorName
    public var id: UInt32
    public var origin: SensorCommandOrigin
    public var contentFormat: UInt16
    public var bytesOffset: Int
    public var bytesCount: Int

    /// Payload bytes for a command of `bytes` command bytes to sensor `name`.
    public static func sizeBytes(name: SensorName, bytes: Int) -> Int { LogPayloadName.size(name) + 7 + bytes }

    /// Writes the payload into `out` (at least `sizeBytes`); returns its length.
    public static func encode(
        name: SensorName, id: UInt32, origin: SensorCommandOrigin, contentFormat: UInt16, bytes: UnsafeRawBufferPointer,
        into out: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(bytes.count > 0 && bytes.count <= maxCommandBytes, "command bytes out of range")
        precondition(out.count >= sizeBytes(name: name, bytes: bytes.count), "payload buffer too small")
        let offset = LogPayloadName.encode(name, into: out, at: 0)
        LogFormat.store32(out, offset, id)
        out[offset + 4] = origin.rawValue
        LogFormat.store16(out, offset + 5, contentFormat)
        (out.baseAddress! + offset + 7).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        return offset + 7 + bytes.count
    }

    /// The payload in `bytes` (exactly the payload), or nil when malformed.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard let (name, start) = LogPayloadName.decode(bytes) else { return nil }
        if bytes.count < start + 8 { return nil }
        guard let origin = SensorCommandOrigin(rawValue: bytes[start + 4]) else { return nil }
        let id = LogFormat.load32(bytes, start)
        if id == 0 { return nil }
        self.name = name
        self.id = id
        self.origin = origin
        contentFormat = LogFormat.load16(bytes, start + 5)
        bytesOffset = start + 7
        bytesCount = bytes.count - start - 7
    }
}
