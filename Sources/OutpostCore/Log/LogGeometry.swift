/// The layout of a log file: a reserved area, then `segmentCount` segments of `segmentSizeBytes`.
public struct LogGeometry: Equatable, Sendable, BitwiseCopyable {
    /// Size of one segment (erase block) in bytes: a multiple of 512 in 1 KiB ... 1 MiB.
    public let segmentSizeBytes: Int
    /// Number of segments (≥ 3: a head, a free one ahead of it, and at least one more).
    public let segmentCount: Int

    /// A geometry of `segmentCount` segments of `segmentSizeBytes`, or nil when out of limits.
    public init?(segmentSizeBytes: Int, segmentCount: Int) {
        if segmentSizeBytes < 1024 || segmentSizeBytes > 1_048_576 || segmentSizeBytes % 512 != 0 { return nil }
        if segmentCount < 3 || segmentCount > 1_048_576 { return nil }
        self.segmentSizeBytes = segmentSizeBytes
        self.segmentCount = segmentCount
    }

    /// The geometry that fits the most segments of `segmentSizeBytes` in a file of `fileSizeBytes`.
    public init?(fileSizeBytes: Int64, segmentSizeBytes: Int) {
        if segmentSizeBytes <= 0 { return nil }
        let usable = fileSizeBytes - LogFormat.reservedBytes.wide
        if usable <= 0 { return nil }
        let count = usable / segmentSizeBytes.wide
        if count > 1_048_576 { return nil }
        self.init(segmentSizeBytes: segmentSizeBytes, segmentCount: Int(truncatingIfNeeded: count))
    }

    /// Bytes the file needs: the reserved area plus every segment.
    public var fileSizeBytes: Int64 { LogFormat.reservedBytes.wide + segmentSizeBytes.wide * segmentCount.wide }

    /// File offset of segment `index`.
    @inline(__always)
    public func offset(ofSegment index: Int) -> Int64 {
        precondition(index >= 0 && index < segmentCount, "segment index out of range")
        return LogFormat.reservedBytes.wide + index.wide * segmentSizeBytes.wide
    }

    /// Record bytes one segment holds (after its header).
    public var segmentPayloadBytes: Int { segmentSizeBytes - LogFormat.segmentHeaderBytes }

    /// Profile defaults (docs/LOG_FORMAT.md §1).
    public static let low = LogGeometry(fileSizeBytes: 1_048_576, segmentSizeBytes: 16_384)!
    public static let medium = LogGeometry(fileSizeBytes: 16_777_216, segmentSizeBytes: 65_536)!
    public static let high = LogGeometry(fileSizeBytes: 67_108_864, segmentSizeBytes: 65_536)!
    public static let test = LogGeometry(fileSizeBytes: 65_536, segmentSizeBytes: 4_096)!
}
