extension LogStore {
    /// Appends one `imageChunk` record (§4.7): `bytes` (at most `LogImageChunkPayload.maxChunkBytes`,
    /// none for an abort) of transfer `transferID`; returns its sequence.
    /// - Complexity: O(bytes), as `appendRecord`.
    @discardableResult
    public mutating func append(
        imageChunk bytes: UnsafeRawBufferPointer, camera: SensorName, transferID: UInt32, chunkIndex: UInt32, offsetBytes: UInt32,
        contentFormat: UInt16, flags: UInt8, timestampMs: Int64
    ) throws(LogAppendError) -> UInt64 {
        let size = LogImageChunkPayload.sizeBytes(camera: camera, bytes: bytes.count)
        return try appendRecord(type: .imageChunk, flags: 0, timestampMs: timestampMs, payloadCount: size) {
            LogImageChunkPayload.encode(
                camera: camera, transferID: transferID, chunkIndex: chunkIndex, offsetBytes: offsetBytes,
                contentFormat: contentFormat, flags: flags, bytes: bytes, into: $0)
        }
    }
}
