extension LogStore {
    /// Rebuilds the segment table from the device (docs/LOG_FORMAT.md §6): headers, cursor, every
    /// live segment's records in segment-sequence order, then the head's torn tail is cleared.
    /// - Complexity: O(file size) bytes read, O(segment count²) comparisons to order the segments.
    mutating func recover() throws(LogOpenError) {
        var recoverySynced = false
        let count = geometry.segmentCount
        let sizeBytes = UInt32(truncatingIfNeeded: geometry.segmentSizeBytes)
        var maxSegmentSequence: UInt64 = 0
        let headerBytes = UnsafeMutableRawBufferPointer(rebasing: scan[0..<LogFormat.segmentHeaderBytes])
        for i in 0..<count {
            do { try device.read(at: geometry.offset(ofSegment: i), into: headerBytes) } catch { throw .io(error) }
            let raw = UnsafeRawBufferPointer(headerBytes)
            guard let header = LogSegmentHeader.decode(raw, index: UInt32(truncatingIfNeeded: i), segmentSizeBytes: sizeBytes) else {
                if !LogFormat.isZero(raw) {
                    // Not clean: whatever is there must not be built on without a header sync.
                    table.markHeaderUnknown(i)
                    recovery.damagedHeaders += 1
                    if recovery.firstDamagedHeaderOffset < 0 { recovery.firstDamagedHeaderOffset = geometry.offset(ofSegment: i) }
                }
                continue
            }
            table.segmentSequence[i] = header.segmentSequence
            table.eraseCount[i] = header.eraseCount
            if header.segmentSequence > maxSegmentSequence { maxSegmentSequence = header.segmentSequence }
            if header.isLive {
                table.setLive(i, true)
                table.version[i] = header.version
                table.firstSequence[i] = header.firstRecordSequence
                table.endSequence[i] = header.firstRecordSequence
                table.endOffset[i] = Int32(truncatingIfNeeded: LogFormat.segmentHeaderBytes)
                recovery.liveSegments += 1
            } else {
                recovery.erasedSegments += 1
            }
        }
        // Past every sequence a header lost in the cut can have had, so that records written under
        // it (a header opened without a sync, `openSegment`) can never validate under a new header.
        // Such a header X was opened from a head whose header is durable and found here, and X
        // took that head's sequence + 1 or + 2 (an erase may come between); so every lost
        // sequence is at most the largest found + 2.
        nextSegmentSequence = maxSegmentSequence &+ 3
        do { try loadCursor() } catch { throw .io(error) }

        // Scan the live segments oldest first; a gap between one segment's last valid record and
        // the next segment's first is corruption of synced data (a newer header proves it synced),
        // except for a gap the store made itself (below).
        var previous = -1
        var previousEndedClean = false
        var previousDamaged = false
        var after: UInt64 = 0
        var s = table.nextLive(after: 0)
        for _ in 0..<count {
            if s < 0 { break }
            after = table.segmentSequence[s]
            // The segment after this one bounds its record sequences (none for the head).
            let following = table.nextLive(after: after)
            let bound = following >= 0 ? table.firstSequence[following] : UInt64.max
            let scanned: (endedClean: Bool, damaged: Bool)
            do { scanned = try scanForRecovery(s, bound: bound) } catch { throw .io(error) }
            // A gap whose missing sequences were never written: an earlier recovery found the
            // cursor at or past its head's last record (the cursor named records written but
            // not durable, which the uplink forwards with batch durability, and the cut lost
            // them), moved the next sequence past the cursor so that no sequence that may have
            // been delivered is used again, and the next roll opened a segment there. The old
            // head's records then end cleanly (its tail was cleared) and every sequence missing
            // before the next segment is at or below the cursor: delivered, not lost. Counting it
            // would report damage (`corruptSegments`, `skippedRecords`, `log verify`) where there
            // is none. A segment whose records stop at bytes that fail their checks is counted as
            // damaged, forwarded or not: that is damage to synced data. The persisted cursor is never
            // held back to the durable sequence instead: after a cut, sequences the uplink had
            // already delivered would be appended again, and a receiver that deduplicates by
            // sequence would drop the new records.
            let forwardedGap = previous >= 0 && previousEndedClean
                && table.firstSequence[s] > table.endSequence[previous] && table.firstSequence[s] &- 1 <= cursor
            if previous >= 0 && table.endSequence[previous] != table.firstSequence[s] && !forwardedGap {
                let lost = table.firstSequence[s] > table.endSequence[previous] ? table.firstSequence[s] - table.endSequence[previous] : 0
                let end = Int(table.endOffset[previous])
                recovery.note(LogDamage(
                    segment: previous, offset: geometry.offset(ofSegment: previous) + end.wide,
                    bytes: geometry.segmentSizeBytes - end, firstLostSequence: table.endSequence[previous], lostRecords: lost))
                previousDamaged = true
            }
            if previousDamaged { recovery.corruptSegments += 1 }
            previous = s
            previousEndedClean = scanned.endedClean
            previousDamaged = scanned.damaged
            s = following
        }
        // The head's own damage (stretches followed by valid records); its tail is not damage.
        if previousDamaged { recovery.corruptSegments += 1 }
        head = previous
        if head >= 0 {
            nextSequence = table.endSequence[head]
            pageStartOffset = Int(table.endOffset[head])
            headKey = LogFormat.recordKey(segmentSequence: table.segmentSequence[head])
            do { recoverySynced = try clearTail() } catch { throw .io(error) }
        }
        // What the scan read may not be durable: after the process was killed (not a power cut)
        // the page cache still holds its unsynced writes (records written without a commit, a
        // header, a cursor slot). `durableSequence` below says they are durable, the uplink
        // forwards up to it, and the next roll writes a live header without syncing first (nothing
        // is "unsynced" in this store), so a power cut could lose them after they were forwarded,
        // or leave the newer header above their lost stretch, which reads as corruption of synced
        // data (§6). One sync here makes what was found durable. (`clearTail` already synced
        // when it repaired a tail; `.never` promises nothing of the kind, §6.1.)
        if !readOnly && syncMode == .ordered && !recoverySynced && (head >= 0 || cursorGeneration > 0) {
            do { try device.sync() } catch { throw .io(error) }
            counters.syncs &+= 1
        }
        // Never reuse a sequence that may have been delivered already.
        if cursor >= nextSequence { nextSequence = cursor &+ 1 }
        lastWrittenSequence = nextSequence &- 1
        durableSequence = lastWrittenSequence
        if recovery.records > 0 {
            recovery.firstSequence = oldestSequence
            recovery.lastSequence = head >= 0 ? table.endSequence[head] &- 1 : 0
        }
        if !readOnly && policy == .dropOldest && head >= 0 {
            // A power cut between opening a head and erasing the segment after it leaves no free
            // segment ahead; restore that now. The head may be nearly full (records written after
            // the lost erase were kept), so the copies take what room it has (`drop`).
            let ahead = (head + 1) % count
            if table.isLive(ahead) {
                do { try drop(ahead, intoNewHead: false) } catch {
                    if case .failed(let code) = error { throw .io(LogIOError.from(negativeErrno: code)) }
                    throw .io(.noSpace)
                }
            }
        }
    }

