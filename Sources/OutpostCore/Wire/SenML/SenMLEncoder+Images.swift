// The SenML record of an image chunk (docs/UPLINK_FORMAT.md §3.5).

extension SenMLEncoder {
    /// One record per chunk: `camera/image` with the data value `vd` = the chunk's bytes (RFC 8428
    /// §4.3: a byte string in CBOR, base64url in JSON), and the extensions `xfer` = transfer id,
    /// `chunk` = chunk index, `off` = byte offset in the image, `cf` = the upload's CoAP
    /// Content-Format, `last` = true on the last chunk; `t`, `seq` as every record. The end of a
    /// transfer that did not finish is `camera/image/aborted` with `v` = the bytes it had, `xfer`
    /// and `chunk`, so a consumer discards that transfer.
    mutating func encodeImageChunk(_ chunk: LogImageChunkPayload, bytes: UnsafeRawBufferPointer, sequence: UInt64, timestampMs: Int64) {
        if chunk.isAborted {
            beginRecord(chunk.camera, "image", "aborted")
            writer.int(2)  // v
            writer.int(chunk.offsetBytes.wide)
        } else {
            beginRecord(chunk.camera, "image")
            writer.int(8)  // vd
            writer.byteString(UnsafeRawBufferPointer(rebasing: bytes[chunk.bytesOffset..<(chunk.bytesOffset + chunk.bytesCount)]))
            writer.text("off")
            writer.int(chunk.offsetBytes.wide)
            writer.text("cf")
            writer.int(chunk.contentFormat.wide)
            if chunk.isLast {
                writer.text("last")
                writer.bool(true)
            }
        }
        writer.text("xfer")
        writer.int(chunk.transferID.wide)
        writer.text("chunk")
        writer.int(chunk.chunkIndex.wide)
        endRecord(sequence: sequence, timestampMs: timestampMs)
    }
}
