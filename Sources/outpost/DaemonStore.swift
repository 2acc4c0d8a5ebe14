import CHAL
import OutpostCore

/// The daemon's flash-like log and store-and-forward uplink (issue 4), driven by the event loop.
///
/// It is the server's outbox consumer: every processed reading and alert is appended to the log
/// (with its sensor name). Once per tick `endOfTick` commits per `--durability` before the
/// tick's responses are sent, so with `sync` an ACK leaves only after the commit covering it.
/// Before each datagram `admission` tells the server whether the log can take one more pack; if
/// not, `POST /readings` is answered 5.03 with Max-Age before anything is acknowledged.
///
/// The log file is opened at start-up; when the device has no space for it (ENOSPC, EFBIG under a
/// file-size limit) the daemon runs on, refusing readings, and retries every `reopenIntervalMs`.
/// Memory for the store and the uplink is carved once; each open attempt re-uses those regions.
struct DaemonStore: OutboxConsumer {
    /// How often an unavailable log is retried, and the Max-Age of the 5.03 meanwhile.
    static var reopenIntervalMs: Int64 { 1_000 }
    /// Max-Age of a 5.03 while a reject-new log is full: the uplink must forward a segment first.
    static var fullRetryS: UInt32 { 5 }
    /// Max-Age of a 5.03 while the device is out of space or the log is not open.
    static var noSpaceRetryS: UInt32 { 1 }
    /// How often `batch` durability syncs.
    static var batchSyncIntervalMs: Int64 { 100 }
    /// Size of the group-commit page buffer at most (smaller for small segments).
    static var pageBytesMax: Int { 16_384 }

    /// False without `--data-dir`: then every call is a no-op and readings are never refused.
    var enabled = false
    var durability = Durability.sync
    var policy = LogFullPolicy.dropOldest
    var geometry = LogGeometry.test
    /// The open log inside the uplink's source adapter (nil while unavailable).
    var source: UplinkLogSource<FileLogDevice>? = nil
    var uplink: Uplink? = nil
    var uplinkSink = UplinkSocketSink()
    var uplinkSettings: UplinkSettings? = nil
    /// The MQTT upstream (`--upstream mqtt://`), its link and settings, and where its commands go.
    /// Not in the low profile: the client would take its firmware past the size budget.
    #if !OUTPOST_PROFILE_LOW
    var mqtt: MQTTClient? = nil
    var mqttClientSettings: MQTTSettings? = nil
    /// Commands for devices (`CommandQueue.enqueue`), fed by the MQTT client; carved with the
    /// MQTT upstream. Delivery to devices is not built yet: commands wait and expire.
    var commandQueue: CommandQueue? = nil
    #endif
    var mqttLink = MQTTTCPLink()
    var mqttRegion = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var mqttReportedUp = false
    /// `DIR/outpost.log`, NUL-terminated, in a carved buffer.
    var path = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var pathLength = 0
    /// Carved regions re-used by every open attempt.
    var storeRegion = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var uplinkRegion = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// Records one pack may need (readings and the alerts they may raise): the most the admission
    /// check ever asks for.
    var reserveRecords = 0
    /// When the log is next retried (while unavailable) and when `batch` last synced.
    var reopenAtMs: Int64 = 0
    var lastSyncMs: Int64 = 0
    /// The first fail-stop error (negative errno) and what failed; 0 while healthy.
    var failure: Int32 = 0
    var failedWhat: StaticString = "write"
    /// Outbox events the log did not keep (full or out of space), and ticks whose responses were
    /// withheld because their commit did not complete.
    var notLogged: UInt64 = 0
    var withheldTicks: UInt64 = 0
    /// An append of this tick was refused (out of space at a segment roll, which the admission
    /// check cannot foresee): the tick must not acknowledge, whatever its commit does.
    var refusedThisTick = false
    /// The open log's "no space" was reported (`reportSpace`).
    var reportedNoSpace = false
    /// Errno of the last failed open (0 after success), so the retries are reported once.
    var lastOpenError: Int32 = 0

    init() {}

