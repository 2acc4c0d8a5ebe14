/// The payload of a `reading` record (docs/LOG_FORMAT.md §4.1): a processed reading with its
/// sensor's name, self-contained (table slots do not survive a restart).
public struct LogReadingPayload: Sendable, Equatable {
    public var name: SensorName
    /// The reading; `sensorSlot` is not stored (decoded as 0: the reader maps the name to its slot).
    public var reading: ProcessedReading

    public init(name: SensorName, reading: ProcessedReading) {
        precondition(name.count > 0, "a reading needs a sensor name")
        self.name = name
        self.reading = reading
    }

    /// Payload bytes of this reading.
    public var sizeBytes: Int {
        LogPayloadName.size(name) + 9 + 4 * Int(reading.features.presentMask & 0x1F).nonzeroBitCount
    }

    /// Writes the payload into `bytes` (at least `sizeBytes`); returns its length.
    /// - Complexity: O(1).
    public func encode(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        precondition(bytes.count >= sizeBytes, "payload buffer too small")
        precondition(reading.features.presentMask & 0xE0 == 0, "only five features exist")
        var offset = LogPayloadName.encode(name, into: bytes, at: 0)
        bytes[offset] = reading.features.presentMask
        bytes[offset + 1] = reading.status.rawValue
        var flags: UInt8 = reading.anomaly ? 1 : 0
        if reading.batteryMilliPercent != nil { flags |= 2 }
        bytes[offset + 2] = flags
        LogFormat.store16(bytes, offset + 3, reading.scoreQ16)
        LogFormat.storeInt32(bytes, offset + 5, reading.batteryMilliPercent ?? 0)
        offset += 9
        for i in 0..<Feature.count where reading.features.presentMask & (1 &<< UInt8(truncatingIfNeeded: i)) != 0 {
            LogFormat.storeInt32(bytes, offset, reading.features.values[i])
            offset += 4
        }
        assert(offset == sizeBytes)
        return offset
    }

    /// The payload in `bytes` (exactly the payload), or nil when malformed.
    public init?(decoding bytes: UnsafeRawBufferPointer, timestampMs: Int64) {
        guard let (name, start) = LogPayloadName.decode(bytes) else { return nil }
        if bytes.count < start + 9 { return nil }
        let mask = bytes[start]
        if mask & 0xE0 != 0 { return nil }
        guard let status = Status(rawValue: bytes[start + 1]) else { return nil }
        let flags = bytes[start + 2]
        if flags & 0xFC != 0 { return nil }
        let score = LogFormat.load16(bytes, start + 3)
        let battery = LogFormat.loadInt32(bytes, start + 5)
        if flags & 2 == 0 && battery != 0 { return nil }
        var offset = start + 9
        if bytes.count != offset + 4 * Int(mask).nonzeroBitCount { return nil }
        var features = FeatureVector()
        for i in 0..<Feature.count where mask & (1 &<< UInt8(truncatingIfNeeded: i)) != 0 {
            features.values[i] = LogFormat.loadInt32(bytes, offset)
            offset += 4
        }
        features.presentMask = mask
        self.name = name
        self.reading = ProcessedReading(
            sensorSlot: 0, status: status, anomaly: flags & 1 != 0, scoreQ16: score, timestampMs: timestampMs,
            features: features, batteryMilliPercent: flags & 2 != 0 ? battery : nil)
    }
}