    /// Reads the two cursor slots; the valid one with the higher generation wins.
    mutating func loadCursor() throws(LogIOError) {
        var best: LogCursorSlot? = nil
        var damaged = 0
        for slotIndex in 0..<2 {
            let offset = slotIndex == 0 ? LogFormat.cursorSlotOffsets.0 : LogFormat.cursorSlotOffsets.1
            let bytes = UnsafeMutableRawBufferPointer(rebasing: scan[0..<LogFormat.cursorSlotBytes])
            try device.read(at: offset.wide, into: bytes)
            if let slot = LogCursorSlot.decode(UnsafeRawBufferPointer(bytes)) {
                if best == nil || slot.generation > best!.generation { best = slot }
            } else if !LogFormat.isZero(UnsafeRawBufferPointer(bytes)) {
                damaged += 1
            }
        }
        if let best {
            cursor = best.cursor
            durableCursor = best.cursor
            cursorGeneration = best.generation
        }
        recovery.cursorDamaged = best == nil && damaged > 0
    }

    /// Reads segment `s` whole into `scan` and finds its valid records, resynchronising after
    /// damage (`LogStore.resync`: record sequences below `bound`, the next segment's first record
    /// sequence, or unbounded for the head). Every damaged stretch followed by a valid record is
    /// noted in `recovery` with its sequence gap; the segment's records end after the last valid
    /// one. Returns whether they end cleanly there: at a zero length field, or where no record
    /// fits before the segment's end (not at bytes that fail a record's checks), and whether a
    /// damaged stretch was found.
    /// - Complexity: O(segment size): each byte is looked at by at most one record check and
    ///   one resynchronising pass.
    mutating func scanForRecovery(_ s: Int, bound: UInt64) throws(LogIOError) -> (endedClean: Bool, damaged: Bool) {
        try device.read(at: geometry.offset(ofSegment: s), into: scan)
        scanSegment = s
        scanSegmentSequence = table.segmentSequence[s]
        scanLoadedBytes = scan.count
        let key = LogFormat.recordKey(segmentSequence: table.segmentSequence[s])
        var offset = LogFormat.segmentHeaderBytes
        var expected = table.firstSequence[s]
        var damaged = false
        let raw = UnsafeRawBufferPointer(scan)
        // Bounded: every pass moves `offset` on by at least minRecordBytes (a record, or a
        // resynchronisation, which lands at least one record's length further).
        for _ in 0..<(scan.count / LogFormat.minRecordBytes + 1) {
            let length = LogStore.parseRecord(raw, at: offset, limit: scan.count, key: key, expected: expected, version: table.version[s])
            if length == 0 {
                guard let next = LogStore.resync(
                    raw, from: offset, limit: scan.count, key: key, expected: expected, bound: bound, version: table.version[s])
                else { break }
                recovery.note(LogDamage(
                    segment: s, offset: geometry.offset(ofSegment: s) + offset.wide, bytes: next.offset - offset,
                    firstLostSequence: expected, lostRecords: next.sequence - expected))
                damaged = true
                offset = next.offset
                expected = next.sequence
                continue
            }
            recovery.recordsByType[Int(raw[offset + 2])] += 1
            offset += length
            expected &+= 1
        }
        assert(offset <= scan.count && expected >= table.firstSequence[s])
        // Only up to the last valid record counts as loaded: the rest will be overwritten by
        // appends (the head) or is never read (older segments end there).
        scanLoadedBytes = offset
        table.endOffset[s] = Int32(truncatingIfNeeded: offset)
        table.endSequence[s] = expected
        let endedClean = offset + LogFormat.minRecordBytes > scan.count || LogFormat.load16(raw, offset) == 0
        return (endedClean, damaged)
    }

    /// Zeroes the head's bytes after its last valid record (they are in `scan` from the recovery
    /// scan), so a later partial write cannot make a torn record of this segment life valid again.
    /// Returns true when it synced the device.
    /// - Complexity: O(segment size).
    @discardableResult
    mutating func clearTail() throws(LogIOError) -> Bool {
        precondition(head >= 0 && scanSegment == head, "the head is scanned last")
        let end = Int(table.endOffset[head])
        var lastNonZero = -1
        var i = scan.count - 1
        // Bounded by the segment size.
        while i >= end {
            if scan[i] != 0 {
                lastNonZero = i
                break
            }
            i -= 1
        }
        if lastNonZero < end { return false }
        recovery.tailBytes = lastNonZero + 1 - end
        if readOnly { return false }
        for j in end...lastNonZero { scan[j] = 0 }
        let zeros = UnsafeRawBufferPointer(rebasing: scan[end...lastNonZero])
        try device.write(at: geometry.offset(ofSegment: head) + end.wide, from: zeros)
        if syncMode == .never { return false }
        try device.sync()
        counters.syncs &+= 1
        return true
    }
}
