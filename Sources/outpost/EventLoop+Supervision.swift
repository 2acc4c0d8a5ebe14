import CHAL
import OutpostCore

// Between two ticks: the configuration reload that SIGHUP asked for, and one line per state
// change (uplink, log, refusals, sensor table), each kind rate-limited (DaemonSupervision).

extension EventLoop {
    /// Runs after every tick: a pending reload, then the state changes since the last call.
    /// - Complexity: O(keys) for a reload plus the file's bytes; O(event kinds) otherwise.
    mutating func supervise(log: inout Console) {
        let nowMs = chal_wall_ms()
        if supervision.reloadRequested {
            supervision.reloadRequested = false
            notifier.reloading(nowNs: chal_monotonic_ns())
            // The key file is read again on every SIGHUP, with or without --config.
            if P.dtlsSessionCount > 0 && dtls.enabled { reloadKeys(log: &log) }
            reloadConfiguration(nowMs: nowMs, log: &log)
            // After the configuration, so a changed `model` path is the one read.
            if P.modelCapacity.allowsModel && model.enabled { reloadModel(nowMs: nowMs, log: &log) }
            notifyReady()
        }
        reportStates(nowMs: nowMs, log: &log)
        for slot in 0..<DaemonEvent.count {
            let suppressed = supervision.limiter.roll(slot, nowMs: nowMs)
            if suppressed > 0 && log.begin(.notice) {
                log.writer.text("outpost: suppressed ")
                log.writer.unsigned(suppressed)
                log.writer.text(" '")
                log.writer.text(DaemonEvent(rawValue: slot)!.label)
                log.writer.text("' lines in the last minute\n")
                log.flush()
            }
        }
    }

    /// True when a line of `event` may be written now (else it is counted as suppressed).
    mutating func admitLine(_ event: DaemonEvent, nowMs: Int64) -> Bool {
        supervision.limiter.admit(event.rawValue, nowMs: nowMs)
    }

    /// Reads the configuration file again (flags still override it) and applies what can change
    /// live; reports what changed and what needs a restart. A file that cannot be read or is
    /// refused leaves everything as it was (its FILE:LINE message is written by `DaemonConfig`).
    mutating func reloadConfiguration(nowMs: Int64, log: inout Console) {
        let write = admitLine(.reload, nowMs: nowMs)
        guard var config = supervision.config, config.hasFile else {
            if write && log.begin(.notice) {
                log.writer.text("outpost: reload: SIGHUP without --config: nothing to read again\n")
                log.flush()
            }
            return
        }
        guard let next = config.reload(err: &log) else {
            supervision.reloadsRefused &+= 1
            return
        }
        supervision.config = config
        supervision.reloads &+= 1
        var applied = 0
        var restart = 0
        for raw in 0..<ConfigKey.count {
            let key = ConfigKey(rawValue: UInt8(truncatingIfNeeded: raw))!
            if !supervision.running.differs(key, from: next) { continue }
            if key.live {
                applied += 1
                applyLive(key, next, nowMs: nowMs, log: &log, write: write)
            } else {
                restart += 1
                if write && log.begin(.warning) {
                    writeKey("outpost: reload: ", key, &log)
                    log.writer.text(" changed: needs a restart (the running value stays)\n")
                }
            }
        }
        // /health shows the new settings from the next request on, not after the next tick.
        refreshStatus(nowMs: nowMs, force: true)
        if write && log.begin(.notice) {
            log.writer.text("outpost: reload: ")
            log.writer.raw(UnsafeRawBufferPointer(rebasing: config.path.prefix(200)))
            log.writer.text(" read: ")
            log.writer.integer(applied.wide)
            log.writer.text(" applied, ")
            log.writer.integer(restart.wide)
            log.writer.text(" need a restart\n")
        }
        log.flush()
    }

