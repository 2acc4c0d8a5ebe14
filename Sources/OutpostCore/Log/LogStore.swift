/// The flash-like log (docs/LOG_FORMAT.md): a fixed-size device of segments written append-only,
/// with group commit, recovery on open, a persistent forward cursor and a policy for when it fills.
///
/// All memory (segment table, page buffer, scan buffer) is carved from an `Arena` when the store is
/// opened; nothing is allocated afterwards. Generic over its device: the daemon's file, or a test
/// device that cuts power at any byte.
///
/// Fail-stop: a write or sync error other than "no space" puts the store in `.failed(errno)` and
/// every later call refuses (a failed fdatasync may have dropped pages; retrying would lie).
public struct LogStore<Device: LogDevice> {
    /// The storage (tests inspect it).
    public internal(set) var device: Device
    public let geometry: LogGeometry
    public let policy: LogFullPolicy
    /// `.never`: no device sync is ever issued (see `LogSyncMode`).
    public let syncMode: LogSyncMode
    let readOnly: Bool
    var table: LogSegmentTable
    /// Records are assembled here before they are written (group commit); also the bounce buffer
    /// for headers and cursor slots when nothing is pending.
    let page: UnsafeMutableRawBufferPointer
    /// A whole segment's bytes: recovery, drops and readers parse segments here.
    let scan: UnsafeMutableRawBufferPointer
    /// Newest alert record per (sensor, kind) above the cursor (drop-oldest's copy rule, §7);
    /// built from the device when the store opens (`buildAlertIndex`), kept up by `place`.
    var alertIndex: LogAlertIndex
    var alertIndexBuilt = false
    /// Untracked alert records (no slot for their key) may be in the log, up to sequence
    /// `alertIndexUntrackedThrough`: no new key is inserted meanwhile (`noteAlert`).
    var alertIndexIncomplete = false
    var alertIndexUntrackedThrough: UInt64 = 0
    /// A drop whose copies and markers are placed and counted but whose erase has not happened
    /// yet (a "no space" on the way): the segment and its life, so that finishing it counts
    /// nothing twice (`drop`). -1 when none.
    var droppingSegment = -1
    var droppingSegmentSequence: UInt64 = 0
    /// Which segment life `scan` holds and how many of its bytes are loaded.
    var scanSegment: Int = -1
    var scanSegmentSequence: UInt64 = 0
    var scanLoadedBytes: Int = 0

    /// The segment appended to, or -1 before the first append on a blank log.
    public internal(set) var head: Int = -1
    /// CRC key of the head's segment life.
    var headKey = CRC32C()
    /// Offset in the head where `page[0]` goes.
    var pageStartOffset: Int = 0
    /// Bytes and records buffered in `page`, not yet written.
    public internal(set) var pendingBytes: Int = 0
    public internal(set) var pendingRecords: Int = 0
    /// Sequence the next appended record gets.
    public internal(set) var nextSequence: UInt64 = 1
    /// Highest sequence written to the device (possibly not durable yet), 0 for none.
    public internal(set) var lastWrittenSequence: UInt64 = 0
    /// Highest sequence known durable (synced), 0 for none.
    public internal(set) var durableSequence: UInt64 = 0
    /// Segment sequence the next header written gets.
    var nextSegmentSequence: UInt64 = 1
    /// Forward cursor: every record up to it was delivered upstream. `durableCursor` is the value
    /// last synced to a cursor slot.
    public internal(set) var cursor: UInt64 = 0
    public internal(set) var durableCursor: UInt64 = 0
    var cursorGeneration: UInt64 = 0
    var cursorDirty = false
    /// The newest cursor slot was written after the last sync (ordered mode): the next cursor write
    /// goes to that same slot, so the other one, holding the last synced cursor, is never touched
    /// before a sync (`writeCursor`).
    var cursorSlotUnsynced = false
    /// True when something was written since the last sync.
    var unsynced = false
    /// False until the first segment is opened after recovery (that open always syncs its header).
    var openedSinceRecovery = false

