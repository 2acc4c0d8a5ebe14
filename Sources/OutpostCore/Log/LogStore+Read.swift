extension LogStore {
    /// Reads the next valid record at or after `reader`'s position with a sequence ≤ `through`
    /// (pass `durableSequence` to forward only what is on disk for good) into `record`.
    /// Returns false at the end. Records lost to corruption or drops are skipped.
    /// - Complexity: amortised O(record size); a segment's bytes are read from the device once.
    public mutating func read(_ reader: inout LogReader, into record: inout LogRecord, through: UInt64) throws(LogIOError) -> Bool {
        switch try advance(&reader, into: &record, through: through, alertsOnly: false, budget: Int.max) {
        case .found: return true
        case .end, .budgetSpent: return false
        }
    }

    /// Like `read`, but returns only alert records and looks at no more than `budget` records per
    /// call, so the uplink can look for the next unforwarded alert every tick at a bounded cost.
    /// - Complexity: O(budget) records.
    public mutating func nextAlert(_ reader: inout LogReader, into record: inout LogRecord, through: UInt64, budget: Int) throws(LogIOError) -> LogScanResult {
        precondition(budget > 0)
        return try advance(&reader, into: &record, through: through, alertsOnly: true, budget: budget)
    }

    mutating func advance(
        _ reader: inout LogReader, into record: inout LogRecord, through: UInt64, alertsOnly: Bool, budget: Int
    ) throws(LogIOError) -> LogScanResult {
        // A record or a resynchronisation moves on by at least minRecordBytes.
        let recordsPerSegment = geometry.segmentSizeBytes / LogFormat.minRecordBytes + 1
        var looked = 0
        // Bounded: at most every segment once (plus a reposition), every record of each once.
        for _ in 0..<(geometry.segmentCount + 2) {
            if reader.nextSequence > through { return .end }
            if reader.segment < 0 || !table.isLive(reader.segment) || table.segmentSequence[reader.segment] != reader.segmentSequence {
                let s = table.segment(containing: reader.nextSequence)
                if s < 0 { return .end }
                position(&reader, at: s)
            }
            let s = reader.segment
            let limit = Int(table.endOffset[s])
            let key = LogFormat.recordKey(segmentSequence: table.segmentSequence[s])
            let version = table.version[s]
            for _ in 0..<recordsPerSegment {
                if reader.offset >= limit || reader.offsetSequence > through { break }
                try load(s, upTo: limit)
                let raw = UnsafeRawBufferPointer(scan)
                let length = LogStore.parseRecord(raw, at: reader.offset, limit: limit, key: key, expected: reader.offsetSequence, version: version)
                if length == 0 {
                    // A damaged stretch recovery skipped (or damage since): go on at the next
                    // record that checks out, as recovery did, with the segment's known end as
                    // the bound. Nothing found: the rest of this segment is skipped.
                    guard let next = LogStore.resync(
                        raw, from: reader.offset, limit: limit, key: key, expected: reader.offsetSequence,
                        bound: table.endSequence[s], version: version)
                    else {
                        counters.readSkips &+= 1
                        reader.offset = limit
                        break
                    }
                    counters.readSkips &+= next.sequence - reader.offsetSequence
                    reader.offset = next.offset
                    reader.offsetSequence = next.sequence
                    continue
                }
                let sequence = reader.offsetSequence
                let at = reader.offset
                reader.offset += length
                reader.offsetSequence = sequence &+ 1
                if sequence < reader.nextSequence { continue }
                reader.nextSequence = sequence &+ 1
                looked += 1
                let type = LogRecordType(rawValue: raw[at + 2])!
                if !alertsOnly || type.isAlert {
                    LogStore.fill(&record, from: raw, at: at, length: length, version: version)
                    assert(record.sequence == sequence)
                    return .found
                }
                if looked >= budget { return .budgetSpent }
            }
            if reader.offset < limit { return .end }  // stopped at `through`
            if s == head { return .end }
            let next = table.nextLive(after: table.segmentSequence[s])
            if next < 0 { return .end }
            position(&reader, at: next)
        }
        return .end
    }

    /// Puts `reader` at the first record of segment `s`.
    func position(_ reader: inout LogReader, at s: Int) {
        reader.segment = s
        reader.segmentSequence = table.segmentSequence[s]
        reader.offset = LogFormat.segmentHeaderBytes
        reader.offsetSequence = table.firstSequence[s]
        if reader.nextSequence < reader.offsetSequence { reader.nextSequence = reader.offsetSequence }
    }
}
