/// The header at the start of every segment (docs/LOG_FORMAT.md §3).
public struct LogSegmentHeader: Equatable, Sendable, BitwiseCopyable {
    /// Segment states stored in the header.
    public static let stateLive: UInt8 = 1
    public static let stateErased: UInt8 = 2

    /// `stateLive` or `stateErased`.
    public var state: UInt8
    /// Global, strictly increasing over every header ever written.
    public var segmentSequence: UInt64
    /// Sequence of the segment's first record (live), 0 (erased).
    public var firstRecordSequence: UInt64
    public var eraseCount: UInt32
    public var segmentIndex: UInt32
    public var segmentSizeBytes: UInt32
    /// Layout of the segment's records (`LogFormat.oldestSegmentVersion` ...
    /// `LogFormat.segmentVersion`): from version 2 a copied record carries its original sequence.
    public var version: UInt16

    public init(
        state: UInt8, segmentSequence: UInt64, firstRecordSequence: UInt64, eraseCount: UInt32, segmentIndex: UInt32,
        segmentSizeBytes: UInt32, version: UInt16 = LogFormat.segmentVersion
    ) {
        self.state = state
        self.version = version
        self.segmentSequence = segmentSequence
        self.firstRecordSequence = firstRecordSequence
        self.eraseCount = eraseCount
        self.segmentIndex = segmentIndex
        self.segmentSizeBytes = segmentSizeBytes
    }

    /// True for a live segment.
    public var isLive: Bool { state == LogSegmentHeader.stateLive }

    /// Writes the header into `bytes` (48 bytes).
    public func encode(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count == LogFormat.segmentHeaderBytes)
        precondition(state == LogSegmentHeader.stateLive || state == LogSegmentHeader.stateErased)
        precondition(segmentSequence >= 1, "segment sequences start at 1")
        precondition(version >= LogFormat.oldestSegmentVersion && version <= LogFormat.segmentVersion, "unknown segment version")
        for i in 0..<bytes.count { bytes[i] = 0 }
        LogFormat.store32(bytes, 0, LogFormat.segmentMagic)
        LogFormat.store16(bytes, 4, version)
        LogFormat.store8(bytes, 6, state)
        LogFormat.store64(bytes, 8, segmentSequence)
        LogFormat.store64(bytes, 16, firstRecordSequence)
        LogFormat.store32(bytes, 24, eraseCount)
        LogFormat.store32(bytes, 28, segmentIndex)
        LogFormat.store32(bytes, 32, segmentSizeBytes)
        LogFormat.store32(bytes, 44, CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<44])))
        assert(LogSegmentHeader.decode(UnsafeRawBufferPointer(bytes), index: segmentIndex, segmentSizeBytes: segmentSizeBytes) == self)
    }

    /// The header in `bytes` when it is valid for segment `index` of `segmentSizeBytes`, else nil
    /// (the segment is then free).
    public static func decode(_ bytes: UnsafeRawBufferPointer, index: UInt32, segmentSizeBytes: UInt32) -> LogSegmentHeader? {
        precondition(bytes.count == LogFormat.segmentHeaderBytes)
        if LogFormat.load32(bytes, 0) != LogFormat.segmentMagic { return nil }
        let version = LogFormat.load16(bytes, 4)
        if version < LogFormat.oldestSegmentVersion || version > LogFormat.segmentVersion { return nil }
        if LogFormat.load32(bytes, 44) != CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<44])) { return nil }
        let state = LogFormat.load8(bytes, 6)
        if state != stateLive && state != stateErased { return nil }
        let header = LogSegmentHeader(
            state: state, segmentSequence: LogFormat.load64(bytes, 8), firstRecordSequence: LogFormat.load64(bytes, 16),
            eraseCount: LogFormat.load32(bytes, 24), segmentIndex: LogFormat.load32(bytes, 28),
            segmentSizeBytes: LogFormat.load32(bytes, 32), version: version)
        if header.segmentIndex != index || header.segmentSizeBytes != segmentSizeBytes { return nil }
        if header.segmentSequence == 0 { return nil }
        if header.isLive && header.firstRecordSequence == 0 { return nil }
        return header
    }
}