    /// Version of the file header (`LogFileHeader.version`): of the code that formatted the file.
    public internal(set) var fileVersion: UInt16 = LogFormat.version
    /// The log's identity (docs/LOG_FORMAT.md §2.1): the random id stored in a version-3 file
    /// header when the file was formatted (`formatLogID` of `init`), or the id derived from the
    /// header of a file without one. A receiver keys records on (node id, log id, sequence), so
    /// a log that is deleted or replaced, and restarts at sequence 1, is not taken for repeats.
    public internal(set) var logID: UInt64 = 0
    /// True when `logID` is stored in the file header (version 3), false when it is derived.
    public internal(set) var logIDIsStored = false
    public internal(set) var state: LogState
    public internal(set) var recovery = LogRecoveryReport()
    public internal(set) var counters = LogCounters()

    /// Arena bytes a store of `geometry` with a page buffer of `pageBytes` and an alert index
    /// for `alertKeys` keys (nil: `defaultAlertKeys`) takes after `offset`.
    public static func arenaBytes(after offset: Int, geometry: LogGeometry, pageBytes: Int, alertKeys: Int? = nil) -> Int {
        var end = LogSegmentTable.arenaBytes(after: offset, segmentCount: geometry.segmentCount)
        end = Arena.bytes(after: end, pageBytes, of: UInt8.self)
        end = Arena.bytes(after: end, geometry.segmentSizeBytes, of: UInt8.self)
        return LogAlertIndex.arenaBytes(after: end, keys: alertKeys ?? defaultAlertKeys(geometry))
    }

    /// Keys (sensor, alert kind) the alert index tracks when the caller does not say: as many as
    /// the log can hold alert records with one-byte names, at most 1024. The daemon passes its
    /// profile's sensors × alert kinds.
    public static func defaultAlertKeys(_ geometry: LogGeometry) -> Int {
        let smallestAlert = LogFormat.recordHeaderBytes + 15 + LogFormat.recordTrailerBytes
        return min(1024, geometry.segmentCount * (geometry.segmentPayloadBytes / smallestAlert))
    }

    /// What the file header copies of `device` say (for tools that open logs of any geometry):
    /// the header to open with, or why the file does not open (`LogFileHeaderCopies.decide`).
    public static func probe(_ device: inout Device) throws(LogIOError) -> LogFileHeader.Probe {
        try probeCopies(&device).probe
    }

    /// Reads both file header copies (docs/LOG_FORMAT.md §2) and decides between them.
    public static func probeCopies(_ device: inout Device) throws(LogIOError) -> LogFileHeaderCopies {
        if device.sizeBytes < LogFormat.fileHeaderBytes.wide {
            return LogFileHeaderCopies(probe: .notALog, repairOffset: -1, sourceOffset: 0)
        }
        let first = try probeHeader(&device, at: 0)
        var second = LogFileHeader.Probe.blank
        if device.sizeBytes >= (LogFormat.fileHeaderCopyOffset + LogFormat.fileHeaderBytes).wide {
            second = try probeHeader(&device, at: LogFormat.fileHeaderCopyOffset)
        }
        return LogFileHeaderCopies.decide(first: first, second: second)
    }

    /// The verdict on the 64 bytes at `offset`.
    static func probeHeader(_ device: inout Device, at offset: Int) throws(LogIOError) -> LogFileHeader.Probe {
        var bytes = InlineArray<64, UInt8>(repeating: 0)
        try withUnsafeMutableBytes(of: &bytes) { (raw: UnsafeMutableRawBufferPointer) throws(LogIOError) in
            try device.read(at: offset.wide, into: raw)
        }
        return withUnsafeBytes(of: &bytes) { LogFileHeader.probe($0) }
    }

