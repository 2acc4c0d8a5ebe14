/// Constants of the log format (docs/LOG_FORMAT.md) and little-endian field access.
///
/// Every on-disk integer goes through these helpers, so the format is the same on every board
/// whatever its byte order, and unaligned fields are fine.
public enum LogFormat {
    /// File header version written when formatting. Version 3 files keep two copies of the file
    /// header (offsets 0 and `fileHeaderCopyOffset`) and a random log id; their segments are of
    /// version 2 like those of version-2 files. Version-1 and -2 files are still opened (one
    /// header copy, no id), never rewritten at the file level, and get version-2 segments
    /// appended (each segment header says which layout its records use).
    public static let version: UInt16 = 3
    /// First file header version with two header copies and a log id.
    public static let mirroredHeaderVersion: UInt16 = 3
    /// Oldest file header version this code opens.
    public static let oldestVersion: UInt16 = 1
    /// Segment header version written by this code: a copied record's payload ends with the
    /// original record's sequence (`copyTrailerBytes`).
    public static let segmentVersion: UInt16 = 2
    /// Oldest segment header version this code reads (version 1: copies have no trailer).
    public static let oldestSegmentVersion: UInt16 = 1
    /// Size of the reserved area before segment 0 (file header and cursor slots).
    public static let reservedBytes = 4096
    /// File header size and its magic `OPLG` (as a little-endian UInt32).
    public static let fileHeaderBytes = 64
    public static let fileMagic: UInt32 = 0x474C_504F
    /// Offset of the second copy of the file header (version 3): in its own 512-byte sector of
    /// the reserved area, away from the first copy and the cursor slots (512, 1024), so one torn
    /// sector write or one damaged sector never takes both copies.
    public static let fileHeaderCopyOffset = 2048
    /// Segment header size and its magic `OPLS`.
    public static let segmentHeaderBytes = 48
    public static let segmentMagic: UInt32 = 0x534C_504F
    /// Cursor slot size, magic `OPLC`, and the offsets of slots A and B.
    public static let cursorSlotBytes = 32
    public static let cursorMagic: UInt32 = 0x434C_504F
    public static let cursorSlotOffsets: (Int, Int) = (512, 1024)
    /// Record header (length, type, flags, sequence, timestamp) and trailer (CRC) sizes.
    public static let recordHeaderBytes = 20
    public static let recordTrailerBytes = 4
    /// Smallest and largest record, header and CRC included.
    public static let minRecordBytes = 24
    public static let maxRecordBytes = 256
    /// Largest payload of a record.
    public static let maxPayloadBytes = maxRecordBytes - recordHeaderBytes - recordTrailerBytes
    /// Record flag: an alert copied forward from a dropped segment.
    public static let flagCopied: UInt8 = 1
    /// In a version-2 segment, a copied record's payload is the original payload followed by
    /// the first original's 64-bit sequence, little-endian.
    public static let copyTrailerBytes = 8

    /// True when a copied record (`flags`) in a segment of `segmentVersion` ends its payload with
    /// the original sequence.
    @inline(__always)
    static func hasCopyTrailer(flags: UInt8, segmentVersion: UInt16) -> Bool {
        flags & flagCopied != 0 && segmentVersion >= 2
    }

    @inline(__always)
    static func load8(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt8 {
        bytes[offset]
    }

    @inline(__always)
    static func load16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        precondition(offset >= 0 && offset + 2 <= bytes.count)
        return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    static func load32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= bytes.count)
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    static func load64(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt64 {
        precondition(offset >= 0 && offset + 8 <= bytes.count)
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    @inline(__always)
    static func loadInt32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int32 {
        Int32(bitPattern: load32(bytes, offset))
    }

    @inline(__always)
    static func store8(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt8) {
        bytes[offset] = value
    }

    @inline(__always)
    static func store16(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt16) {
        precondition(offset >= 0 && offset + 2 <= bytes.count)
        // Through the base pointer: the buffer's own storeBytes trips the 32-bit -no-allocations check.
        (bytes.baseAddress! + offset).storeBytes(of: value.littleEndian, as: UInt16.self)
    }

    @inline(__always)
    static func store32(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt32) {
        precondition(offset >= 0 && offset + 4 <= bytes.count)
        // Through the base pointer: the buffer's own storeBytes trips the 32-bit -no-allocations check.
        (bytes.baseAddress! + offset).storeBytes(of: value.littleEndian, as: UInt32.self)
    }

    @inline(__always)
    static func store64(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: UInt64) {
        precondition(offset >= 0 && offset + 8 <= bytes.count)
        // Through the base pointer: the buffer's own storeBytes trips the 32-bit -no-allocations check.
        (bytes.baseAddress! + offset).storeBytes(of: value.littleEndian, as: UInt64.self)
    }

    @inline(__always)
    static func storeInt32(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: Int32) {
        store32(bytes, offset, UInt32(bitPattern: value))
    }

    /// True when all of `bytes` are zero.
    /// - Complexity: O(bytes.count).
    static func isZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        // The loop's limit is the buffer's length.
        for byte in bytes where byte != 0 { return false }
        return true
    }

    /// The CRC register after feeding `segmentSequence` as 8 little-endian bytes: the key every
    /// record CRC of that segment life starts from.
    static func recordKey(segmentSequence: UInt64) -> CRC32C {
        var crc = CRC32C()
        var value = segmentSequence
        // Eight bytes, lowest first.
        for _ in 0..<8 {
            crc.update(byte: UInt8(truncatingIfNeeded: value))
            value = value &>> 8
        }
        return crc
    }

    /// The keyed CRC of a record's bytes before its trailer.
    static func recordCRC(key: CRC32C, _ recordWithoutTrailer: UnsafeRawBufferPointer) -> UInt32 {
        var crc = key
        crc.update(recordWithoutTrailer)
        return crc.value
    }
}
