/// The file header at offset 0 (docs/LOG_FORMAT.md §2).
public struct LogFileHeader: Equatable, Sendable {
    public var geometry: LogGeometry
    /// The file size when it was formatted.
    public var fileSizeBytes: Int64
    /// The format version the file was created with (`LogFormat.oldestVersion` ...
    /// `LogFormat.version`); segments carry their own version.
    public var version: UInt16

    public init(geometry: LogGeometry, fileSizeBytes: Int64, version: UInt16 = LogFormat.version) {
        precondition(version >= LogFormat.oldestVersion && version <= LogFormat.version, "unknown log format version")
        self.geometry = geometry
        self.fileSizeBytes = fileSizeBytes
        self.version = version
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
        return .valid(LogFileHeader(geometry: geometry, fileSizeBytes: fileSize, version: version))
    }
}