    /// Opens the log on `device`, formatting it first when it is blank and `formatIfBlank`, and
    /// recovers it (docs/LOG_FORMAT.md §6).
    ///
    /// - Parameters:
    ///   - pageBytes: size of the group-commit buffer (≥ 512, ≤ a segment's record space).
    ///   - readOnly: inspect only: nothing is written (no format, no tail repair, no appends).
    ///   - syncMode: `.never` recovers, repairs and appends without a single device sync (only
    ///     formatting a blank file and repairing a file header copy sync, see `format`).
    ///   - formatLogID: the log id a blank file gets when it is formatted here (random, from the
    ///     caller: the core has no random source). 0 formats without one; `logID` then falls
    ///     back to the id derived from the header (`LogFileHeader.logID`). Ignored for a file that
    ///     is already formatted: its id is read from it.
    ///   - alertKeys: (sensor, alert kind) keys the drop-oldest alert index tracks (nil:
    ///     `defaultAlertKeys`); the copies in a full log are bounded by it (§7).
    /// - Complexity: O(file size): every live segment is read once.
    public init(
        device: Device, arena: inout Arena, geometry: LogGeometry, pageBytes: Int, policy: LogFullPolicy,
        formatIfBlank: Bool, readOnly: Bool = false, syncMode: LogSyncMode = .ordered, alertKeys: Int? = nil,
        formatLogID: UInt64 = 0
    ) throws(LogOpenError) {
        precondition(pageBytes >= 512 && pageBytes <= geometry.segmentPayloadBytes, "page buffer size out of range")
        self.device = device
        self.geometry = geometry
        self.policy = policy
        self.syncMode = syncMode
        self.readOnly = readOnly
        table = LogSegmentTable(arena: &arena, segmentCount: geometry.segmentCount)
        page = UnsafeMutableRawBufferPointer(arena.carve(pageBytes, of: UInt8(0)))
        scan = UnsafeMutableRawBufferPointer(arena.carve(geometry.segmentSizeBytes, of: UInt8(0)))
        alertIndex = LogAlertIndex(arena: &arena, keys: alertKeys ?? LogStore.defaultAlertKeys(geometry))
        state = readOnly ? .readOnly : .ready

        if self.device.sizeBytes < geometry.fileSizeBytes { throw .deviceTooSmall }
        let copies: LogFileHeaderCopies
        do { copies = try LogStore.probeCopies(&self.device) } catch { throw .io(error) }
        switch copies.probe {
        case .valid(let header):
            if header.geometry != geometry { throw .geometryMismatch(header.geometry) }
            fileVersion = header.version
            logID = header.logID
            logIDIsStored = header.storedLogID != 0
            if copies.oneCopyDamaged {
                recovery.damagedHeaderCopyOffset = copies.repairOffset.wide
                if !readOnly {
                    do { try repairHeaderCopy(header, at: copies.repairOffset) } catch { throw .io(error) }
                    recovery.headerCopyRepaired = true
                }
            }
        case .blank:
            if !formatIfBlank || readOnly { throw .blank }
            do { try format(logID: formatLogID) } catch { throw .io(error) }
        case .notALog: throw .notALog
        case .unsupportedVersion(let version): throw .unsupportedVersion(version)
        case .corrupt: throw .corruptHeader
        }
        try recover()
        // Recovery's own drop may have built it already.
        if policy == .dropOldest && !readOnly && !alertIndexBuilt {
            do { try buildAlertIndex() } catch { throw .io(error) }
        }
    }

    /// Writes an empty log: every segment header and the reserved area cleared, then both copies
    /// of the file header (with `logID`) last, then one sync. Interrupted, it leaves a file that
    /// is still blank, not a log, or has one valid header copy (which opens it and repairs the
    /// other).
    /// - Complexity: O(segment count) small writes.
    mutating func format(logID: UInt64) throws(LogIOError) {
        for i in 0..<page.count { page[i] = 0 }
        let headerZeros = UnsafeRawBufferPointer(rebasing: page[0..<LogFormat.segmentHeaderBytes])
        for i in 0..<geometry.segmentCount {
            try device.write(at: geometry.offset(ofSegment: i), from: headerZeros)
        }
        var offset = LogFormat.fileHeaderBytes
        // Bounded: each pass clears at least one page-sized piece of the 4 KiB reserved area.
        while offset < LogFormat.reservedBytes {
            let count = min(page.count, LogFormat.reservedBytes - offset)
            try device.write(at: offset.wide, from: UnsafeRawBufferPointer(rebasing: page[0..<count]))
            offset += count
        }
        // Synced in both modes: a new file is created once, and a torn file header would stop the
        // daemon at the next start (`corruptHeader`), which no sync mode may risk.
        try device.sync()
        let header = LogFileHeader(geometry: geometry, fileSizeBytes: device.sizeBytes, logID: logID)
        let headerBytes = UnsafeMutableRawBufferPointer(rebasing: page[0..<LogFormat.fileHeaderBytes])
        header.encode(into: headerBytes)
        // The copy first: a cut between the two writes leaves a blank first copy over a valid
        // second one, which opens (and is repaired) like any other single damaged copy.
        try device.write(at: LogFormat.fileHeaderCopyOffset.wide, from: UnsafeRawBufferPointer(headerBytes))
        try device.write(at: 0, from: UnsafeRawBufferPointer(headerBytes))
        try device.sync()
        for i in 0..<LogFormat.fileHeaderBytes { page[i] = 0 }
        fileVersion = header.version
        self.logID = header.logID
        logIDIsStored = header.storedLogID != 0
    }