    var store: LogStore<FileLogDevice>? { source?.store }

    /// Appends one outbox event. A refusal (full, no space) is counted; a device failure is kept
    /// in `failure` for the loop to stop on.
    mutating func consume(_ event: OutboxEvent, sensor: SensorName) {
        if source == nil {
            if enabled { notLogged &+= 1 }
            return
        }
        do {
            switch event {
            case .reading(let reading): try source!.store.append(reading: reading, name: sensor)
            case .alert(let alert): try source!.store.append(alert: alert, name: sensor)
            }
        } catch {
            notLogged &+= 1
            if error == .noSpace { refusedThisTick = true }
            if case .failed(let code) = error { fail(code, "write") }
        }
    }

    mutating func fail(_ code: Int32, _ what: StaticString) {
        if failure != 0 { return }
        failure = code < 0 ? code : CHAL_EIO
        failedWhat = what
    }

    /// How many more records the log can take now (at most `reserveRecords`; nil without a log)
    /// and the Max-Age of a refusal, for the server's admission check.
    /// - Complexity: O(1) usually (see `LogStore.appendableBytes`).
    func admission() -> (roomRecords: Int?, retryS: UInt32) {
        if !enabled { return (nil, DaemonStore.noSpaceRetryS) }
        guard let source else { return (0, DaemonStore.noSpaceRetryS) }
        let bytes = source.store.appendableBytes(upTo: reserveRecords * LogFormat.maxRecordBytes)
        var retry = DaemonStore.noSpaceRetryS
        if policy == .rejectNew && (source.store.state == .ready || source.store.state == .full) { retry = DaemonStore.fullRetryS }
        return (bytes / LogFormat.maxRecordBytes, retry)
    }

    /// True while a pack of one reading would be refused.
    var refusing: Bool {
        guard let room = admission().roomRecords else { return false }
        return room < Pipeline<ActiveProfile>.outboxRoomPerReading
    }

    /// Makes the tick's appends as durable as `--durability` says. Returns false when the tick's
    /// responses must not be sent (the commit did not complete: out of space, or a failure).
    /// - Complexity: one write and, with sync (or batch's timer), one fdatasync.
    mutating func endOfTick(nowMs: Int64) -> Bool {
        if !enabled || source == nil { return true }
        if failure != 0 { return false }
        let refused = refusedThisTick
        refusedThisTick = false
        do {
            switch durability {
            case .sync:
                try source!.store.commit()
            case .batch:
                if nowMs - lastSyncMs >= DaemonStore.batchSyncIntervalMs {
                    try source!.store.commit()
                    lastSyncMs = nowMs
                } else {
                    try source!.store.write()
                }
            case .none:
                try source!.store.write()
            }
        } catch {
            switch error {
            case .failed(let code): fail(code, durability == .none ? "write" : "write or fdatasync")
            case .readOnly: fail(CHAL_EROFS, "write")
            case .full, .noSpace: break
            }
            withheldTicks &+= 1
            return false
        }
        if refused {
            withheldTicks &+= 1
            return false
        }
        return true
    }

    /// Reports on stderr when the open log runs out of space while running (a file-size limit
    /// below the log's size, a full disk under a copy-on-write file system) and when writes
    /// succeed again: once per change, not per tick.
    mutating func reportSpace(_ err: inout Console) {
        guard let store else { return }
        let out = store.state == .noSpace
        if out == reportedNoSpace { return }
        reportedNoSpace = out
        if out {
            writePathLine(&err, "out of space while running (file-size limit or full disk): ")
            err.writer.text("refusing readings with 5.03, retrying at every tick\n")
        } else {
            writePathLine(&err, "writes succeed again: readings accepted\n")
        }
        err.flush()
    }

    /// Runs the uplink once: persists a moved cursor (with the next commit) and lets it send.
    mutating func tickUplink(nowMs: Int64) {
        if hasMQTT { tickMQTT(nowMs: nowMs) }
        if uplink == nil || source == nil { return }
        if let cursor = uplink!.takeCursorUpdate() { source!.store.setCursor(cursor) }
        uplink!.tick(nowMs: nowMs, source: &source!, sink: &uplinkSink)
        afterUplink(nowMs: nowMs)
    }

