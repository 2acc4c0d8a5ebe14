/// One log record's worth of a binary upload, as the server hands it to its outbox consumer
/// (`OutboxConsumer.consumeImageChunk`): at most `LogImageChunkPayload.maxChunkBytes` bytes, or
/// none for the end of a transfer that did not finish (`LogImageChunkPayload.flagAborted`).
/// `bytes` points into the server's block buffer and is valid for the call only.
public struct ImageChunk {
    public var camera: SensorName
    public var transferID: UInt32
    public var chunkIndex: UInt32
    public var offsetBytes: UInt32
    public var contentFormat: UInt16
    public var flags: UInt8
    public var bytes: UnsafeRawBufferPointer
    public var timestampMs: Int64
}
