import CHAL
import OutpostCore

/// The daemon's MQTT upstream (`--upstream mqtt://` or `mqtts://`, docs/MQTT.md): the core's
/// `MQTTClient` over a CHAL link (`MQTTChalLink`: TCP, TLS on top for `mqtts://`), its settings,
/// and the inbox of the commands it receives. A member of the gateway's attachment: the core tick
/// runs it in `upstreamTurn`, after the uplink's turn, over the log's durable records
/// (`GatewayStore.tickMQTT`); the moved cursor is persisted by the next commit. Inert without the
/// flag.
///
/// The low profile's build leaves MQTT out (`DaemonMQTT.available`), as it leaves out HTTP: its
/// firmware has a size budget. The bodies are compiled out there, so the linker drops the core's
/// MQTT code too.
struct DaemonMQTT {
    #if OUTPOST_PROFILE_LOW
    static var available: Bool { false }
    #else
    static var available: Bool { true }
    #endif

    /// Longest password file read (MQTT allows 65 535 bytes; real passwords and tokens are far shorter).
    static var passwordBytesMax: Int { 4_096 }
    /// Commands kept between the client's turn and the loop's hand-over to the command queue
    /// (`EventLoop.routeMQTTCommands` keeps their results in an `InlineArray` of this size).
    static var inboxCapacity: Int { 8 }
    /// Sensor names and open alerts listed in the health message at most (the rest counted as
    /// omitted): what `MQTTSettings.healthDetailBytes` holds with the longest names.
    static var healthSensorsMax: Int { 32 }
    static var healthAlertsMax: Int { 16 }
    /// Longest TLS failure reason kept for the log line.
    static var reasonBytes: Int { 200 }

    var settings: MQTTSettings? = nil
    /// Built at the first turn after the log is open, at its persisted cursor.
    var client: MQTTClient? = nil
    var region = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var link = MQTTChalLink()
    var inbox = MQTTCommandInbox()
    /// Scratch for a command's ack body.
    var ackBody = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// What the log lines last said: connected, and the last failure reported (0: none).
    var reportedUp = false
    var reportedError: Int32 = 0
    /// The sensor count and open alerts the last health detail held (a change publishes health early).
    var healthSensors = 0
    var healthAlertsOpen = 0
    /// The next command end event (`SensorCommandQueue.eventsTotal` numbering) to publish as an ack.
    var commandEventCursor: UInt32 = 0

    var enabled: Bool { settings != nil }

    init() {}

    /// Carves the client's region, the inbox and the link's strings per `flags`, reads the password
    /// file. Nothing without an MQTT upstream.
    mutating func setUp<P: Profile>(_ profile: P.Type, flags: DaemonFlags, arena: inout Arena, nowMs: Int64) throws(DaemonStore.SetupFailure) {
        #if !OUTPOST_PROFILE_LOW
        if !flags.hasUpstream || !flags.upstreamIsMQTT { return }
        let s = try makeSettings(flags: flags, arena: &arena, nowMs: nowMs)
        let bytes = MQTTClient.arenaBytes(after: 0, settings: s) + 64
        if arena.usedBytes + bytes + 4_096 > arena.sizeBytes {
            throw DaemonStore.SetupFailure(what: "the MQTT client's buffers do not fit this build's arena", errno: 0, exitCode: 2)
        }
        region = DaemonStore.carveAligned(bytes, from: &arena)
        inbox = MQTTCommandInbox(arena: &arena, capacity: DaemonMQTT.inboxCapacity, payloadBytesMax: P.commandPayloadBytes)
        ackBody = UnsafeMutableRawBufferPointer(arena.carve(128 + SensorName.capacityBytes, of: UInt8(0)))
        let reason = UnsafeMutableRawBufferPointer(arena.carve(DaemonMQTT.reasonBytes, of: UInt8(0)))
        link = MQTTChalLink(address: flags.upstreamAddress, reason: reason)
        if flags.upstreamWantsTLS {
            link.tls = true
            link.serverName = DaemonMQTT.cString(flags.upstreamHost, arena: &arena)
            if flags.mqttCAFile.count > 0 { link.tlsConfig.ca_file = DaemonMQTT.cString(flags.mqttCAFile, arena: &arena) }
            if flags.mqttCertFile.count > 0 {
                link.tlsConfig.cert_file = DaemonMQTT.cString(flags.mqttCertFile, arena: &arena)
                link.tlsConfig.key_file = DaemonMQTT.cString(flags.mqttKeyFile, arena: &arena)
            }
        }
        settings = s
        #endif
    }

