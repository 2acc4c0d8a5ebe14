extension GatewayStore {
    /// Appends one chunk of a binary upload to the log (docs/LOG_FORMAT.md §4.7). A refusal (full,
    /// no space) is counted and returns false, as does a missing log; a device failure is kept in
    /// `failure`. Without a log (`enabled` false) nothing is kept and true is returned.
    public mutating func consumeImageChunk(_ chunk: ImageChunk) -> Bool {
        if source == nil {
            if enabled { notLogged &+= 1 }
            return !enabled
        }
        do {
            try source!.store.append(
                imageChunk: chunk.bytes, camera: chunk.camera, transferID: chunk.transferID, chunkIndex: chunk.chunkIndex,
                offsetBytes: chunk.offsetBytes, contentFormat: chunk.contentFormat, flags: chunk.flags,
                timestampMs: chunk.timestampMs)
            return true
        } catch {
            notLogged &+= 1
            if error == .noSpace {
                refusedThisTick = true
                refusedAppends &+= 1
            }
            if case .failed(let code) = error { fail(code, "write") }
            return false
        }
    }
}
