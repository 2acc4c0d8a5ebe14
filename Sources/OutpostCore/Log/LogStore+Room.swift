// How much more the log takes before an append is refused: the daemon's admission check, so a
// reading it cannot log is refused with 5.03 before it is acknowledged.

extension LogStore {
    /// Record bytes (up to `limit`) that can be appended now without a refusal: `limit` with
    /// drop-oldest (it makes room by dropping); with reject-new what the head's remainder, the
    /// free segments and the segments whose records were all forwarded (reused by `roll` in ring
    /// order) hold, counting a record's worth of waste per segment. 0 when failed, read-only or out
    /// of device space.
    ///
    /// - Complexity: O(1) while free space reaches `limit`; else O(segments walked ahead of the
    ///   head), which stops at the first segment still holding unforwarded records.
    public func appendableBytes(upTo limit: Int) -> Int {
        precondition(limit >= 0, "limit must not be negative")
        switch state {
        case .failed, .readOnly, .noSpace: return 0
        case .ready, .full: break
        }
        if policy == .dropOldest { return limit }
        return bytesWithoutDropping(upTo: limit)
    }

    /// Record bytes (up to `limit`) that can be appended now without dropping a record nobody
    /// forwarded yet, whatever the policy: the same count `appendableBytes` gives with reject-new.
    /// With drop-oldest, the gateway keeps readings of sources over their share out of the last
    /// half of this room (docs/SECURITY.md).
    /// - Complexity: as `appendableBytes`.
    public func bytesWithoutDropping(upTo limit: Int) -> Int {
        precondition(limit >= 0, "limit must not be negative")
        switch state {
        case .failed, .readOnly, .noSpace: return 0
        case .ready, .full: break
        }
        let free = freeBytes
        if free >= limit.wide { return limit }
        let perSegment = (geometry.segmentPayloadBytes - LogFormat.maxRecordBytes).wide
        var room: Int64 = head >= 0 ? (geometry.segmentSizeBytes - pageStartOffset - pendingBytes - LogFormat.maxRecordBytes).wide : 0
        if room < 0 { room = 0 }
        let count = geometry.segmentCount
        let start = head < 0 ? 0 : head + 1
        for step in 0..<count {
            if room >= limit.wide { return limit }
            let index = (start + step) % count
            if index == head { break }
            if table.isLive(index) && table.endSequence[index] &- 1 > cursor && table.endSequence[index] != table.firstSequence[index] {
                break
            }
            room += perSegment
        }
        return room >= limit.wide ? limit : Int(truncatingIfNeeded: room)
    }
}
