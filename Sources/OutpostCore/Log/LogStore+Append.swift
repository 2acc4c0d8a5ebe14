extension LogStore {
    /// Appends an alert raised or cleared for sensor `name`; returns its sequence.
    @discardableResult
    public mutating func append(alert: AlertEvent, name: SensorName) throws(LogAppendError) -> UInt64 {
        let payload = LogAlertPayload(name: name, alert: alert)
        return try appendRecord(type: payload.recordType, flags: 0, timestampMs: alert.timestampMs, payloadCount: payload.sizeBytes) {
            payload.encode(into: $0)
        }
    }

    /// Appends a window summary of sensor `name` for the window ending at `timestampMs`.
    @discardableResult
    public mutating func append(summary: WindowSummary, name: SensorName, timestampMs: Int64) throws(LogAppendError) -> UInt64 {
        let payload = LogSummaryPayload(name: name, summary: summary)
        return try appendRecord(type: .windowSummary, flags: 0, timestampMs: timestampMs, payloadCount: payload.sizeBytes) {
            payload.encode(into: $0)
        }
    }

    /// Appends a marker.
    @discardableResult
    public mutating func append(marker: LogMarkerPayload, timestampMs: Int64) throws(LogAppendError) -> UInt64 {
        try appendRecord(type: .marker, flags: 0, timestampMs: timestampMs, payloadCount: marker.encodedBytes) {
            marker.encode(into: $0)
        }
    }

    /// Appends a record of `type` whose payload `encode` writes into the buffer it is given
    /// (exactly `payloadCount` bytes, returning that count). Rolls to the next segment when the
    /// head is full, applying the full policy.
    /// - Complexity: O(payload) usually; a roll adds a sync and, with drop-oldest, one segment read.
    public mutating func appendRecord(
        type: LogRecordType, flags: UInt8, timestampMs: Int64, payloadCount: Int,
        encode: (UnsafeMutableRawBufferPointer) -> Int
    ) throws(LogAppendError) -> UInt64 {
        precondition(payloadCount >= 0 && payloadCount <= LogFormat.maxPayloadBytes, "payload too large for a record")
        try checkWritable()
        let length = LogFormat.recordHeaderBytes + payloadCount + LogFormat.recordTrailerBytes
        if head < 0 || !headHasRoom(length) || !headContinues {
            do { try roll() } catch {
                if error == .full { counters.rejectedFull &+= 1 }
                if error == .noSpace { counters.rejectedNoSpace &+= 1 }
                throw error
            }
        }
        let sequence = try place(type: type, flags: flags, timestampMs: timestampMs, payloadCount: payloadCount, encode: encode)
        if state == .full { state = .ready }
        return sequence
    }

    /// Writes the buffered records and the cursor, then syncs once: afterwards everything appended
    /// so far is durable. Returns the highest durable sequence.
    /// - Complexity: one write of the pending bytes, at most one cursor write, one sync.
    @discardableResult
    public mutating func commit() throws(LogAppendError) -> UInt64 {
        try write()
        try syncDevice()
        return durableSequence
    }

    /// Writes the buffered records and the cursor without syncing (batch durability: the caller
    /// syncs on a timer with `commit()`). Returns the highest sequence written.
    @discardableResult
    public mutating func write() throws(LogAppendError) -> UInt64 {
        switch state {
        case .failed(let code): throw .failed(code)
        case .readOnly: throw .readOnly
        default: break
        }
        if pendingBytes > 0 || cursorDirty { counters.commits &+= 1 }
        try flushPending()
        if state == .noSpace { state = .ready }
        if cursorDirty { try writeCursor() }
        return lastWrittenSequence
    }

    /// Records that everything up to `sequence` was delivered upstream; durable after the next
    /// commit. The cursor only moves forward.
    public mutating func setCursor(_ sequence: UInt64) {
        precondition(sequence < nextSequence, "the cursor cannot pass the last appended record")
        if sequence <= cursor { return }
        cursor = sequence
        cursorDirty = true
    }

    /// True when a record of `length` bytes fits in the head after the pending bytes.
    @inline(__always)
    func headHasRoom(_ length: Int) -> Bool {
        pageStartOffset + pendingBytes + length <= geometry.segmentSizeBytes
    }

    /// True when the next sequence continues the head's records (false after recovery moved the
    /// sequence past the cursor: a new segment must start).
    var headContinues: Bool {
        table.endSequence[head] &+ UInt64(bitPattern: pendingRecords.wide) == nextSequence
    }

    /// Refuses when failed or read-only; out of space, retries writing the buffered bytes first.
    mutating func checkWritable() throws(LogAppendError) {
        switch state {
        case .failed(let code): throw .failed(code)
        case .readOnly: throw .readOnly
        case .noSpace:
            do { try flushPending() } catch {
                if error == .noSpace { counters.rejectedNoSpace &+= 1 }
                throw error
            }
            state = .ready
        case .ready, .full: break
        }
    }

    /// Builds a record in the page buffer (writing the buffer out first when it is full) and
    /// re-checks it from there. The head must have room.
    ///
    /// Per-record hot path: one bounds check for the whole record (the page always has room for
    /// the largest record after a flush, `init` requires `pageBytes` ≥ 512), then the header fields
    /// are stored through the record's base pointer instead of a checked slice per field.
    /// - Complexity: O(record length): the payload encode and one CRC pass.
    mutating func place(
        type: LogRecordType, flags: UInt8, timestampMs: Int64, payloadCount: Int,
        encode: (UnsafeMutableRawBufferPointer) -> Int
    ) throws(LogAppendError) -> UInt64 {
        let length = LogFormat.recordHeaderBytes + payloadCount + LogFormat.recordTrailerBytes
        precondition(head >= 0 && headHasRoom(length), "no room in the head segment")
        if pendingBytes + length > page.count { try flushPending() }
        precondition(pendingBytes >= 0 && pendingBytes + length <= page.count, "record outside the page buffer")
        let base = page.baseAddress! + pendingBytes
        let sequence = nextSequence
        base.storeBytes(of: UInt16(truncatingIfNeeded: length).littleEndian, as: UInt16.self)
        (base + 2).storeBytes(of: type.rawValue, as: UInt8.self)
        (base + 3).storeBytes(of: flags, as: UInt8.self)
        (base + 4).storeBytes(of: sequence.littleEndian, as: UInt64.self)
        (base + 12).storeBytes(of: UInt64(bitPattern: timestampMs).littleEndian, as: UInt64.self)
        let written = encode(UnsafeMutableRawBufferPointer(start: base + LogFormat.recordHeaderBytes, count: payloadCount))
        precondition(written == payloadCount, "payload encoder wrote a different length")
        let sealed = seal(base, length: length, sequence: sequence)
        if type.isAlert && alertIndexBuilt {
            // The drop-oldest copy rule needs the newest record of every (sensor, kind) (§7).
            let payload = UnsafeRawBufferPointer(start: base + LogFormat.recordHeaderBytes, count: payloadCount)
            var original = sealed
            if LogFormat.hasCopyTrailer(flags: flags, segmentVersion: table.version[head]) {
                original = LogFormat.load64(payload, payloadCount - LogFormat.copyTrailerBytes)
            }
            noteAlert(payload, sealed, original: original)
        }
        return sealed
    }

    /// Ends the record of `length` bytes just built at `base` in the page buffer: its CRC, the
    /// paired check, and the bookkeeping that makes it pending. Returns its sequence.
    ///
    /// Paired check (kept in release): the bytes that will reach the disk parse back as a record
    /// of this length, a known type and flags and this sequence, and end in the CRC just
    /// computed. It catches a field stored at the wrong offset or width, a bad length or type,
    /// and an encoder that overran into the trailer. The CRC is not recomputed over the bytes it
    /// was just computed over: nothing writes them in between, so that could not fail; that
    /// reader and writer key and cover the same bytes is checked where the key is made
    /// (`openSegment`) and by the round-trip and power-cut tests.
    /// - Complexity: O(length): one CRC pass.
    @inline(__always)
    mutating func seal(_ base: UnsafeMutableRawPointer, length: Int, sequence: UInt64) -> UInt64 {
        let crcOffset = length - LogFormat.recordTrailerBytes
        precondition(base == page.baseAddress! + pendingBytes && pendingBytes + length <= page.count, "record outside the page buffer")
        let crc = LogFormat.recordCRC(key: headKey, UnsafeRawBufferPointer(start: base, count: crcOffset))
        (base + crcOffset).storeBytes(of: crc.littleEndian, as: UInt32.self)
        let placed = UnsafeRawBufferPointer(start: base, count: length)
        precondition(
            LogStore.parseRecordHeader(placed, at: 0, limit: length, expected: sequence) == length
                && LogFormat.load32(placed, crcOffset) == crc,
            "record does not parse back as written")
        pendingBytes += length
        pendingRecords += 1
        nextSequence = sequence &+ 1
        return sequence
    }

    /// Writes the page buffer at the end of the head (no sync).
    mutating func flushPending() throws(LogAppendError) {
        if pendingBytes == 0 { return }
        precondition(head >= 0 && pageStartOffset + pendingBytes <= geometry.segmentSizeBytes)
        let offset = geometry.offset(ofSegment: head) + pageStartOffset.wide
        try deviceWrite(at: offset, UnsafeRawBufferPointer(rebasing: page[0..<pendingBytes]))
        pageStartOffset += pendingBytes
        table.endOffset[head] = Int32(truncatingIfNeeded: pageStartOffset)
        table.endSequence[head] = nextSequence
        lastWrittenSequence = nextSequence &- 1
        pendingBytes = 0
        pendingRecords = 0
        if state == .noSpace { state = .ready }
        assert(table.endSequence[head] >= table.firstSequence[head])
    }

    /// Writes the cursor to the slot that does not hold the last synced cursor: the next
    /// generation's slot after a sync, else (ordered mode, the newest slot still unsynced, as with
    /// `write()` every tick and `commit()` on a timer) the newest slot again, two generations on.
    ///
    /// Why: alternating on every write let a cut that lost generation g+1 and tore g+2 destroy
    /// the synced g with them (g+2 overwrites g's slot), so the cursor fell back further than one
    /// step, or to 0. Without syncs at all (`.never`) nothing is known synced, and the slots
    /// alternate.
    mutating func writeCursor() throws(LogAppendError) {
        precondition(pendingBytes == 0, "the page buffer is the bounce buffer")
        let generation = cursorGeneration &+ (syncMode == .ordered && cursorSlotUnsynced ? 2 : 1)
        let bytes = UnsafeMutableRawBufferPointer(rebasing: page[0..<LogFormat.cursorSlotBytes])
        LogCursorSlot(generation: generation, cursor: cursor).encode(into: bytes)
        try deviceWrite(at: LogCursorSlot.offset(forGeneration: generation), UnsafeRawBufferPointer(bytes))
        cursorGeneration = generation
        cursorSlotUnsynced = true
        cursorDirty = false
    }

    /// One device write; "no space" keeps the state recoverable, anything else is fail-stop.
    mutating func deviceWrite(at offset: Int64, _ bytes: UnsafeRawBufferPointer) throws(LogAppendError) {
        // Marked before the attempt: a write that fails may still have changed some bytes, and
        // `openSegment` relies on this flag to know that everything on the device is durable.
        unsynced = true
        do {
            try device.write(at: offset, from: bytes)
        } catch {
            switch error {
            case .noSpace:
                state = .noSpace
                throw .noSpace
            case .io(let code):
                state = .failed(code)
                throw .failed(code)
            }
        }
    }

    /// Syncs when something was written since the last sync. Any failure is fail-stop. With
    /// `LogSyncMode.never` it does nothing: nothing becomes known durable.
    mutating func syncDevice() throws(LogAppendError) {
        if syncMode == .never { return }
        if !unsynced {
            durableCursor = cursorDirty ? durableCursor : cursor
            return
        }
        do {
            try device.sync()
        } catch {
            state = .failed(error.negativeErrno)
            throw .failed(error.negativeErrno)
        }
        counters.syncs &+= 1
        unsynced = false
        cursorSlotUnsynced = false
        durableSequence = lastWrittenSequence
        if !cursorDirty { durableCursor = cursor }
    }
}