    /// Applies the changed live key `key` from `next` and says so (old -> new).
    mutating func applyLive(_ key: ConfigKey, _ next: DaemonFlags, nowMs: Int64, log: inout Console, write: Bool) {
        let before = supervision.running
        switch key {
        case .logLevel:
            supervision.running.logLevel = next.logLevel
            log.level = next.logLevel
        case .forward, .uplinkRate:
            supervision.running.forward = next.forward
            supervision.running.uplinkRatePerS = next.uplinkRatePerS
            store.retuneUplink(mode: next.forward, ratePerS: next.uplinkRatePerS, nowMs: nowMs)
            if DaemonMQTT.available { gateway.attachment.mqtt.retune(mode: next.forward, ratePerS: next.uplinkRatePerS, nowMs: nowMs) }
        case .model:
            // The file itself is read again by every SIGHUP (`reloadModel`); here only its path.
            if !P.modelCapacity.allowsModel || !model.setPath(next.modelFile) {
                if write && log.begin(.warning) {
                    writeKey("outpost: reload: ", key, &log)
                    log.writer.text(" changed: needs a restart (no model file at start-up, so no slots to read one into; the running model stays)\n")
                }
                return
            }
            supervision.running.modelFile = model.pathBytes
        case .sensorOfflineAfter, .sensorEvictAfter, .threshold:
            supervision.running.sensorOfflineAfterS = next.sensorOfflineAfterS
            supervision.running.sensorEvictAfterS = next.sensorEvictAfterS
            supervision.running.thresholds = next.thresholds
            supervision.running.thresholdCount = next.thresholdCount
            applySensorOptions(next)
        default:
            // Another live key (alert thresholds, say) gets its branch here; `ConfigKey.live`
            // lists the keys that reach it.
            preconditionFailure("a key marked live has no branch in applyLive")
        }
        // A lowered level may hide this line itself: it is written at the level in force now.
        if !write || !log.begin(.notice) { return }
        writeKey("outpost: reload: ", key, &log)
        log.writer.byte(0x20)
        switch key {
        case .logLevel:
            log.writer.text(before.logLevel.name)
            log.writer.text(" -> ")
            log.writer.text(next.logLevel.name)
        case .forward:
            log.writer.text(before.forward.name)
            log.writer.text(" -> ")
            log.writer.text(next.forward.name)
        case .model:
            log.writer.text("path changed (read below)\n")
            return
        case .sensorOfflineAfter, .sensorEvictAfter:
            log.writer.integer(key == .sensorEvictAfter ? before.sensorEvictAfterS : before.sensorOfflineAfterS)
            log.writer.text(" -> ")
            log.writer.integer(key == .sensorEvictAfter ? next.sensorEvictAfterS : next.sensorOfflineAfterS)
            log.writer.text(" s (applied)\n")
            return
        case .threshold:
            log.writer.integer(before.thresholdCount.wide)
            log.writer.text(" -> ")
            log.writer.integer(next.thresholdCount.wide)
            log.writer.text(" rules (applied)\n")
            return
        default:
            log.writer.integer(before.uplinkRatePerS.wide)
            log.writer.text(" -> ")
            log.writer.integer(next.uplinkRatePerS.wide)
            log.writer.text(" records/s")
        }
        log.writer.text(supervision.running.hasUpstream || key == .logLevel ? " (applied)\n" : " (no upstream: kept for when one is set)\n")
    }

    /// `PREFIX[section] key`.
    func writeKey(_ prefix: StaticString, _ key: ConfigKey, _ log: inout Console) {
        log.writer.text(prefix)
        log.writer.byte(0x5B)
        log.writer.text(ConfigKey.sectionName(key.section))
        log.writer.text("] ")
        log.writer.text(key.name)
    }

    /// The log's condition now.
    var logCondition: DaemonSupervision.LogCondition {
        if !store.enabled { return .none }
        guard let log = store.store else { return store.failure != 0 ? .failed : .unavailable }
        switch log.state {
        case .ready: return .ready
        case .full: return .full
        case .noSpace: return .noSpace
        case .failed: return .failed
        case .readOnly: return .readOnly
        }
    }