    /// A NUL-terminated copy of `text` in `arena`.
    static func cString(_ text: UnsafeRawBufferPointer, arena: inout Arena) -> UnsafePointer<UInt8> {
        let copy = arena.carve(text.count + 1, of: UInt8(0))
        for i in 0..<text.count { copy[i] = text[i] }
        return UnsafePointer(copy.baseAddress!)
    }

    /// The client's settings per `flags`: client id (default the node id), prefix (default
    /// `outpost`), credentials (the password read from its file now, its trailing newline dropped).
    func makeSettings(flags: DaemonFlags, arena: inout Arena, nowMs: Int64) throws(DaemonStore.SetupFailure) -> MQTTSettings {
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
        s.batchRecords = flags.mqttBatchRecords
        s.format = flags.uplinkFormat
        s.mode = flags.forward
        s.rateRecordsPerS = flags.uplinkRatePerS
        s.seed = UInt64(bitPattern: nowMs) | 1
        if flags.mqttUser.count > 0 { s.userName = flags.mqttUser }
        if flags.mqttPasswordFile.count > 0 { s.password = try DaemonMQTT.readPassword(flags.mqttPasswordFile, arena: &arena) }
        return s
    }

    /// The password file's bytes (one line; a trailing `\n` or `\r\n` is not part of it).
    static func readPassword(_ file: UnsafeRawBufferPointer, arena: inout Arena) throws(DaemonStore.SetupFailure) -> UnsafeRawBufferPointer {
        let path = cString(file, arena: &arena)
        let buffer = UnsafeMutableRawBufferPointer(arena.carve(passwordBytesMax + 1, of: UInt8(0)))
        let fd = chal_open(path, Int32(truncatingIfNeeded: CHAL_OPEN_READ))
        if fd < 0 { throw DaemonStore.SetupFailure(what: "cannot open --mqtt-password-file ([mqtt] password_file)", errno: fd, exitCode: 2) }
        var count = 0
        // Bounded by the buffer: every pass reads at least one byte or stops.
        while count < buffer.count {
            let read = chal_read(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + count, (buffer.count - count).wide)
            if read < 0 {
                _ = chal_close(fd)
                throw DaemonStore.SetupFailure(what: "cannot read --mqtt-password-file ([mqtt] password_file)", errno: Int32(truncatingIfNeeded: read), exitCode: 2)
            }
            if read == 0 { break }
            count += Int(truncatingIfNeeded: read)
        }
        _ = chal_close(fd)
        if count > passwordBytesMax {
            throw DaemonStore.SetupFailure(what: "--mqtt-password-file ([mqtt] password_file) is longer than 4096 bytes", errno: 0, exitCode: 2)
        }
        if count > 0 && buffer[count - 1] == 0x0A { count -= 1 }
        if count > 0 && buffer[count - 1] == 0x0D { count -= 1 }
        if count == 0 { throw DaemonStore.SetupFailure(what: "--mqtt-password-file ([mqtt] password_file) is empty", errno: 0, exitCode: 2) }
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
    }

    /// The upstream's turn of the core tick: builds the client at the log's persisted cursor once
    /// the log is open, then runs it over the log's durable records.
    mutating func upstreamTurn<D: LogDevice, L: DatagramSink & DatagramReceiver>(nowMs: Int64, store: inout GatewayStore<D, L>) {
        #if !OUTPOST_PROFILE_LOW
        guard let settings else { return }
        if client == nil {
            guard let log = store.store else { return }
            var arena = Arena(base: region.baseAddress!, sizeBytes: region.count)
            client = MQTTClient(arena: &arena, settings: settings, cursor: log.cursor, nowMs: nowMs)
        }
        store.tickMQTT(&client!, link: &link, commands: &inbox, nowMs: nowMs)
        #endif
    }