    /// Rewrites the damaged file header copy at `offset` from the valid `header`, and syncs (in
    /// every sync mode, as `format` does: it happens once, and leaving one copy damaged would
    /// leave the file one more flipped bit away from refusing to open).
    mutating func repairHeaderCopy(_ header: LogFileHeader, at offset: Int) throws(LogIOError) {
        precondition(offset == 0 || offset == LogFormat.fileHeaderCopyOffset, "not a header copy offset")
        let headerBytes = UnsafeMutableRawBufferPointer(rebasing: page[0..<LogFormat.fileHeaderBytes])
        header.encode(into: headerBytes)
        try device.write(at: offset.wide, from: UnsafeRawBufferPointer(headerBytes))
        try device.sync()
        counters.syncs &+= 1
        for i in 0..<LogFormat.fileHeaderBytes { page[i] = 0 }
    }

    /// Record bytes that can still be appended without erasing anything: the head's remainder and
    /// every free segment (minus the one kept free ahead of the head by drop-oldest).
    /// - Complexity: O(1) (the table counts its live segments).
    public var freeBytes: Int64 {
        var free: Int64 = 0
        var freeSegments = table.count - table.liveCount
        if policy == .dropOldest && freeSegments > 0 && head >= 0 { freeSegments -= 1 }
        free = freeSegments.wide * geometry.segmentPayloadBytes.wide
        if head >= 0 { free += (geometry.segmentSizeBytes - pageStartOffset - pendingBytes).wide }
        return free
    }

    /// Number of live segments.
    public var liveSegmentCount: Int { table.liveCount }

    /// Sequence of the oldest record still in the log (nextSequence when empty).
    public var oldestSequence: UInt64 {
        var oldest = nextSequence
        for i in 0..<table.count where table.isLive(i) && table.firstSequence[i] < table.endSequence[i] {
            if table.firstSequence[i] < oldest { oldest = table.firstSequence[i] }
        }
        return oldest
    }

    /// Checks one record at `offset` of a segment image of `version`: its length fits before
    /// `limit`, its type and flags are known, its sequence is `expected`, its keyed CRC matches,
    /// and a copy's original-sequence trailer (version 2) fits and names an earlier record.
    /// Returns its length, or 0 when it is not a valid record.
    static func parseRecord(_ bytes: UnsafeRawBufferPointer, at offset: Int, limit: Int, key: CRC32C, expected: UInt64, version: UInt16) -> Int {
        let length = parseRecordHeader(bytes, at: offset, limit: limit, expected: expected)
        if length == 0 { return 0 }
        let crcOffset = offset + length - LogFormat.recordTrailerBytes
        let body = UnsafeRawBufferPointer(rebasing: bytes[offset..<crcOffset])
        if LogFormat.recordCRC(key: key, body) != LogFormat.load32(bytes, crcOffset) { return 0 }
        if LogFormat.hasCopyTrailer(flags: bytes[offset + 3], segmentVersion: version) {
            // A copy is always appended after its original, so the original's sequence is smaller.
            if length < LogFormat.minRecordBytes + LogFormat.copyTrailerBytes { return 0 }
            let original = LogFormat.load64(bytes, crcOffset - LogFormat.copyTrailerBytes)
            if original == 0 || original >= expected { return 0 }
        }
        return length
    }

