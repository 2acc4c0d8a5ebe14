// How much more the log takes before an append is refused: the daemon's admission check, so a
// reading it cannot log is refused with 5.03 before it is acknowledged.

extension LogStore {
    /// True when records of `bytes` in total (each at most `LogFormat.maxRecordBytes`) can be
    /// appended now without a refusal: always with drop-oldest (it makes room by dropping), with
    /// reject-new when the head's remainder, the free segments and the segments whose records were
    /// all forwarded (reused by `roll` in ring order) hold them. False when failed, read-only or
    /// out of device space.
    ///
    /// - Complexity: O(1) while free space suffices; else O(segments walked ahead of the head),
    ///   which stops at the first segment still holding unforwarded records.
    public func canAppend(bytes: Int) -> Bool {
        precondition(bytes >= 0, "byte count must not be negative")
        switch state {
        case .failed, .readOnly, .noSpace: return false
        case .ready, .full: break
        }
        if policy == .dropOldest { return true }
        if freeBytes >= bytes.wide { return true }
        // Each record may waste up to a record's length at a segment's end.
        let perSegment = geometry.segmentPayloadBytes - LogFormat.maxRecordBytes
        var room: Int64 = head >= 0 ? (geometry.segmentSizeBytes - pageStartOffset - pendingBytes).wide : 0
        let count = geometry.segmentCount
        let start = head < 0 ? 0 : head + 1
        for step in 0..<count {
            if room >= bytes.wide { return true }
            let index = (start + step) % count
            if index == head { break }
            if table.isLive(index) && table.endSequence[index] &- 1 > cursor && table.endSequence[index] != table.firstSequence[index] {
                break
            }
            room += perSegment.wide
        }
        return room >= bytes.wide
    }
}
