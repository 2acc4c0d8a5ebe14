/// The file header at offset 0, and from version 3 its copy at `LogFormat.fileHeaderCopyOffset`
/// (docs/LOG_FORMAT.md §2).
public struct LogFileHeader: Equatable, Sendable {
    public var geometry: LogGeometry
    /// The file size when it was formatted.
    public var fileSizeBytes: Int64
    /// The format version the file was created with (`LogFormat.oldestVersion` ...
    /// `LogFormat.version`); segments carry their own version.
    public var version: UInt16
    /// The log id field of a version-3 header (random, made when the file was formatted); 0 in
    /// older versions, which have no such field, and in a version-3 file formatted without one.
    /// Use `logID`, which falls back to an id derived from the header's bytes.
    public var storedLogID: UInt64

    public init(geometry: LogGeometry, fileSizeBytes: Int64, version: UInt16 = LogFormat.version, logID: UInt64 = 0) {
        precondition(version >= LogFormat.oldestVersion && version <= LogFormat.version, "unknown log format version")
        self.geometry = geometry
        self.fileSizeBytes = fileSizeBytes
        self.version = version
        // Versions 1 and 2 have no id field: their bytes 32 ..< 40 are reserved zeros.
        storedLogID = version >= LogFormat.mirroredHeaderVersion ? logID : 0
    }

    /// The log's identity: the stored id, or for a header without one (versions 1 and 2, or a
    /// zero field) an id derived from the header's 64 bytes (`derivedLogID`). Never 0.
    public var logID: UInt64 {
        if storedLogID != 0 { return storedLogID }
        var bytes = InlineArray<64, UInt8>(repeating: 0)
        return withUnsafeMutableBytes(of: &bytes) { (raw: UnsafeMutableRawBufferPointer) -> UInt64 in
            encode(into: raw)
            return LogFileHeader.derivedLogID(UnsafeRawBufferPointer(raw))
        }
    }

    /// The fallback log id of a header without a stored one (docs/LOG_FORMAT.md §2.1): the low
    /// 32 bits are the CRC-32C of the 64 header bytes, the high 32 bits the CRC-32C of the same
    /// bytes read backwards; 1 if that is 0 (0 means "none" on the uplink). Deterministic, so
    /// every reader of the file agrees, but it only tells apart headers that differ: two
    /// version-1/2 logs of the same geometry and file size share it.
    /// - Complexity: O(64).
    public static func derivedLogID(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        precondition(bytes.count == LogFormat.fileHeaderBytes)
        let forward = CRC32C.checksum(bytes)
        var backward = CRC32C()
        var i = bytes.count - 1
        // Bounded: 64 bytes.
        while i >= 0 {
            backward.update(byte: bytes[i])
            i -= 1
        }
        let id = (UInt64(bitPattern: backward.value.wide) &<< 32) | UInt64(bitPattern: forward.wide)
        return id == 0 ? 1 : id
    }

    /// What the first 64 bytes of a file say.
    public enum Probe: Equatable, Sendable {
        case valid(LogFileHeader)
        /// All zero: a new file, to be formatted.
        case blank
        /// Another magic: not an Outpost log.
        case notALog
        /// An Outpost log of a format version this code does not read.
        case unsupportedVersion(UInt16)
        /// Right magic and version but a bad CRC or an impossible geometry.
        case corrupt
    }

    /// Writes the header into `bytes` (64 bytes).
    public func encode(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count == LogFormat.fileHeaderBytes)
        for i in 0..<bytes.count { bytes[i] = 0 }
        LogFormat.store32(bytes, 0, LogFormat.fileMagic)
        LogFormat.store16(bytes, 4, version)
        LogFormat.store16(bytes, 6, UInt16(truncatingIfNeeded: LogFormat.fileHeaderBytes))
        LogFormat.store32(bytes, 8, UInt32(truncatingIfNeeded: LogFormat.reservedBytes))
        LogFormat.store32(bytes, 12, UInt32(truncatingIfNeeded: geometry.segmentSizeBytes))
        LogFormat.store32(bytes, 16, UInt32(truncatingIfNeeded: geometry.segmentCount))
        LogFormat.store64(bytes, 24, UInt64(bitPattern: fileSizeBytes))
        LogFormat.store64(bytes, 32, storedLogID)
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
        LogFormat.store32(bytes, 60, crc)
    }

    /// Reads the header from `bytes` (64 bytes).
    public static func probe(_ bytes: UnsafeRawBufferPointer) -> Probe {
        precondition(bytes.count == LogFormat.fileHeaderBytes)
        if LogFormat.isZero(bytes) { return .blank }
        if LogFormat.load32(bytes, 0) != LogFormat.fileMagic { return .notALog }
        let version = LogFormat.load16(bytes, 4)
        if version < LogFormat.oldestVersion || version > LogFormat.version { return .unsupportedVersion(version) }
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<60]))
        if crc != LogFormat.load32(bytes, 60) { return .corrupt }
        if LogFormat.load16(bytes, 6) != UInt16(truncatingIfNeeded: LogFormat.fileHeaderBytes) { return .corrupt }
        if LogFormat.load32(bytes, 8) != UInt32(truncatingIfNeeded: LogFormat.reservedBytes) { return .corrupt }
        let size = LogFormat.load32(bytes, 12)
        let count = LogFormat.load32(bytes, 16)
        if size > 1_048_576 || count > 1_048_576 { return .corrupt }
        guard let geometry = LogGeometry(segmentSizeBytes: Int(size), segmentCount: Int(count)) else { return .corrupt }
        let fileSize = Int64(bitPattern: LogFormat.load64(bytes, 24))
        if fileSize < geometry.fileSizeBytes { return .corrupt }
        let storedID = LogFormat.load64(bytes, 32)
        // Older versions reserve these bytes as zeros (their CRC covers them, so this is a check
        // of the writer, not of the medium).
        if version < LogFormat.mirroredHeaderVersion && storedID != 0 { return .corrupt }
        return .valid(LogFileHeader(geometry: geometry, fileSizeBytes: fileSize, version: version, logID: storedID))
    }
}
