/// The payload of a `windowSummary` record (docs/LOG_FORMAT.md §4.3).
public struct LogSummaryPayload: Sendable {
    public var name: SensorName
    public var summary: WindowSummary

    public init(name: SensorName, summary: WindowSummary) {
        precondition(name.count > 0, "a summary needs a sensor name")
        self.name = name
        self.summary = summary
    }

    /// Features with statistics (count > 0), as a bit mask.
    var featureMask: UInt8 {
        var mask: UInt8 = 0
        for i in 0..<Feature.count where summary.features[i].count > 0 { mask |= 1 &<< UInt8(truncatingIfNeeded: i) }
        return mask
    }

    /// Payload bytes of this summary.
    public var sizeBytes: Int { LogPayloadName.size(name) + 19 + 20 * Int(featureMask).nonzeroBitCount }

    /// Writes the payload into `bytes` (at least `sizeBytes`); returns its length.
    public func encode(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        precondition(bytes.count >= sizeBytes, "payload buffer too small")
        var offset = LogPayloadName.encode(name, into: bytes, at: 0)
        bytes[offset] = summary.span.rawValue
        LogFormat.store32(bytes, offset + 1, summary.normalCount)
        LogFormat.store32(bytes, offset + 5, summary.warningCount)
        LogFormat.store32(bytes, offset + 9, summary.alertCount)
        LogFormat.store32(bytes, offset + 13, summary.anomalyCount)
        let mask = featureMask
        var saturated: UInt8 = 0
        for i in 0..<Feature.count where mask & (1 &<< UInt8(truncatingIfNeeded: i)) != 0 && summary.features[i].saturated {
            saturated |= 1 &<< UInt8(truncatingIfNeeded: i)
        }
        bytes[offset + 17] = mask
        bytes[offset + 18] = saturated
        offset += 19
        for i in 0..<Feature.count where mask & (1 &<< UInt8(truncatingIfNeeded: i)) != 0 {
            let stats = summary.features[i]
            LogFormat.store32(bytes, offset, stats.count)
            LogFormat.storeInt32(bytes, offset + 4, stats.mean)
            LogFormat.storeInt32(bytes, offset + 8, stats.standardDeviation)
            LogFormat.storeInt32(bytes, offset + 12, stats.minimum)
            LogFormat.storeInt32(bytes, offset + 16, stats.maximum)
            offset += 20
        }
        assert(offset == sizeBytes)
        return offset
    }

    /// The payload in `bytes` (exactly the payload), or nil when malformed.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard let (name, start) = LogPayloadName.decode(bytes) else { return nil }
        if bytes.count < start + 19 { return nil }
        guard let span = WindowSpan(rawValue: bytes[start]) else { return nil }
        let mask = bytes[start + 17]
        let saturated = bytes[start + 18]
        if mask & 0xE0 != 0 || saturated & ~mask != 0 { return nil }
        if bytes.count != start + 19 + 20 * Int(mask).nonzeroBitCount { return nil }
        var summary = WindowSummary(span: span)
        summary.normalCount = LogFormat.load32(bytes, start + 1)
        summary.warningCount = LogFormat.load32(bytes, start + 5)
        summary.alertCount = LogFormat.load32(bytes, start + 9)
        summary.anomalyCount = LogFormat.load32(bytes, start + 13)
        var offset = start + 19
        for i in 0..<Feature.count where mask & (1 &<< UInt8(truncatingIfNeeded: i)) != 0 {
            let count = LogFormat.load32(bytes, offset)
            if count == 0 { return nil }
            summary.features[i] = FeatureStats(
                count: count, mean: LogFormat.loadInt32(bytes, offset + 4),
                standardDeviation: LogFormat.loadInt32(bytes, offset + 8), minimum: LogFormat.loadInt32(bytes, offset + 12),
                maximum: LogFormat.loadInt32(bytes, offset + 16), saturated: saturated & (1 &<< UInt8(truncatingIfNeeded: i)) != 0)
            offset += 20
        }
        self.name = name
        self.summary = summary
    }
}
