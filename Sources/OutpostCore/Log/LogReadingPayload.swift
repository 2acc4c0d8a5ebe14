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
        LogReadingPayload.sizeBytes(nameCount: Int(name.count), presentMask: reading.features.presentMask)
    }

    /// Payload bytes of a reading whose name is `nameCount` bytes long and whose present features
    /// are `presentMask`: 10 + n + 4k.
    /// - Complexity: O(1).
    @inline(__always)
    public static func sizeBytes(nameCount: Int, presentMask: UInt8) -> Int {
        1 + nameCount + 9 + 4 * (presentMask & 0x1F).nonzeroBitCount
    }

    /// The longest reading record, header and CRC included: a 32-byte name and five features.
    /// (Computed, so that it folds to a constant on the append path.)
    @inline(__always)
    public static var maxRecordBytes: Int {
        LogFormat.recordHeaderBytes + 1 + SensorName.capacityBytes + 9 + 4 * Feature.count + LogFormat.recordTrailerBytes
    }

    /// Writes the payload into `bytes` (at least `sizeBytes`); returns its length.
    ///
    /// On every append (the log's hot path): one bounds check for the whole payload, then stores
    /// through the base pointer (unaligned, little-endian) rather than a checked store per field.
    /// - Complexity: O(1).
    public func encode(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        let mask = reading.features.presentMask
        precondition(mask & 0xE0 == 0, "only five features exist")
        let size = sizeBytes
        precondition(bytes.count >= size, "payload buffer too small")
        var offset = LogPayloadName.encode(name, into: bytes, at: 0)
        let base = bytes.baseAddress! + offset
        var flags: UInt8 = reading.anomaly ? 1 : 0
        if reading.batteryMilliPercent != nil { flags |= 2 }
        base.storeBytes(of: mask, as: UInt8.self)
        (base + 1).storeBytes(of: reading.status.rawValue, as: UInt8.self)
        (base + 2).storeBytes(of: flags, as: UInt8.self)
        (base + 3).storeBytes(of: reading.scoreQ16.littleEndian, as: UInt16.self)
        (base + 5).storeBytes(of: (reading.batteryMilliPercent ?? 0).littleEndian, as: Int32.self)
        offset += 9
        // At most five features; `size` counted exactly the present ones, so this stays inside.
        for i in 0..<Feature.count where mask & (1 &<< UInt8(truncatingIfNeeded: i)) != 0 {
            (bytes.baseAddress! + offset).storeBytes(of: reading.features.values[i].littleEndian, as: Int32.self)
            offset += 4
        }
        assert(offset == size)
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
