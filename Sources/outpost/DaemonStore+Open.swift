import CHAL
import OutpostCore

// Setting the log and uplink up: the file's path and geometry, the carved regions, opening with
// recovery (reported on stderr), and the uplink's client socket.

extension DaemonStore {
    /// The log file's name inside `--data-dir`.
    static var fileName: StaticString { "/outpost.log" }

    /// (Sensor, alert kind) keys the log's drop-oldest alert index tracks (docs/LOG_FORMAT.md §7):
    /// every kind of every sensor the profile takes, twice over, because a log recovered from an
    /// earlier run may still hold alerts of sensors this run has not seen.
    static var alertKeys: Int { 2 * ActiveProfile.sensorCapacity * AlertKind.count }

    /// The log geometry of this build's profile (docs/LOG_FORMAT.md §1).
    static var profileGeometry: LogGeometry {
        #if OUTPOST_PROFILE_LOW
        return .low
        #elseif OUTPOST_PROFILE_HIGH
        return .high
        #elseif OUTPOST_PROFILE_TEST
        return .test
        #else
        return .medium
        #endif
    }

    /// The geometry for a `--log-size` of `sizeBytes`: the profile's segment size, halved (down
    /// to 4 KiB) until the file holds at least 8 segments, so small logs still rotate.
    static func geometry(forSizeBytes sizeBytes: Int64) -> LogGeometry? {
        var segmentBytes = profileGeometry.segmentSizeBytes
        // Bounded: at most log2(1 MiB / 4 KiB) halvings.
        for _ in 0..<9 {
            if segmentBytes <= 4_096 { break }
            if (sizeBytes - LogFormat.reservedBytes.wide) / segmentBytes.wide >= 8 { break }
            segmentBytes /= 2
        }
        return LogGeometry(fileSizeBytes: sizeBytes, segmentSizeBytes: segmentBytes)
    }

    /// Why setting up failed: a message and an errno (0: none) for `Daemon` to print (exit code).
    struct SetupFailure: Error {
        let what: StaticString
        let errno: Int32
        let exitCode: Int32
    }