    /// One line per state change since the last call (the first call only records the states).
    mutating func reportStates(nowMs: Int64, log: inout Console) {
        let uplinkUp = store.uplinkSettings == nil || store.uplink?.state == .up
        let condition = logCondition
        let refusing = store.enabled && store.refusing
        // Packs the server refused before the pipeline (CoAP, serial lines) and readings the
        // pipeline itself refused (replayed lines): both mean the table is full.
        let tableRefused = server.counters.busySensorTable &+ server.pipeline.counters.refusedSensorTableFull
        let dropped = store.store?.counters.droppedReadings ?? supervision.droppedReadings
        defer {
            supervision.uplinkUp = uplinkUp
            supervision.logCondition = condition
            supervision.refusing = refusing
            supervision.sensorTableRefused = tableRefused
            supervision.droppedReadings = dropped
            supervision.primed = true
        }
        if !supervision.primed { return }
        if uplinkUp != supervision.uplinkUp || condition != supervision.logCondition || refusing != supervision.refusing {
            notifyStatus()
        }
        if uplinkUp != supervision.uplinkUp && admitLine(.uplink, nowMs: nowMs) && log.begin(uplinkUp ? .notice : .warning) {
            log.writer.text(uplinkUp ? "outpost: uplink up" : "outpost: uplink down: the upstream did not answer; retrying with backoff")
            log.writer.text(" (backlog ")
            log.writer.unsigned(server.storeStatus.uplink.backlogRecords)
            log.writer.text(" records)\n")
            log.flush()
        }
        if condition != supervision.logCondition && admitLine(.log, nowMs: nowMs) {
            writeLogCondition(condition, &log)
        }
        if refusing != supervision.refusing && admitLine(.refusing, nowMs: nowMs) && log.begin(refusing ? .warning : .notice) {
            log.writer.text(
                refusing
                    ? "outpost: refusing readings (5.03 with Max-Age): the log cannot take another pack\n"
                    : "outpost: accepting readings again\n")
            log.flush()
        }
        if tableRefused > supervision.sensorTableRefused && admitLine(.sensorTable, nowMs: nowMs) && log.begin(.warning) {
            log.writer.text("outpost: sensor table full (")
            log.writer.integer(server.pipeline.sensors.count.wide)
            log.writer.text(" sensors, the profile's most): readings of new sensors refused (")
            log.writer.unsigned(tableRefused)
            log.writer.text(" so far)\n")
            log.flush()
        }
        if dropped > supervision.droppedReadings && admitLine(.dropped, nowMs: nowMs) && log.begin(.warning) {
            log.writer.text("outpost: log full: drop-oldest erased unforwarded readings (")
            log.writer.unsigned(dropped)
            log.writer.text(" dropped so far)\n")
            log.flush()
        }
    }

    /// The line for the log entering `condition`.
    func writeLogCondition(_ condition: DaemonSupervision.LogCondition, _ log: inout Console) {
        switch condition {
        case .ready:
            if !log.begin(.notice) { return }
            log.writer.text("outpost: log ready: appends and commits work again\n")
        case .full:
            if !log.begin(.warning) { return }
            log.writer.text("outpost: log full (when-full reject-new): new readings refused until the uplink frees a segment\n")
        case .noSpace:
            if !log.begin(.warning) { return }
            log.writer.text("outpost: log out of space on its device: new readings refused until a write succeeds\n")
        case .unavailable:
            if !log.begin(.warning) { return }
            log.writer.text("outpost: log unavailable: readings refused, the file is retried every second\n")
        case .failed, .readOnly, .none:
            // A failed log stops the daemon with its own error line; the others do not occur
            // while it runs.
            return
        }
        log.flush()
    }
}
