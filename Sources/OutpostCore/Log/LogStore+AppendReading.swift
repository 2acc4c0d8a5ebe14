// The reading record's own append path: readings are nearly every record the daemon writes (one
// per accepted sensor reading), so their per-record cost is the log's append cost.

extension LogStore {
    /// Appends a processed reading of sensor `name`; returns its sequence. Not durable until the
    /// next `commit()`.
    ///
    /// While the head is ready, has room and continues the sequence, and the page buffer can take
    /// the largest reading record, the record is built by `placeReading` (the common case: every
    /// record but the last one or two of each page). Otherwise, and for every refusal, roll or
    /// flush decision, it goes through `appendRecord`, which writes the same bytes
    /// (LogStoreTests.testReadingFastPathWritesTheGeneralPathsBytes).
    /// - Complexity: O(1) on the fast path; otherwise as `appendRecord`.
    @discardableResult
    public mutating func append(reading: ProcessedReading, name: SensorName) throws(LogAppendError) -> UInt64 {
        let nameCount = Int(name.count)
        let mask = reading.features.presentMask
        precondition(nameCount >= 1 && nameCount <= SensorName.capacityBytes, "a reading needs a sensor name")
        precondition(mask & 0xE0 == 0, "only five features exist")
        let payloadCount = LogReadingPayload.sizeBytes(nameCount: nameCount, presentMask: mask)
        let length = LogFormat.recordHeaderBytes + payloadCount + LogFormat.recordTrailerBytes
        if case .ready = state, head >= 0, pendingBytes + LogReadingPayload.maxRecordBytes <= page.count,
            headHasRoom(length), headContinues
        {
            return placeReading(reading, name: name, nameCount: nameCount, length: length)
        }
        let payload = LogReadingPayload(name: name, reading: reading)
        return try appendRecord(type: .reading, flags: 0, timestampMs: reading.timestampMs, payloadCount: payloadCount) {
            payload.encode(into: $0)
        }
    }

    /// Builds a reading record of `length` bytes at the end of the page buffer, checks it as
    /// `place` does, and counts it pending. The caller checked that the store is ready, the head
    /// has room and continues the sequence, and the page has `LogReadingPayload.maxRecordBytes`
    /// free after the pending bytes.
    ///
    /// The name's whole 32-byte storage and every feature slot are stored, each feature at the
    /// position after the present ones before it: the bytes of an absent feature or past the name
    /// are overwritten by the next field or lie past the record, inside that free space (the page
    /// holds scratch bytes after `pendingBytes`; only pending bytes are ever written out). That
    /// makes the payload a fixed sequence of stores, with no loop over the name and no branch per
    /// feature.
    /// - Complexity: O(1): a fixed number of stores and one CRC pass over the record.
    @inline(__always)
    mutating func placeReading(_ reading: ProcessedReading, name: SensorName, nameCount: Int, length: Int) -> UInt64 {
        precondition(pendingBytes >= 0 && pendingBytes + LogReadingPayload.maxRecordBytes <= page.count, "record outside the page buffer")
        let base = page.baseAddress! + pendingBytes
        let sequence = nextSequence
        let crcOffset = length - LogFormat.recordTrailerBytes
        let mask = reading.features.presentMask
        // Header: length, type, flags 0 in one word; sequence; timestamp.
        let first = UInt32(truncatingIfNeeded: length) | UInt32(truncatingIfNeeded: LogRecordType.reading.rawValue) &<< 16
        base.storeBytes(of: first.littleEndian, as: UInt32.self)
        (base + 4).storeBytes(of: sequence.littleEndian, as: UInt64.self)
        (base + 12).storeBytes(of: UInt64(bitPattern: reading.timestampMs).littleEndian, as: UInt64.self)
        // Payload (docs/LOG_FORMAT.md §4.1).
        (base + 20).storeBytes(of: name.count, as: UInt8.self)
        (base + 21).storeBytes(of: name.bytes, as: InlineArray<32, UInt8>.self)
        let fields = base + 21 + nameCount
        let battery = UInt32(bitPattern: reading.batteryMilliPercent ?? 0)
        var flags: UInt32 = reading.anomaly ? 1 : 0
        if reading.batteryMilliPercent != nil { flags |= 2 }
        let score = UInt32(truncatingIfNeeded: reading.scoreQ16)
        // mask, status, flags, score (2 bytes), battery (4 bytes): nine bytes in three stores.
        let low = UInt32(truncatingIfNeeded: mask) | UInt32(truncatingIfNeeded: reading.status.rawValue) &<< 8
            | flags &<< 16 | score &<< 24
        fields.storeBytes(of: low.littleEndian, as: UInt32.self)
        (fields + 4).storeBytes(of: (score &>> 8 | battery &<< 8).littleEndian, as: UInt32.self)
        (fields + 8).storeBytes(of: UInt8(truncatingIfNeeded: battery &>> 24), as: UInt8.self)
        var feature = fields + 9
        // Five slots: each value goes where the next present feature belongs, and the position
        // moves on only when this one is present.
        for i in 0..<Feature.count {
            feature.storeBytes(of: reading.features.values[i].littleEndian, as: Int32.self)
            feature += Int(truncatingIfNeeded: (mask &>> UInt8(truncatingIfNeeded: i)) & 1) &<< 2
        }
        precondition(feature == base + crcOffset, "reading payload length differs from its size")
        return seal(base, length: length, sequence: sequence)
    }
}
