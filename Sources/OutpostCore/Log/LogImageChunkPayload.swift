/// The payload of an `imageChunk` record (docs/LOG_FORMAT.md §4.7): up to `maxChunkBytes` bytes of
/// one binary upload (`POST /images/{camera}`), or the end of an upload that did not finish.
///
/// An upload is logged as it arrives, each CoAP block cut into chunks that fit one record, so the
/// gateway never holds a whole image: a consumer joins the chunks of one transfer id in chunk
/// order. The chunk's bytes are not copied here; `bytesOffset` and `bytesCount` locate them in the
/// record's payload.
public struct LogImageChunkPayload: Sendable, Equatable {
    /// Flag: the transfer's last chunk (the image is complete).
    public static let flagLast: UInt8 = 1
    /// Flag: the transfer ended without its last block (timed out, refused, or the gateway
    /// restarted): a consumer discards what it gathered for this transfer id.
    public static let flagAborted: UInt8 = 2
    /// Bytes after the camera name: transfer id (4), chunk index (4), byte offset (4), content
    /// format (2), flags (1).
    public static let fixedBytes = 15
    /// Most image bytes one record takes, the same for every camera name (the longest name leaves
    /// this much), so a block is always cut the same way.
    public static var maxChunkBytes: Int { LogFormat.maxPayloadBytes - fixedBytes - 1 - SensorName.capacityBytes }

    public var camera: SensorName
    /// Per gateway, increasing across restarts (restored from the log); never 0.
    public var transferID: UInt32
    /// 0, 1, 2… within the transfer, in log order.
    public var chunkIndex: UInt32
    /// Offset of the chunk's first byte in the image.
    public var offsetBytes: UInt32
    public var contentFormat: UInt16
    public var flags: UInt8
    public var bytesOffset: Int
    public var bytesCount: Int

    public var isLast: Bool { flags & LogImageChunkPayload.flagLast != 0 }
    public var isAborted: Bool { flags & LogImageChunkPayload.flagAborted != 0 }

    /// Payload bytes for a chunk of `bytes` image bytes from `camera`.
    public static func sizeBytes(camera: SensorName, bytes: Int) -> Int { LogPayloadName.size(camera) + fixedBytes + bytes }

    /// Writes the payload into `out` (at least `sizeBytes`); returns its length.
    /// - Complexity: O(bytes), one block copy.
    public static func encode(
        camera: SensorName, transferID: UInt32, chunkIndex: UInt32, offsetBytes: UInt32, contentFormat: UInt16, flags: UInt8,
        bytes: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer
    ) -> Int {
        precondition(bytes.count <= maxChunkBytes, "image chunk too large for a record")
        precondition(out.count >= sizeBytes(camera: camera, bytes: bytes.count), "payload buffer too small")
        let offset = LogPayloadName.encode(camera, into: out, at: 0)
        LogFormat.store32(out, offset, transferID)
        LogFormat.store32(out, offset + 4, chunkIndex)
        LogFormat.store32(out, offset + 8, offsetBytes)
        LogFormat.store16(out, offset + 12, contentFormat)
        out[offset + 14] = flags
        if bytes.count > 0 {
            (out.baseAddress! + offset + fixedBytes).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        }
        return offset + fixedBytes + bytes.count
    }

    /// The payload in `bytes` (exactly the payload), or nil when malformed: no camera name, a
    /// transfer id of 0, unknown flags, both flags, or more bytes than a chunk holds.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        guard let (camera, start) = LogPayloadName.decode(bytes) else { return nil }
        if bytes.count < start + LogImageChunkPayload.fixedBytes { return nil }
        let id = LogFormat.load32(bytes, start)
        let flags = bytes[start + 14]
        if id == 0 || flags > 2 { return nil }
        let count = bytes.count - start - LogImageChunkPayload.fixedBytes
        if count > LogImageChunkPayload.maxChunkBytes { return nil }
        // An abort carries no bytes.
        if flags & LogImageChunkPayload.flagAborted != 0 && count != 0 { return nil }
        self.camera = camera
        transferID = id
        chunkIndex = LogFormat.load32(bytes, start + 4)
        offsetBytes = LogFormat.load32(bytes, start + 8)
        contentFormat = LogFormat.load16(bytes, start + 12)
        self.flags = flags
        bytesOffset = start + LogImageChunkPayload.fixedBytes
        bytesCount = count
    }
}