    /// Hands one datagram from the upstream to the uplink.
    mutating func receiveUplink(_ bytes: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64) {
        if uplink == nil || source == nil { return }
        uplink!.receive(bytes, from: peer, nowMs: nowMs, source: &source!, sink: &uplinkSink)
        afterUplink(nowMs: nowMs)
    }

    /// Persists a moved cursor, and appends the *rejected by upstream* marker of a record the
    /// upstream refused for good (docs/LOG_FORMAT.md §4.4), through the same append path as every
    /// other record; the uplink passes the record once the marker is durable. A marker the log
    /// cannot take now (full, no space) is tried again on the next tick.
    mutating func afterUplink(nowMs: Int64) {
        if let cursor = uplink!.takeCursorUpdate() { source!.store.setCursor(cursor) }
        guard let rejected = uplink!.rejectionToRecord else { return }
        do {
            let marker = LogMarkerPayload(code: LogMarkerPayload.rejectedByUpstream, value: rejected)
            let sequence = try source!.store.append(marker: marker, timestampMs: nowMs)
            uplink!.rejectionRecorded(markerSequence: sequence)
        } catch {
            if case .failed(let code) = error { fail(code, "write") }
        }
    }

    /// When the loop must wake for the store: the uplink's deadline, batch's sync timer, a reopen.
    func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        if !enabled { return nil }
        if source == nil { return reopenAtMs }
        var deadline: Int64? = uplink?.wakeDeadlineMs(nowMs: nowMs) ?? mqttWakeDeadlineMs(nowMs: nowMs)
        if durability == .batch, let store, store.lastWrittenSequence > store.durableSequence {
            let sync = lastSyncMs + DaemonStore.batchSyncIntervalMs
            deadline = min(deadline ?? sync, sync)
        }
        return deadline
    }

    /// The `/health` snapshot.
    func status(nowMs: Int64) -> ServerStoreStatus {
        var s = ServerStoreStatus()
        if !enabled { return s }
        s.logEnabled = true
        s.durability = durability.name
        s.whenFull = policy == .dropOldest ? "drop-oldest" : "reject-new"
        s.notLogged = notLogged
        s.refusing = refusing
        s.commitFailures = withheldTicks
        if let store {
            switch store.state {
            case .ready: s.logState = "ready"
            case .full: s.logState = "full"
            case .noSpace: s.logState = "no_space"
            case .failed: s.logState = "failed"
            case .readOnly: s.logState = "read_only"
            }
            s.oldestSequence = store.oldestSequence
            s.lastSequence = store.lastWrittenSequence
            s.durableSequence = store.durableSequence
            s.freeBytes = store.freeBytes
            s.droppedReadings = store.counters.droppedReadings
        }
        if let uplink, let source {
            s.uplinkEnabled = true
            s.uplink = uplink.health(nowMs: nowMs, lastSequence: source.uplinkLastSequence)
            // `/health`'s `records_rejected` reason: records the upstream refused for good and
            // the uplink set aside behind a marker.
            s.recordsRejected = uplink.counters.recordsRejected
        } else if let health = mqttHealth(nowMs: nowMs) {
            s.uplinkEnabled = true
            s.uplink = health
        } else if uplinkSettings != nil || mqttConfigured {
            s.uplinkEnabled = true
            s.uplink.state = .down
        }
        return s
    }

    /// Commits what is pending at a clean stop (not with `none`, which never syncs) and closes.
    mutating func close() {
        if source != nil {
            if failure == 0 {
                if durability == .none { _ = try? source!.store.write() } else { _ = try? source!.store.commit() }
            }
            source!.store.device.close()
        }
        if uplinkSink.fd >= 0 { _ = chal_close(uplinkSink.fd) }
        // No DISCONNECT: the broker then publishes the retained will (`offline`), which is what a
        // stopped gateway is.
        mqttLink.close()
    }
}
