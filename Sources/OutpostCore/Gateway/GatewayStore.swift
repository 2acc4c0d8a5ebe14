/// The gateway's log and store-and-forward uplink: the policy of "an ACK means the reading is
/// kept", independent of where the log lives (`Device`) and how the uplink reaches its upstream
/// (`Link`).
///
/// It is the server's outbox consumer: every processed reading and alert is appended to the log
/// (with its sensor name). Once per tick `endOfTick` commits per `durability` before the tick's
/// responses are released, so with `sync` an ACK leaves only after the commit covering it.
/// Before each request `admission` tells the server how much the log can take (`LogRoom`); a
/// pack that would not fit is answered 5.03 with Max-Age before anything is acknowledged.
///
/// Opening the log (paths, files, recovery reports) is the host's business: it hands the opened
/// store over with `attach(_:nowMs:)`. Without a log (`enabled` false) every call is a no-op and
/// readings are never refused.
public struct GatewayStore<Device: LogDevice, Link: DatagramSink>: OutboxConsumer {
    /// Max-Age of a 5.03 while a reject-new log is full: the uplink must forward a segment first.
    public static var fullRetryS: UInt32 { 5 }
    /// Max-Age of a 5.03 while the device is out of space or the log is not open.
    public static var noSpaceRetryS: UInt32 { 1 }
    /// How often `batch` durability syncs.
    public static var batchSyncIntervalMs: Int64 { 100 }
    /// Outbox events one reading may need (the reading and the alerts it may raise).
    public static var recordsPerReading: Int { 1 + AlertEngine.maxEventsPerReading }

    /// False without a log: then every call is a no-op and readings are never refused.
    public var enabled = false
    public var durability = Durability.sync
    public var policy = LogFullPolicy.dropOldest
    /// The open log inside the uplink's source adapter (nil while unavailable).
    public var source: UplinkLogSource<Device>? = nil
    public var uplink: Uplink? = nil
    /// The uplink's way to the upstream (its socket in the daemon, a recorder in tests).
    public var link: Link
    public var uplinkSettings: UplinkSettings? = nil
    /// Carved once by the host; the uplink is built in it each time the log is attached.
    public var uplinkRegion = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// Records one pack may need (readings and the alerts they may raise): the most the admission
    /// check ever asks for.
    public var reserveRecords = 0
    /// When `batch` last synced.
    public var lastSyncMs: Int64 = 0
    /// The first fail-stop error (negative errno) and what failed; 0 while healthy.
    public internal(set) var failure: Int32 = 0
    public internal(set) var failedWhat: StaticString = "write"
    /// Outbox events the log did not keep (full or out of space), and ticks whose responses were
    /// withheld because their commit did not complete.
    public internal(set) var notLogged: UInt64 = 0
    public internal(set) var withheldTicks: UInt64 = 0
    /// Appends refused for lack of space (at a segment roll, which the admission check cannot
    /// foresee): the gateway compares it around each drain to find the request concerned.
    public internal(set) var refusedAppends: UInt64 = 0
    /// An append of this tick was refused: the tick must not acknowledge, whatever its commit does.
    var refusedThisTick = false

    public init(link: Link) { self.link = link }

    /// The open log, if any.
    public var store: LogStore<Device>? { source?.store }

    /// Takes the opened (and recovered) log: only durable records leave with `sync` and `batch` (a
    /// power cut must not take back a record the upstream has, nor let its sequence be reused);
    /// `none` never syncs, so there the uplink forwards what was written (docs/UPLINK_FORMAT.md
    /// §5). Starts the uplink at the persisted cursor when there is an upstream.
    public mutating func attach(_ store: LogStore<Device>, nowMs: Int64) {
        precondition(enabled && source == nil, "attach once, while enabled")
        source = UplinkLogSource(store: store, durableOnly: durability != .none)
        lastSyncMs = nowMs
        if let settings = uplinkSettings {
            var uplinkArena = Arena(base: uplinkRegion.baseAddress!, sizeBytes: uplinkRegion.count)
            uplink = Uplink(arena: &uplinkArena, settings: settings, cursor: store.cursor, nowMs: nowMs)
        }
    }