    /// Prepares the store per `flags` (nothing when there is no `--data-dir`): path, geometry (an
    /// existing log's own geometry wins over `--log-size`), carved regions, the uplink's socket.
    /// The log itself is opened by `open(nowMs:err:)`.
    /// - Parameter reserveRecords: records one pack may need (the most admission asks for).
    mutating func setUp(flags: DaemonFlags, reserveRecords: Int, arena: inout Arena, nowMs: Int64, err: inout Console) throws(SetupFailure) {
        if !flags.hasDataDir { return }
        precondition(reserveRecords > 0, "the admission reserve must be positive")
        enabled = true
        durability = flags.durability
        policy = flags.whenFull
        self.reserveRecords = reserveRecords
        let directory = flags.dataDir
        let name = DaemonStore.fileName
        pathLength = directory.count + name.utf8CodeUnitCount
        path = UnsafeMutableRawBufferPointer(arena.carve(pathLength + 1, of: UInt8(0)))
        for i in 0..<directory.count { path[i] = directory[i] }
        for i in 0..<name.utf8CodeUnitCount { path[directory.count + i] = name.utf8Start[i] }
        path[pathLength] = 0
        if flags.logSizeBytes > 0 {
            guard let sized = DaemonStore.geometry(forSizeBytes: flags.logSizeBytes) else {
                throw SetupFailure(what: "--log-size too small for three segments", errno: 0, exitCode: 2)
            }
            geometry = sized
        } else {
            geometry = DaemonStore.profileGeometry
        }
        if let existing = probeExisting(), existing != geometry {
            writePathLine(&err, "keeps its own geometry")
            err.writer.text(" (")
            writeGeometry(existing, &err.writer)
            err.writer.text(" instead of ")
            writeGeometry(geometry, &err.writer)
            err.writer.text(")\n")
            geometry = existing
        }
        let pageBytes = min(DaemonStore.pageBytesMax, geometry.segmentPayloadBytes & ~511)
        let storeBytes = LogStore<FileLogDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: pageBytes, alertKeys: DaemonStore.alertKeys) + 64
        var settings: UplinkSettings? = nil
        #if !OUTPOST_PROFILE_LOW
        var mqttSettings: MQTTSettings? = nil
        if flags.hasUpstream && flags.upstreamIsMQTT {
            mqttSettings = try self.mqttSettings(flags: flags, arena: &arena, nowMs: nowMs)
        }
        #endif
        if flags.hasUpstream && !flags.upstreamIsMQTT {
            var s = UplinkSettings(upstream: Endpoints.endpoint(flags.upstreamAddress), path: flags.upstreamPath, nodeId: flags.nodeId)
            s.mode = flags.forward
            s.rateRecordsPerS = flags.uplinkRatePerS
            s.seed = UInt64(bitPattern: nowMs) | 1
            // A fresh message ID range per start (RFC 7252 §4.4: do not reuse recent IDs).
            s.initialMessageID = UInt16(truncatingIfNeeded: nowMs &>> 3)
            settings = s
        }
        #if !OUTPOST_PROFILE_LOW
        let uplinkBytes = settings.map { Uplink.arenaBytes(after: 0, settings: $0) + 64 }
            ?? mqttSettings.map {
                MQTTClient.arenaBytes(after: 0, settings: $0) + CommandQueue.arenaBytes(after: 0, capacity: DaemonStore.commandCapacity) + 128
            } ?? 0
        #else
        let uplinkBytes = settings.map { Uplink.arenaBytes(after: 0, settings: $0) + 64 } ?? 0
        #endif
        let datagramBytes = settings.map { $0.blockBytes + 64 + 2 * UplinkPath.capacityBytes } ?? 0
        if arena.usedBytes + storeBytes + uplinkBytes + datagramBytes + 4_096 > arena.sizeBytes {
            throw SetupFailure(what: "the log's buffers do not fit this build's arena (use a smaller --log-size)", errno: 0, exitCode: 2)
        }
        storeRegion = DaemonStore.carveAligned(storeBytes, from: &arena)
        if let settings {
            uplinkRegion = DaemonStore.carveAligned(uplinkBytes, from: &arena)
            var local = chal_address()
            local.family = flags.upstreamAddress.family
            let fd = chal_udp_open(&local, 256 * 1024)
            if fd < 0 { throw SetupFailure(what: "uplink socket", errno: fd, exitCode: 1) }
            uplinkSink = UplinkSocketSink(fd: fd, datagramBytes: datagramBytes, arena: &arena)
            uplinkSettings = settings
        }
        #if !OUTPOST_PROFILE_LOW
        if let mqttSettings {
            mqttRegion = DaemonStore.carveAligned(uplinkBytes, from: &arena)
            mqttLink = MQTTTCPLink(address: flags.upstreamAddress)
            mqttClientSettings = mqttSettings
            commandQueue = CommandQueue(
                arena: &arena, capacity: DaemonStore.commandCapacity, perSensorMax: DaemonStore.commandsPerSensor,
                lifetimeMs: DaemonStore.commandLifetimeMs)
        }
        #endif
    }

    /// `bytes` bytes from `arena`, starting on a 16-byte boundary (a sub-arena's base).
    static func carveAligned(_ bytes: Int, from arena: inout Arena) -> UnsafeMutableRawBufferPointer {
        let raw = UnsafeMutableRawBufferPointer(arena.carve(bytes + 16, of: UInt8(0)))
        let skip = (16 - Int(bitPattern: raw.baseAddress!) & 15) & 15
        return UnsafeMutableRawBufferPointer(rebasing: raw[skip..<(skip + bytes)])
    }

    /// The geometry in an existing log file's header, or nil (no file, blank, not a log: `open`
    /// reports those).
    func probeExisting() -> LogGeometry? {
        let fd = chal_storage_open_read_only(UnsafePointer(path.baseAddress!.assumingMemoryBound(to: UInt8.self)))
        if fd < 0 { return nil }
        let size = chal_storage_size(fd)
        var device = FileLogDevice(fd: fd, sizeBytes: max(0, size))
        var result: LogGeometry? = nil
        if let probe = try? LogStore<FileLogDevice>.probe(&device), case .valid(let header) = probe { result = header.geometry }
        device.close()
        return result
    }

    /// Opens (creating and formatting when new) and recovers the log, reporting what recovery
    /// found; then starts the uplink at the persisted cursor. Out of space: reported once, retried
    /// later (`reopenAtMs`). Any other failure is thrown (the daemon exits).
    /// - Complexity: O(file size) (recovery reads every live segment once).
    mutating func open(nowMs: Int64, err: inout Console) throws(SetupFailure) {
        precondition(enabled && source == nil, "open once, while enabled")
        reopenAtMs = nowMs + DaemonStore.reopenIntervalMs
        let cPath = UnsafePointer(path.baseAddress!.assumingMemoryBound(to: UInt8.self))
        var region = Arena(base: storeRegion.baseAddress!, sizeBytes: storeRegion.count)
        let pageBytes = min(DaemonStore.pageBytesMax, geometry.segmentPayloadBytes & ~511)
        let device: FileLogDevice
        switch FileLogDevice.open(path: cPath, sizeBytes: geometry.fileSizeBytes) {
        case .success(let opened): device = opened
        case .failure(let error):
            if error == .noSpace {
                if lastOpenError != error.negativeErrno {
                    lastOpenError = error.negativeErrno
                    writePathLine(&err, "cannot be created: no space (file-size limit or full disk); ", level: .warning)
                    err.writer.text("refusing readings with 5.03, retrying every second\n")
                    err.flush()
                }
                return
            }
            throw SetupFailure(what: "cannot open the log file", errno: error.negativeErrno, exitCode: 1)
        }
        // The log id a new file gets: the core has no random source, so it is drawn here.
        let logID: UInt64
        do { logID = try DaemonStore.newLogID() } catch {
            device.close()
            throw error
        }
        let store: LogStore<FileLogDevice>
        do {
            // `none` never syncs, not even at a segment roll or when formatting (LogSyncMode).
            store = try LogStore(
                device: device, arena: &region, geometry: geometry, pageBytes: pageBytes, policy: policy, formatIfBlank: true,
                syncMode: durability == .none ? .never : .ordered, alertKeys: DaemonStore.alertKeys,
                formatLogID: logID)
        } catch {
            device.close()
            switch error {
            case .io(let io):
                if io == .noSpace { return }
                throw SetupFailure(what: "cannot read the log file", errno: io.negativeErrno, exitCode: 1)
            case .notALog: throw SetupFailure(what: "the log file is not an Outpost log (move it away)", errno: 0, exitCode: 1)
            case .unsupportedVersion: throw SetupFailure(what: "the log file has an unknown format version", errno: 0, exitCode: 1)
            case .corruptHeader:
                throw SetupFailure(what: "the log file's header is damaged in every copy (offsets 0 and 2048; not repaired: move the file away)", errno: 0, exitCode: 1)
            case .geometryMismatch: throw SetupFailure(what: "the log file's geometry changed while starting", errno: 0, exitCode: 1)
            case .deviceTooSmall: throw SetupFailure(what: "the log file is smaller than its geometry", errno: 0, exitCode: 1)
            case .blank: throw SetupFailure(what: "the log file is blank", errno: 0, exitCode: 1)
            }
        }
        lastOpenError = 0
        // Only durable records leave (sync and batch): a power cut must not take back a record the
        // upstream has, nor let its sequence be reused. `none` never syncs, so nothing would ever
        // be durable: there the uplink forwards what was written (docs/UPLINK_FORMAT.md §5).
        source = UplinkLogSource(store: store, durableOnly: durability != .none)
        lastSyncMs = nowMs
        reportRecovery(store, &err)
        if let settings = uplinkSettings {
            var uplinkArena = Arena(base: uplinkRegion.baseAddress!, sizeBytes: uplinkRegion.count)
            uplink = Uplink(arena: &uplinkArena, settings: settings, cursor: store.cursor, nowMs: nowMs)
        }
        #if !OUTPOST_PROFILE_LOW
        if let settings = mqttClientSettings {
            var mqttArena = Arena(base: mqttRegion.baseAddress!, sizeBytes: mqttRegion.count)
            mqtt = MQTTClient(arena: &mqttArena, settings: settings, cursor: store.cursor, nowMs: nowMs)
        }
        #endif
    }

    /// A random, non-zero 64-bit log id from the kernel (CHAL), for a file formatted now
    /// (docs/LOG_FORMAT.md §2.1). Drawn at every open although only a blank file uses it: eight
    /// bytes of getrandom cost nothing next to recovery. Failure stops the start: an id that is
    /// not random would defeat its purpose (telling a replaced log from the old one).
    static func newLogID() throws(SetupFailure) -> UInt64 {
        var id: UInt64 = 0
        // Bounded: a zero draw (probability 2^-64 each) is retried a few times.
        for _ in 0..<4 {
            let result = withUnsafeMutableBytes(of: &id) { raw in
                chal_random_bytes(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), 8)
            }
            if result < 0 { throw SetupFailure(what: "cannot draw a random log id", errno: Int32(truncatingIfNeeded: result), exitCode: 1) }
            if id != 0 { return id }
        }
        throw SetupFailure(what: "cannot draw a random log id (the random source returned zeros)", errno: 0, exitCode: 1)
    }

    /// Retries an unavailable log when its time came.
    mutating func reopenIfDue(nowMs: Int64, err: inout Console) throws(SetupFailure) {
        if !enabled || source != nil || nowMs < reopenAtMs { return }
        try open(nowMs: nowMs, err: &err)
        if source != nil {
            writePathLine(&err, "open again: readings accepted\n")
            err.flush()
        }
    }

    /// One line: what recovery found.
    func reportRecovery(_ store: LogStore<FileLogDevice>, _ err: inout Console) {
        let r = store.recovery
        writePathLine(&err, "recovered ", level: r.corruptSegments > 0 || r.damageCount > 0 || r.damagedHeaders > 0 || r.cursorDamaged ? .warning : .notice)
        err.writer.integer(r.records.wide)
        err.writer.text(" records (sequences ")
        err.writer.unsigned(r.firstSequence)
        err.writer.text("-")
        err.writer.unsigned(r.lastSequence)
        err.writer.text("), ")
        err.writer.integer(r.liveSegments.wide)
        err.writer.text(" live segments, torn tail ")
        err.writer.integer(r.tailBytes.wide)
        err.writer.text(" bytes, corrupt segments ")
        err.writer.integer(r.corruptSegments.wide)
        err.writer.text(" (")
        err.writer.unsigned(r.skippedRecords)
        err.writer.text(" records skipped), damaged headers ")
        err.writer.integer(r.damagedHeaders.wide)
        err.writer.text(r.cursorDamaged ? ", cursor damaged" : "")
        err.writer.text(", forward cursor ")
        err.writer.unsigned(store.cursor)
        err.writer.text("; ")
        writeGeometry(store.geometry, &err.writer)
        err.writer.text(", durability ")
        err.writer.text(durability.name)
        err.writer.text(", when full ")
        err.writer.text(policy == .dropOldest ? "drop-oldest" : "reject-new")
        err.writer.text(", log id ")
        err.writer.unsigned(store.logID)
        err.writer.byte(0x0A)
        // Damage is named where it is (docs/LOG_FORMAT.md §6): a line per listed stretch.
        for i in 0..<min(r.damageCount, LogRecoveryReport.damageListCapacity) {
            let damage = r.damage[i]
            writePathLine(&err, "damaged stretch in segment ", level: .warning)
            err.writer.integer(damage.segment.wide)
            err.writer.text(" at offset ")
            err.writer.integer(damage.offset)
            err.writer.text(": ")
            err.writer.unsigned(damage.lostRecords)
            err.writer.text(" records lost from sequence ")
            err.writer.unsigned(damage.firstLostSequence)
            err.writer.text(", the records after it are kept\n")
        }
        if r.damagedHeaderCopyOffset >= 0 {
            writePathLine(&err, r.headerCopyRepaired ? "file header copy at offset " : "damaged file header copy at offset ")
            err.writer.integer(r.damagedHeaderCopyOffset)
            err.writer.text(r.headerCopyRepaired ? " was damaged: rewritten from the other copy\n" : "\n")
        }
        err.flush()
    }

    /// `outpost: log PATH ` followed by `text`, a line of `level` (its priority prefix under the journal).
    func writePathLine(_ err: inout Console, _ text: StaticString, level: LogLevel = .notice) {
        err.always(level, reserving: 1024)
        err.writer.text("outpost: log ")
        err.writer.raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(path)[0..<min(pathLength, 400)]))
        err.writer.text(" ")
        err.writer.text(text)
    }

    /// `N segments of S bytes (F bytes)`.
    func writeGeometry(_ g: LogGeometry, _ writer: inout TextWriter) {
        writer.integer(g.segmentCount.wide)
        writer.text(" segments of ")
        writer.integer(g.segmentSizeBytes.wide)
        writer.text(" bytes (")
        writer.integer(g.fileSizeBytes)
        writer.text(" bytes)")
    }
}
