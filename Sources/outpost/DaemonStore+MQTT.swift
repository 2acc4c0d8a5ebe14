import CHAL
import OutpostCore

// The MQTT upstream (`--upstream mqtt://`): its settings from the flags, its password file, its
// tick and its log lines. The client forwards the same log, with the same cursor, as the CoAP
// uplink would (one of the two runs).

#if !OUTPOST_PROFILE_LOW
extension DaemonStore {
    /// True when the MQTT upstream is configured (its client runs once the log is open).
    var hasMQTT: Bool { mqtt != nil }
    var mqttConfigured: Bool { mqttClientSettings != nil }

    func mqttWakeDeadlineMs(nowMs: Int64) -> Int64? { mqtt?.wakeDeadlineMs(nowMs: nowMs) }

    func mqttHealth(nowMs: Int64) -> UplinkHealth? {
        guard let mqtt, let source else { return nil }
        return mqtt.health(nowMs: nowMs, lastSequence: source.uplinkLastSequence)
    }

    /// Commands kept at most, per sensor, and how long one waits for its device.
    static var commandCapacity: Int { 32 }
    static var commandsPerSensor: Int { 4 }
    static var commandLifetimeMs: Int64 { 3_600_000 }

    /// Longest password file read (MQTT allows 65 535 bytes; real passwords and tokens are far shorter).
    static var passwordBytesMax: Int { 4_096 }

    /// The client's settings per `flags`: client id (default the node id), prefix (default
    /// `outpost`), credentials (the password read from its file now, its trailing newline dropped).
    mutating func mqttSettings(flags: DaemonFlags, arena: inout Arena, nowMs: Int64) throws(SetupFailure) -> MQTTSettings {
        var clientID = flags.mqttClientID
        if clientID.count == 0 {
            let copy = UnsafeMutableRawBufferPointer(arena.carve(Int(flags.nodeId.count), of: UInt8(0)))
            for i in 0..<Int(flags.nodeId.count) { copy[i] = flags.nodeId[i] }
            clientID = UnsafeRawBufferPointer(copy)
        }
        let defaultPrefix: StaticString = "outpost"
        let prefix = flags.mqttPrefix.count > 0
            ? flags.mqttPrefix : UnsafeRawBufferPointer(start: defaultPrefix.utf8Start, count: defaultPrefix.utf8CodeUnitCount)
        var s = MQTTSettings(nodeId: flags.nodeId, clientID: clientID, prefix: prefix)
        s.keepAliveS = flags.mqttKeepAliveS
        s.format = flags.uplinkFormat
        s.mode = flags.forward
        s.rateRecordsPerS = flags.uplinkRatePerS
        s.seed = UInt64(bitPattern: nowMs) | 1
        if flags.mqttUser.count > 0 { s.userName = flags.mqttUser }
        if flags.mqttPasswordFile.count > 0 { s.password = try readPassword(flags.mqttPasswordFile, arena: &arena) }
        return s
    }

    /// The password file's bytes (one line; a trailing `\n` or `\r\n` is not part of it).
    func readPassword(_ file: UnsafeRawBufferPointer, arena: inout Arena) throws(SetupFailure) -> UnsafeRawBufferPointer {
        let pathBuffer = UnsafeMutableRawBufferPointer(arena.carve(file.count + 1, of: UInt8(0)))
        for i in 0..<file.count { pathBuffer[i] = file[i] }
        let buffer = UnsafeMutableRawBufferPointer(arena.carve(DaemonStore.passwordBytesMax + 1, of: UInt8(0)))
        let fd = chal_open(pathBuffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: CHAL_OPEN_READ))
        if fd < 0 { throw SetupFailure(what: "cannot open --mqtt-password-file ([mqtt] password_file)", errno: fd, exitCode: 2) }
        var count = 0
        // Bounded by the buffer: every pass reads at least one byte or stops.
        while count < buffer.count {
            let read = chal_read(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + count, (buffer.count - count).wide)
            if read < 0 {
                _ = chal_close(fd)
                throw SetupFailure(what: "cannot read --mqtt-password-file ([mqtt] password_file)", errno: Int32(truncatingIfNeeded: read), exitCode: 2)
            }
            if read == 0 { break }
            count += Int(truncatingIfNeeded: read)
        }
        _ = chal_close(fd)
        if count > DaemonStore.passwordBytesMax {
            throw SetupFailure(what: "--mqtt-password-file ([mqtt] password_file) is longer than 4096 bytes", errno: 0, exitCode: 2)
        }
        if count > 0 && buffer[count - 1] == 0x0A { count -= 1 }
        if count > 0 && buffer[count - 1] == 0x0D { count -= 1 }
        if count == 0 { throw SetupFailure(what: "--mqtt-password-file ([mqtt] password_file) is empty", errno: 0, exitCode: 2) }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
    }

    /// Runs the MQTT client once (timers, the link's bytes, publishes) and persists a moved cursor
    /// with the log's next commit.
    mutating func tickMQTT(nowMs: Int64) {
        if mqtt == nil || source == nil || commandQueue == nil { return }
        mqtt!.tick(nowMs: nowMs, source: &source!, link: &mqttLink, commands: &commandQueue!)
        // Nothing delivers commands to devices yet: they expire after their lifetime.
        commandQueue!.expire(nowMs: nowMs) { _, _ in }
        if let cursor = mqtt!.takeCursorUpdate() { source!.store.setCursor(cursor) }
    }

    /// The poll entry of the MQTT link: readable always while open, writable while connecting or
    /// while output waits.
    var mqttPoll: chal_pollfd {
        guard let mqtt, mqttLink.fd >= 0 else { return chal_pollfd(fd: -1, events: 0, revents: 0) }
        var events = Int16(truncatingIfNeeded: CHAL_POLL_IN)
        if mqtt.wantsWrite { events |= Int16(truncatingIfNeeded: CHAL_POLL_OUT) }
        return chal_pollfd(fd: mqttLink.fd, events: events, revents: 0)
    }

    /// Reports on stderr when the connection to the broker comes up or goes down: once per change.
    mutating func reportMQTT(_ err: inout Console) {
        guard let mqtt else { return }
        let up = mqtt.phase == .connected
        if up == mqttReportedUp { return }
        if !up && mqttReportedUp == false { return }
        mqttReportedUp = up
        if up {
            err.always(.notice)
            err.writer.text("outpost: mqtt connected to the broker (session ")
            err.writer.text(mqtt.sessionPresent ? "resumed" : "new")
            err.writer.text(")\n")
        } else {
            err.always(.warning)
            err.writer.text("outpost: mqtt connection to the broker lost (")
            if mqttLink.lastError != 0 {
                Errno.describe(mqttLink.lastError.wide, &err.writer)
            } else {
                err.writer.text("closed by the broker, or no answer within the keep alive")
            }
            err.writer.text("), reconnecting\n")
        }
        err.flush()
    }
}
#else
// The low profile has no MQTT upstream (DaemonFlags refuses mqtt://): the loop's calls are no-ops.
extension DaemonStore {
    var hasMQTT: Bool { false }
    var mqttConfigured: Bool { false }
    func mqttWakeDeadlineMs(nowMs: Int64) -> Int64? { nil }
    func mqttHealth(nowMs: Int64) -> UplinkHealth? { nil }
    mutating func tickMQTT(nowMs: Int64) {}
    var mqttPoll: chal_pollfd { chal_pollfd(fd: -1, events: 0, revents: 0) }
    mutating func reportMQTT(_ err: inout Console) {}
}
#endif