    /// Finds where valid records resume after the record expected at `start` failed its checks
    /// (docs/LOG_FORMAT.md §6): the first offset o in (start, limit) holding a record that passes
    /// every check of `parseRecord` under `key` with a sequence q that fits the damage:
    /// `expected` < q < `bound`, and the q − expected records lost between `start` and o fit
    /// the bytes between them (24 to 256 bytes each). Returns nil when there is none.
    ///
    /// Why these conditions let nothing through that was not written in this segment life:
    /// stale bytes of an earlier life have sequences below this life's first record sequence
    /// (record sequences only grow across the log) and a CRC keyed with another segment
    /// sequence; bytes inside a payload would have to hold a whole record (length, known type,
    /// zero reserved flags, a sequence in the narrow window the gap allows, and a matching keyed
    /// CRC-32C), which accidental data passes with a probability of about 2^−32 per candidate
    /// at best.
    /// - Complexity: O(limit − start) cheap header checks, a CRC only for candidates that pass.
    static func resync(
        _ bytes: UnsafeRawBufferPointer, from start: Int, limit: Int, key: CRC32C, expected: UInt64, bound: UInt64, version: UInt16
    ) -> (offset: Int, sequence: UInt64)? {
        precondition(start >= 0 && limit <= bytes.count)
        let minimum = LogFormat.minRecordBytes
        var o = start + minimum
        // Bounded: one candidate per byte up to the last place a record fits.
        while o + minimum <= limit {
            let length = Int(LogFormat.load16(bytes, o))
            if length >= minimum && length <= LogFormat.maxRecordBytes && o + length <= limit
                && LogRecordType(rawValue: bytes[o + 2]) != nil && bytes[o + 3] & ~LogFormat.flagCopied == 0 {
                let sequence = LogFormat.load64(bytes, o + 4)
                if sequence > expected && sequence < bound {
                    let lost = sequence - expected
                    let gap = UInt64(truncatingIfNeeded: (o - start).wide)
                    // The lost records take at least 24 and at most 256 bytes each.
                    if lost <= gap / UInt64(truncatingIfNeeded: minimum.wide)
                        && gap <= lost &* UInt64(truncatingIfNeeded: LogFormat.maxRecordBytes.wide)
                        && parseRecord(bytes, at: o, limit: limit, key: key, expected: sequence, version: version) == length {
                        return (o, sequence)
                    }
                }
            }
            o += 1
        }
        return nil
    }

    /// The checks of `parseRecord` before the CRC: the length at `offset` is in range and fits
    /// before `limit`, the type and flags are known, the sequence is `expected`. Returns the
    /// length, or 0 when any check fails.
    /// - Complexity: O(1).
    @inline(__always)
    static func parseRecordHeader(_ bytes: UnsafeRawBufferPointer, at offset: Int, limit: Int, expected: UInt64) -> Int {
        precondition(limit <= bytes.count && offset >= 0)
        if offset + LogFormat.minRecordBytes > limit { return 0 }
        let length = Int(LogFormat.load16(bytes, offset))
        if length < LogFormat.minRecordBytes || length > LogFormat.maxRecordBytes || offset + length > limit { return 0 }
        if LogRecordType(rawValue: bytes[offset + 2]) == nil { return 0 }
        if bytes[offset + 3] & ~LogFormat.flagCopied != 0 { return 0 }
        if LogFormat.load64(bytes, offset + 4) != expected { return 0 }
        return length
    }

    /// Copies the valid record of `length` bytes at `offset` of `bytes`, in a segment of
    /// `version`, into `record`; a copy's original-sequence trailer goes to `copiedFromSequence`,
    /// not into the payload.
    /// - Complexity: O(length).
    static func fill(_ record: inout LogRecord, from bytes: UnsafeRawBufferPointer, at offset: Int, length: Int, version: UInt16) {
        precondition(length >= LogFormat.minRecordBytes && offset + length <= bytes.count)
        record.type = LogRecordType(rawValue: bytes[offset + 2])!
        record.flags = bytes[offset + 3]
        record.sequence = LogFormat.load64(bytes, offset + 4)
        record.timestampMs = Int64(bitPattern: LogFormat.load64(bytes, offset + 12))
        var count = length - LogFormat.recordHeaderBytes - LogFormat.recordTrailerBytes
        record.copiedFromSequence = 0
        if LogFormat.hasCopyTrailer(flags: record.flags, segmentVersion: version) {
            precondition(count >= LogFormat.copyTrailerBytes, "copied record without its trailer")
            count -= LogFormat.copyTrailerBytes
            record.copiedFromSequence = LogFormat.load64(bytes, offset + LogFormat.recordHeaderBytes + count)
        }
        record.payloadCount = count
        for i in 0..<count { record.payload[i] = bytes[offset + LogFormat.recordHeaderBytes + i] }
    }
}