    /// Appends one outbox event. A refusal (full, no space) is counted; a device failure is kept
    /// in `failure` for the loop to stop on.
    public mutating func consume(_ event: OutboxEvent, sensor: SensorName) {
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
            if error == .noSpace {
                refusedThisTick = true
                refusedAppends &+= 1
            }
            if case .failed(let code) = error { fail(code, "write") }
        }
    }

    /// Appends the marker of a sensor eviction (docs/LOG_FORMAT.md §4.4, code 5), counted in
    /// `notLogged` when the log cannot take it.
    public mutating func consumeEviction(_ notice: SensorEvictionNotice) {
        if source == nil {
            if enabled { notLogged &+= 1 }
            return
        }
        do {
            let marker = LogMarkerPayload(code: LogMarkerPayload.sensorEvicted, value: notice.reason, sensor: notice.sensor)
            try source!.store.append(marker: marker, timestampMs: notice.timestampMs)
        } catch {
            // The marker acknowledges nothing: a log without room loses it (counted), and the
            // tick's answers still go out.
            notLogged &+= 1
            if case .failed(let code) = error { fail(code, "write") }
        }
    }

    /// Appends one value of a quantity not detected on; refusals and failures as `consume`.
    /// - Complexity: as `LogStore.append(quantity:)`.
    public mutating func consume(quantity value: QuantityValue) {
        if source == nil {
            if enabled { notLogged &+= 1 }
            return
        }
        do {
            try source!.store.append(quantity: value)
        } catch {
            notLogged &+= 1
            if error == .noSpace {
                refusedThisTick = true
                refusedAppends &+= 1
            }
            if case .failed(let code) = error { fail(code, "write") }
        }
    }

    /// Records the first fail-stop error (`code` negative errno) and what failed.
    public mutating func fail(_ code: Int32, _ what: StaticString) {
        if failure != 0 { return }
        failure = code < 0 ? code : ErrnoCode.io
        failedWhat = what
    }

    /// How many more records the log can take now (at most `reserveRecords`; no limit without a
    /// log) and the Max-Age of a refusal: the argument of the server's admission check.
    /// - Complexity: O(1) usually (see `LogStore.appendableBytes`).
    public func admission() -> LogRoom {
        if !enabled { return .unlimited }
        guard let source else { return LogRoom(records: 0, retryS: GatewayStore.noSpaceRetryS) }
        let bytes = source.store.appendableBytes(upTo: reserveRecords * LogFormat.maxRecordBytes)
        var retry = GatewayStore.noSpaceRetryS
        if policy == .rejectNew && (source.store.state == .ready || source.store.state == .full) { retry = GatewayStore.fullRetryS }
        return LogRoom(records: bytes / LogFormat.maxRecordBytes, retryS: retry)
    }

    /// True with drop-oldest while less than half the log is free of unforwarded records: readings
    /// of sources over their share are then refused, so they never push out others' records.
    /// - Complexity: O(segments walked ahead of the head); the gateway asks once per tick.
    public var dropPressure: Bool {
        guard enabled, policy == .dropOldest, let source else { return false }
        let half = source.store.geometry.segmentCount / 2 * source.store.geometry.segmentPayloadBytes
        return source.store.bytesWithoutDropping(upTo: half) < half
    }

    /// True while a pack of one reading would be refused.
    public var refusing: Bool {
        guard let room = admission().records else { return false }
        return room < GatewayStore.recordsPerReading
    }

    /// Makes the tick's appends as durable as `durability` says. Returns false when the tick's
    /// responses must not be released (the commit did not complete: out of space, or a failure;
    /// or an append of the tick was refused).
    /// - Complexity: one write and, with sync (or batch's timer), one sync.
    public mutating func endOfTick(nowMs: Int64) -> Bool {
        if !enabled || source == nil { return true }
        if failure != 0 { return false }
        let refused = refusedThisTick
        refusedThisTick = false
        do {
            switch durability {
            case .sync:
                try source!.store.commit()
            case .batch:
                if nowMs - lastSyncMs >= GatewayStore.batchSyncIntervalMs {
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
            case .readOnly: fail(ErrnoCode.readOnly, "write")
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

    /// Runs the uplink once: persists a moved cursor (with the next commit) and lets it send.
    public mutating func tickUplink(nowMs: Int64) {
        if uplink == nil || source == nil { return }
        if let cursor = uplink!.takeCursorUpdate() { source!.store.setCursor(cursor) }
        uplink!.tick(nowMs: nowMs, source: &source!, sink: &link)
        afterUplink(nowMs: nowMs)
    }

    /// Hands one datagram from the upstream to the uplink.
    public mutating func receiveUplink(_ bytes: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64) {
        if uplink == nil || source == nil { return }
        uplink!.receive(bytes, from: peer, nowMs: nowMs, source: &source!, sink: &link)
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

    /// Forward `mode` at `ratePerS` from now on, for the running uplink and for any later start of
    /// it (after the log was unavailable). Nothing without an upstream.
    public mutating func retuneUplink(mode: UplinkForwardMode, ratePerS: UInt32, nowMs: Int64) {
        guard var settings = uplinkSettings else { return }
        settings.mode = mode
        settings.rateRecordsPerS = ratePerS
        uplinkSettings = settings
        uplink?.retune(mode: mode, rateRecordsPerS: ratePerS, nowMs: nowMs)
    }

    /// When the gateway must tick for the store: the uplink's deadline, batch's sync timer (nil:
    /// none; the host adds its own, such as a retry of an unavailable log).
    public func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        if !enabled || source == nil { return nil }
        var deadline: Int64? = uplink?.wakeDeadlineMs(nowMs: nowMs)
        if durability == .batch, let store, store.lastWrittenSequence > store.durableSequence {
            let sync = lastSyncMs + GatewayStore.batchSyncIntervalMs
            deadline = min(deadline ?? sync, sync)
        }
        return deadline
    }

    /// The `/health` snapshot.
    public func status(nowMs: Int64) -> ServerStoreStatus {
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
        } else if uplinkSettings != nil {
            s.uplinkEnabled = true
            s.uplink.state = .down
        }
        return s
    }

    /// Commits what is pending at a clean stop (not with `none`, which never syncs). The host
    /// closes the device afterwards.
    public mutating func closeLog() {
        if source != nil && failure == 0 {
            if durability == .none { _ = try? source!.store.write() } else { _ = try? source!.store.commit() }
        }
    }

    /// Reads every record of the open log (oldest to newest, twice: the alerts a full log copied
    /// forward first, then the rest, see `Server.RestorePass`) into `server`'s sensor table, last
    /// readings, alert engine and recent alerts. Writes nothing to the log and raises nothing.
    /// Returns false when a read failed (what was restored until then stays).
    /// - Complexity: O(log size): two passes over the live records (recovery read them once already).
    public mutating func restore<P: Profile>(into server: inout Server<P>, nowMs: Int64) -> Bool {
        if source == nil { return true }
        let through = source!.store.lastWrittenSequence
        // Bounded: no log holds more records than its bytes allow.
        let maxRecords = source!.store.geometry.segmentCount * (source!.store.geometry.segmentSizeBytes / LogFormat.minRecordBytes + 1)
        // Two passes, not a loop over an array of them: an array literal would allocate.
        if !restorePass(.copiedAlerts, into: &server, through: through, maxRecords: maxRecords, nowMs: nowMs) { return false }
        return restorePass(.originals, into: &server, through: through, maxRecords: maxRecords, nowMs: nowMs)
    }

    /// One pass over the log's records up to `through`; false when a read failed.
    mutating func restorePass<P: Profile>(
        _ pass: Server<P>.RestorePass, into server: inout Server<P>, through: UInt64, maxRecords: Int, nowMs: Int64
    ) -> Bool {
        var record = LogRecord()
        var reader = LogReader(from: source!.store.oldestSequence)
        do {
            for _ in 0..<maxRecords {
                guard try source!.store.read(&reader, into: &record, through: through) else { break }
                server.restore(record, pass: pass, nowMs: nowMs)
            }
        } catch {
            return false
        }
        return true
    }

    /// Appends the records `commands` still owes the log (docs/LOG_FORMAT.md §4.6), oldest command
    /// first, then the end events in order. A record the log refuses now (full, out of space) stays
    /// owed and is tried again on the next call; a device failure is kept in `failure`.
    /// - Complexity: O(capacity²) for the accepted records, O(events) for the rest.
    public mutating func logCommands(_ commands: inout SensorCommandQueue) {
        if source == nil { return }
        do {
            for _ in 0..<commands.capacity {
                guard let slot = commands.oldestUnlogged() else { break }
                let command = commands.command(at: slot)
                try source!.store.append(
                    command: commands.payload(at: slot), id: command.id, name: command.sensorName,
                    origin: command.origin, contentFormat: command.contentFormat, timestampMs: command.enqueuedMs)
                commands.markLogged(slot: slot)
            }
            for _ in 0..<commands.eventCapacity {
                guard let event = commands.nextUnloggedEvent else { break }
                try source!.store.append(commandEvent: event, name: event.sensorName)
                commands.markEventLogged()
            }
        } catch {
            commands.countLogRefusal()
            if case .failed(let code) = error { fail(code, "write") }
        }
    }
}