    /// The poll entry of the link: readable while open; writable while output waits; while
    /// connecting, what the TCP connect or the TLS handshake waits for.
    var pollEntry: chal_pollfd {
        #if !OUTPOST_PROFILE_LOW
        guard let client, link.fd >= 0 else { return chal_pollfd(fd: -1, events: 0, revents: 0) }
        var events = Int16(truncatingIfNeeded: CHAL_POLL_IN)
        if client.phase == .connecting {
            events = link.connectingEvents
        } else if client.wantsWrite {
            events |= Int16(truncatingIfNeeded: CHAL_POLL_OUT)
        }
        return chal_pollfd(fd: link.fd, events: events, revents: 0)
        #else
        return chal_pollfd(fd: -1, events: 0, revents: 0)
        #endif
    }

    /// The client's next timer (reconnect, keep alive, health, the rate limit), nil without one.
    func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        #if !OUTPOST_PROFILE_LOW
        return client?.wakeDeadlineMs(nowMs: nowMs)
        #else
        return nil
        #endif
    }

    /// Puts the MQTT upstream where `/health` shows the uplink: the client's snapshot, or `down`
    /// while it is not built (no log yet).
    func fillHealth<D: LogDevice, L: DatagramSink & DatagramReceiver>(_ status: inout ServerStoreStatus, store: GatewayStore<D, L>, nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        status.uplinkEnabled = true
        if client != nil, let health = store.mqttHealth(client!, nowMs: nowMs) {
            status.uplink = health
        } else {
            status.uplink.state = .down
        }
        #endif
    }

    /// Applies a reloaded `--forward` and `--uplink-rate`.
    mutating func retune(mode: UplinkForwardMode, ratePerS: UInt32, nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        settings?.mode = mode
        settings?.rateRecordsPerS = ratePerS
        client?.retune(mode: mode, rateRecordsPerS: ratePerS, nowMs: nowMs)
        #endif
    }

    /// Reports on stderr when the connection to the broker comes up or goes down, and why an
    /// attempt failed (a TLS certificate that does not verify names its reason): once per change.
    mutating func report(_ err: inout Console) {
        #if !OUTPOST_PROFILE_LOW
        guard let client else { return }
        let up = client.phase == .connected
        if up != reportedUp {
            reportedUp = up
            if up {
                reportedError = 0
                err.always(.notice)
                err.writer.text("outpost: mqtt connected to the broker (session ")
                err.writer.text(client.sessionPresent ? "resumed" : "new")
                err.writer.text(link.tls ? ", TLS)\n" : ")\n")
            } else {
                err.always(.warning)
                err.writer.text("outpost: mqtt connection to the broker lost (")
                if link.lastError != 0 {
                    describeFailure(&err)
                    reportedError = link.lastError
                } else {
                    err.writer.text("closed by the broker, or no answer within the keep alive")
                }
                err.writer.text("), reconnecting\n")
            }
            err.flush()
            return
        }
        if !up && link.lastError != 0 && link.lastError != reportedError {
            reportedError = link.lastError
            err.always(link.lastError == CHAL_EKEYREJECTED ? .error : .warning)
            err.writer.text("outpost: mqtt cannot connect to the broker (")
            describeFailure(&err)
            err.writer.text("), retrying\n")
            err.flush()
        }
        #endif
    }

    /// The link's last error: the TLS reason when there is one, else the errno name.
    func describeFailure(_ err: inout Console) {
        if link.reasonText.count > 0 {
            err.writer.text(link.lastError == CHAL_EKEYREJECTED ? "TLS: the broker's certificate does not verify: " : "TLS: ")
            err.writer.raw(link.reasonText)
        } else {
            Errno.describe(link.lastError.wide, &err.writer)
        }
    }

    /// Closes the link. No DISCONNECT: the broker then publishes the retained will (`offline`),
    /// which is what a stopped gateway is.
    mutating func close() {
        link.close()
    }
}
