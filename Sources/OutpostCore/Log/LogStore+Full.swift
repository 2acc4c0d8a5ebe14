extension LogStore {
    /// Moves the head to the next segment in ring order (docs/LOG_FORMAT.md §7): the old head is
    /// synced first (so a valid newer header proves older records durable), the next segment is
    /// erased or dropped when live, and with drop-oldest the segment after the new head is dropped
    /// so that one free segment stays ahead.
    /// - Complexity: one or two syncs (see `openSegment`), one header write; a drop adds one
    ///   segment read and one more sync.
    mutating func roll() throws(LogAppendError) {
        let count = geometry.segmentCount
        // Once per segment, so affordable: the O(1) live count agrees with the table.
        precondition(table.liveCount == table.countLive(), "live segment count out of step")
        if head >= 0 {
            try flushPending()
            try syncDevice()
        }
        let next = head < 0 ? 0 : (head + 1) % count
        if table.isLive(next) {
            if table.endSequence[next] &- 1 <= cursor || table.endSequence[next] == table.firstSequence[next] {
                // Everything in it was forwarded: reused directly, the new live header (with a
                // higher segment sequence) supersedes the old life. Its old live header is still
                // on the device, so the new one must be synced before records (`openSegment`).
                table.setLive(next, false)
                table.markHeaderUnknown(next)
                counters.erasedSegments &+= 1
            } else if policy == .rejectNew {
                state = .full
                throw .full
            } else {
                // Only when an earlier drop of this segment did not finish (it ran out of space):
                // the copies go to the old head, which may be full (see `drop`).
                try drop(next, intoNewHead: false)
            }
        }
        try openSegment(next)
        if policy == .dropOldest {
            let ahead = (next + 1) % count
            if table.isLive(ahead) {
                try drop(ahead, intoNewHead: true)
                // Paired with the reserve: the record that made the head roll always fits.
                precondition(headHasRoom(LogFormat.maxRecordBytes), "a drop left no room for a record")
            }
        }
    }

    /// Bytes of the head a drop leaves free of copies: an eighth of a segment, and never less than
    /// the two loss markers plus the largest record.
    ///
    /// Why: alerts are kept in preference to readings, but not without bound. With the uplink down
    /// and alerts frequent, every segment ends up mostly copies; copying all of them again would
    /// fill the new head and leave no room for the record that made the head roll (that trapped).
    /// The floor guarantees that record fits; the eighth keeps a log full of alerts taking new
    /// records at a bounded cost (one segment copied per eighth of a segment appended) and drops
    /// its oldest alerts, counted and marked, while a log with room for its alerts keeps them all.
    var dropReserveBytes: Int {
        let markerLength = LogFormat.recordHeaderBytes + LogMarkerPayload.sizeBytes + LogFormat.recordTrailerBytes
        return max(geometry.segmentSizeBytes / 8, 2 * markerLength + LogFormat.maxRecordBytes)
    }

    /// Drops segment `victim` (the oldest): of its unforwarded alerts, each that is the newest
    /// record of its (sensor, kind) in the log is copied to the head while the head keeps
    /// `dropReserveBytes` free (`intoNewHead`) or room for the two loss markers (otherwise; the
    /// rest are counted as lost alerts); an alert with a newer record of its key anywhere after
    /// it (in the victim or later) is superseded and erased without a copy; its unforwarded
    /// readings and other records are counted as lost, markers record the losses, everything is
    /// synced, and only then is the segment erased (docs/LOG_FORMAT.md §7).
    ///
    /// Why only the newest per key: copying every unforwarded alert at every drop let alert copies
    /// crowd readings out of a full log (each drop copied what earlier drops had copied, plus the
    /// new ones). Carrying only the newest state of each (sensor, kind) keeps at most one copy per
    /// key in the log: a copy is made only when nothing of its key follows the victim, and the
    /// victim is the oldest segment, so after the erase the copy is the key's only record.
    ///
    /// A copy in a version-2 head carries the sequence its alert was first written under (the
    /// original's, or the trailer of a copy being copied again), so the uplink forwards it under
    /// that sequence and a receiver that already has the original drops it (docs/LOG_FORMAT.md
    /// §4.5). A copy can only go to a version-1 head after a cut in the middle of a drop in a log
    /// written by older code; it then has no trailer, as version 1 requires.
    ///
    /// `intoNewHead` is true for the drop right after a roll opened the head: the head is empty,
    /// and the record that made it roll still has to fit, hence the reserve. Otherwise the head is
    /// one that already holds records, possibly nearly full: recovery finishing a drop that a cut
    /// interrupted (the erase of the segment ahead was lost while records written after it, without
    /// a sync, were kept: batch durability, or `.never`), or a roll resuming a drop that ran out of
    /// space. No record is waiting then (the next append rolls into the erased victim), so copies
    /// may use the head's room down to the markers, and a head without even that much room simply
    /// takes fewer copies or no marker (the counters still count the loss). Requiring room for a
    /// record after such a drop trapped at every start of a daemon whose log was cut that way.
    ///
    /// Counted once: a drop that placed and counted its copies and markers and then met "no space"
    /// (flush, sync or erase) is remembered (`droppingSegment`); calling it again for the same
    /// segment life only finishes the write, sync and erase. (A drop that recovery finishes after
    /// a cut is counted again by the new store: its counters start at open.)
    /// - Complexity: O(segment size): one read, at most a segment's worth of copies (each an O(1)
    ///   expected index lookup, at worst O(index slots)), two syncs.
    mutating func drop(_ victim: Int, intoNewHead: Bool) throws(LogAppendError) {
        precondition(victim != head && table.isLive(victim) && head >= 0)
        if droppingSegment == victim && droppingSegmentSequence == table.segmentSequence[victim] {
            try finishDrop(victim)
            return
        }
        if !alertIndexBuilt {
            precondition(pendingBytes == 0, "the index is built from the device")
            do { try buildAlertIndex() } catch {
                state = .failed(error.negativeErrno)
                throw .failed(error.negativeErrno)
            }
        }
        try loadWhole(victim)
        let key = LogFormat.recordKey(segmentSequence: table.segmentSequence[victim])
        let victimVersion = table.version[victim]
        let headVersion = table.version[head]
        let limit = Int(table.endOffset[victim])
        var offset = LogFormat.segmentHeaderBytes
        var expected = table.firstSequence[victim]
        var lostReadings: UInt64 = 0
        var lostOther: UInt64 = 0
        var lostAlerts: UInt64 = 0
        var superseded: UInt64 = 0
        let markerLength = LogFormat.recordHeaderBytes + LogMarkerPayload.sizeBytes + LogFormat.recordTrailerBytes
        let reserve = intoNewHead ? dropReserveBytes : 2 * markerLength
        let raw = UnsafeRawBufferPointer(scan)
        // Bounded: every record is at least minRecordBytes long.
        for _ in 0..<(scan.count / LogFormat.minRecordBytes + 1) {
            let length = LogStore.parseRecord(raw, at: offset, limit: limit, key: key, expected: expected, version: victimVersion)
            if length == 0 {
                // Damage inside the victim (§6.2): step over it as recovery did. Recovery already
                // counted the records the damage cost; the valid ones after it are dropped (and
                // counted) or copied like any other.
                guard let next = LogStore.resync(raw, from: offset, limit: limit, key: key, expected: expected,
                                                 bound: table.endSequence[victim], version: victimVersion) else { break }
                offset = next.offset
                expected = next.sequence
                continue
            }
            if expected > cursor {
                let type = LogRecordType(rawValue: raw[offset + 2])!
                if type.isAlert {
                    let sourceFlags = raw[offset + 3]
                    // The payload without any trailer, and the sequence the alert was first
                    // written under (unknown for a copy in a version-1 segment: its own).
                    var payloadEnd = offset + length - LogFormat.recordTrailerBytes
                    var original = expected
                    if LogFormat.hasCopyTrailer(flags: sourceFlags, segmentVersion: victimVersion) {
                        payloadEnd -= LogFormat.copyTrailerBytes
                        original = LogFormat.load64(raw, payloadEnd)
                    }
                    let source = UnsafeRawBufferPointer(rebasing: raw[(offset + LogFormat.recordHeaderBytes)..<payloadEnd])
                    // Superseded: a newer record of the same sensor and kind follows (in the
                    // victim, later segments or the page buffer). Untracked keys (nil) are copied.
                    if let newest = alertIndex.newest(ofPayload: source), newest.sequence > expected {
                        // The newest record being this alert's own copy means an earlier drop of
                        // this segment made it and a cut lost the erase: nothing is lost.
                        if newest.original != original { superseded &+= 1 }
                    } else {
                        let flags = sourceFlags | LogFormat.flagCopied
                        let trailerBytes = LogFormat.hasCopyTrailer(flags: flags, segmentVersion: headVersion) ? LogFormat.copyTrailerBytes : 0
                        let payloadCount = source.count + trailerBytes
                        // Alert payloads are far below the limit (a name of at most
                        // SensorName.capacityBytes and 13 bytes), so the trailer always fits.
                        precondition(payloadCount <= LogFormat.maxPayloadBytes, "copied payload too large")
                        let copyLength = LogFormat.recordHeaderBytes + payloadCount + LogFormat.recordTrailerBytes
                        if headHasRoom(copyLength + reserve) {
                            let timestamp = Int64(bitPattern: LogFormat.load64(raw, offset + 12))
                            _ = try place(type: type, flags: flags, timestampMs: timestamp, payloadCount: payloadCount) { target in
                                (target.baseAddress!).copyMemory(from: source.baseAddress!, byteCount: source.count)
                                if trailerBytes > 0 { LogFormat.store64(target, source.count, original) }
                                return payloadCount
                            }
                            // Counted as placed: a drop cut short by "no space" is run again, and
                            // then finds this copy as the newest record of its key.
                            counters.copiedAlerts &+= 1
                        } else {
                            lostAlerts &+= 1
                        }
                    }
                } else if type == .reading || type == .quantityValue || type == .imageChunk {
                    // A quantity value is a reading too (of a quantity not detected on), and an
                    // image chunk is data a client sent: the marker tells the upstream of all.
                    lostReadings &+= 1
                } else {
                    lostOther &+= 1
                }
            }
            offset += length
            expected &+= 1
        }
        if lostReadings > 0 && headHasRoom(markerLength) {
            let marker = LogMarkerPayload(code: LogMarkerPayload.readingsDropped, value: lostReadings)
            _ = try place(type: .marker, flags: 0, timestampMs: 0, payloadCount: LogMarkerPayload.sizeBytes) { marker.encode(into: $0) }
        }
        // Superseded alerts are not delivered either: the marker counts them with the ones that
        // found no room, so a receiver learns how many alert records it will never see.
        if lostAlerts &+ superseded > 0 && headHasRoom(markerLength) {
            let marker = LogMarkerPayload(code: LogMarkerPayload.alertsDropped, value: lostAlerts &+ superseded)
            _ = try place(type: .marker, flags: 0, timestampMs: 0, payloadCount: LogMarkerPayload.sizeBytes) { marker.encode(into: $0) }
        }
        // Counted here, once: what follows only writes what is placed, and a retry after "no
        // space" resumes at `finishDrop` without counting again.
        counters.droppedReadings &+= lostReadings
        counters.droppedOther &+= lostOther
        counters.droppedAlerts &+= lostAlerts
        counters.supersededAlerts &+= superseded
        droppingSegment = victim
        droppingSegmentSequence = table.segmentSequence[victim]
        try finishDrop(victim)
    }

    /// The end of a drop: the copies must be durable before the originals are erased (a cut in
    /// between leaves the alerts twice, never zero times), then the erase.
    mutating func finishDrop(_ victim: Int) throws(LogAppendError) {
        try flushPending()
        try syncDevice()
        try erase(victim)
        droppingSegment = -1
    }

    /// Notes an alert record just placed (or found by a rebuild) in the alert index; when no slot
    /// is free, entries that no longer matter are reclaimed first (`alertReclaimFloor`). A record
    /// still without a slot is untracked, and so is every key not yet in the table until the last
    /// untracked record is forwarded or erased (`LogAlertIndex`).
    /// - Complexity: O(probe length); a full table adds a reclaim pass, and while untracked
    ///   records remain each call adds O(segment count) (`alertReclaimFloor`).
    mutating func noteAlert(_ payload: UnsafeRawBufferPointer, _ sequence: UInt64, original: UInt64) {
        if alertIndexIncomplete && alertIndexUntrackedThrough <= alertReclaimFloor { alertIndexIncomplete = false }
        if alertIndex.note(payload: payload, sequence: sequence, original: original, insert: !alertIndexIncomplete) { return }
        if !alertIndexIncomplete {
            alertIndex.reclaim(atOrBelow: alertReclaimFloor)
            if alertIndex.note(payload: payload, sequence: sequence, original: original) { return }
        }
        alertIndex.overflows &+= 1
        alertIndexIncomplete = true
        alertIndexUntrackedThrough = sequence
    }

    /// Index entries whose newest record is at or below this no longer matter to a drop: the
    /// record was forwarded (at or below the cursor; a drop copies nothing forwarded) or is no
    /// longer in the log (below the oldest live record).
    /// - Complexity: O(segment count).
    var alertReclaimFloor: UInt64 { max(cursor, oldestSequence &- 1) }

    /// Alert records the alert index could not track since the store was opened (the table was
    /// full of keys with unforwarded records): their keys' alerts are copied at every drop, as
    /// before the index (nothing lost, but not bounded by keys).
    public var untrackedAlerts: UInt64 { alertIndex.overflows }

    /// Fills the alert index from the unforwarded alert records of every live segment.
    /// - Complexity: O(file size) bytes read once (skips segments wholly forwarded).
    mutating func buildAlertIndex() throws(LogIOError) {
        precondition(pendingBytes == 0, "the index is built from the device")
        alertIndex.clear()
        alertIndexIncomplete = false
        alertIndexBuilt = true
        for s in 0..<table.count where table.isLive(s) && table.endSequence[s] &- 1 > cursor && table.endSequence[s] > table.firstSequence[s] {
            let limit = Int(table.endOffset[s])
            try load(s, upTo: limit)
            let key = LogFormat.recordKey(segmentSequence: table.segmentSequence[s])
            let version = table.version[s]
            let raw = UnsafeRawBufferPointer(scan)
            var offset = LogFormat.segmentHeaderBytes
            var expected = table.firstSequence[s]
            // Bounded: every record is at least minRecordBytes long.
            for _ in 0..<(scan.count / LogFormat.minRecordBytes + 1) {
                let length = LogStore.parseRecord(raw, at: offset, limit: limit, key: key, expected: expected, version: version)
                if length == 0 {
                    // Damage (§6.2): the alerts after it still count for the index.
                    guard let next = LogStore.resync(raw, from: offset, limit: limit, key: key, expected: expected,
                                                     bound: table.endSequence[s], version: version) else { break }
                    offset = next.offset
                    expected = next.sequence
                    continue
                }
                if expected > cursor && LogRecordType(rawValue: raw[offset + 2])!.isAlert {
                    var payloadEnd = offset + length - LogFormat.recordTrailerBytes
                    var original = expected
                    if LogFormat.hasCopyTrailer(flags: raw[offset + 3], segmentVersion: version) {
                        payloadEnd -= LogFormat.copyTrailerBytes
                        original = LogFormat.load64(raw, payloadEnd)
                    }
                    let payload = UnsafeRawBufferPointer(rebasing: raw[(offset + LogFormat.recordHeaderBytes)..<payloadEnd])
                    noteAlert(payload, expected, original: original)
                }
                offset += length
                expected &+= 1
            }
        }
    }

    /// Erases segment `index`: an erased header with a new segment sequence (records of the old
    /// life can never validate again). Not synced here: losing the erase only keeps old data.
    mutating func erase(_ index: Int) throws(LogAppendError) {
        precondition(pendingBytes == 0 && index != head, "erase with buffered records or of the head")
        let header = LogSegmentHeader(
            state: LogSegmentHeader.stateErased, segmentSequence: nextSegmentSequence, firstRecordSequence: 0,
            eraseCount: table.eraseCount[index] &+ 1, segmentIndex: UInt32(truncatingIfNeeded: index),
            segmentSizeBytes: UInt32(truncatingIfNeeded: geometry.segmentSizeBytes))
        let bytes = UnsafeMutableRawBufferPointer(rebasing: page[0..<LogFormat.segmentHeaderBytes])
        header.encode(into: bytes)
        try deviceWrite(at: geometry.offset(ofSegment: index), UnsafeRawBufferPointer(bytes))
        nextSegmentSequence &+= 1
        table.setLive(index, false)
        table.segmentSequence[index] = header.segmentSequence
        table.eraseCount[index] = header.eraseCount
        if scanSegment == index { scanSegment = -1 }
        counters.erasedSegments &+= 1
    }

    /// Opens free segment `index` as the new head with a live header, synced before any record of
    /// the new life is written unless that sync protects nothing (below).
    ///
    /// The sync exists so that a cut can never leave an old live header above half-overwritten
    /// records of its life (docs/LOG_FORMAT.md §6). When the header on the device is durably clean
    /// (all zeros, or a valid erased header, and nothing written since the last sync), no old live
    /// header can come back: a lost or torn new header leaves the erased one or an invalid one,
    /// and stale records under it are keyed with an older segment sequence. The records then
    /// become durable with the header at the next sync, as the commit contract says. Two more
    /// conditions keep a lost header's own records from ever validating later: the first open
    /// after recovery always syncs, and recovery numbers new headers past every sequence a lost
    /// header can have had (`recover`).
    /// - Complexity: one header write, at most one sync.
    mutating func openSegment(_ index: Int) throws(LogAppendError) {
        precondition(pendingBytes == 0 && !table.isLive(index), "open with buffered records or of a live segment")
        let headerSync = !table.isClean(index) || unsynced || !openedSinceRecovery
        // Until the write returns, the device may hold any mix of the old and new header.
        table.markHeaderUnknown(index)
        let header = LogSegmentHeader(
            state: LogSegmentHeader.stateLive, segmentSequence: nextSegmentSequence, firstRecordSequence: nextSequence,
            eraseCount: table.eraseCount[index], segmentIndex: UInt32(truncatingIfNeeded: index),
            segmentSizeBytes: UInt32(truncatingIfNeeded: geometry.segmentSizeBytes))
        let bytes = UnsafeMutableRawBufferPointer(rebasing: page[0..<LogFormat.segmentHeaderBytes])
        header.encode(into: bytes)
        try deviceWrite(at: geometry.offset(ofSegment: index), UnsafeRawBufferPointer(bytes))
        if headerSync {
            try syncDevice()
        } else {
            counters.headerSyncsSkipped &+= 1
        }
        openedSinceRecovery = true
        nextSegmentSequence &+= 1
        table.setLive(index, true)
        table.version[index] = header.version
        table.segmentSequence[index] = header.segmentSequence
        table.firstSequence[index] = nextSequence
        table.endSequence[index] = nextSequence
        table.endOffset[index] = Int32(truncatingIfNeeded: LogFormat.segmentHeaderBytes)
        if scanSegment == index { scanSegment = -1 }
        head = index
        pageStartOffset = LogFormat.segmentHeaderBytes
        headKey = LogFormat.recordKey(segmentSequence: header.segmentSequence)
        // Paired check of the key every record of this life is checksummed with: it is the one
        // readers and recovery derive from the header as written.
        precondition(
            LogSegmentHeader.decode(UnsafeRawBufferPointer(bytes), index: UInt32(truncatingIfNeeded: index),
                segmentSizeBytes: UInt32(truncatingIfNeeded: geometry.segmentSizeBytes))?.segmentSequence == table.segmentSequence[index]
                && headKey == LogFormat.recordKey(segmentSequence: table.segmentSequence[index]),
            "head key does not match the header written")
    }

    /// Loads the written part of segment `index` into `scan`; a read failure is fail-stop.
    mutating func loadWhole(_ index: Int) throws(LogAppendError) {
        do { try load(index, upTo: Int(table.endOffset[index])) } catch {
            state = .failed(error.negativeErrno)
            throw .failed(error.negativeErrno)
        }
    }

    /// Makes `scan` hold the first `limit` bytes of segment `index`'s current life, reading only
    /// what is missing when it already holds a prefix of it.
    mutating func load(_ index: Int, upTo limit: Int) throws(LogIOError) {
        precondition(limit <= scan.count)
        let sequence = table.segmentSequence[index]
        var start = 0
        if scanSegment == index && scanSegmentSequence == sequence {
            if scanLoadedBytes >= limit { return }
            start = scanLoadedBytes
        }
        scanSegment = -1
        let target = UnsafeMutableRawBufferPointer(rebasing: scan[start..<limit])
        try device.read(at: geometry.offset(ofSegment: index) + start.wide, into: target)
        scanSegment = index
        scanSegmentSequence = sequence
        scanLoadedBytes = limit
    }
}
