import CHAL
import OutpostCore

/// The daemon's single-threaded loop: `poll` over the UDP sockets, the serial lines, the uplink's
/// socket, the MQTT upstream's connection (`DaemonMQTT`) and the signal descriptor, with the next timer as the poll timeout; then one tick of
/// the core `Gateway`, which owns the tick's order and its promise (an ACK leaves only after the
/// commit that covers its reading; see `Gateway`). Around the tick the loop keeps only what is
/// the host's: readiness for the CHAL adapters (`UDPTransport`, `SerialAttachment` and
/// `DTLSListener` behind `DaemonAttachment`, `UplinkSocketSink`), opening and reopening the log file (`DaemonStore`), the `/health`
/// snapshot's refresh and the lines on stderr.
///
/// All buffers are carved from the arena by `init`; the loop itself never allocates.
struct EventLoop<P: Profile> {
    typealias Core = Gateway<P, FileLogDevice, UDPTransport, UplinkSocketSink, DaemonAttachment<P>>

    /// Longest the loop sleeps: the server's tick (offline detection, expiry) runs at least this often.
    static var tickIntervalMs: Int32 { 100 }

    var gateway: Core
    /// The log file: its path, geometry and regions, opening and reopening it.
    var files = DaemonStore()
    /// Poll set: the signal descriptor, then the sockets, then the lines, then the DTLS listener's
    /// socket, then the uplink's socket.
    let pollSet: UnsafeMutableBufferPointer<chal_pollfd>
    let signals: Int32
    var clock = DaemonClock()
    /// When `/health`'s store snapshot was last refreshed (it walks the segment table).
    var statusRefreshedMs: Int64 = Int64.min
    var pollErrors: UInt64 = 0
    /// Set when SIGINT or SIGTERM arrived (the signal number).
    var stopSignal: Int32 = 0
    /// Reload on SIGHUP and state-change lines between ticks (EventLoop+Supervision.swift).
    var supervision = DaemonSupervision()
    /// READY/STATUS/WATCHDOG/STOPPING to a service manager (EventLoop+Notify.swift); inert
    /// until `Daemon` opens it.
    var notifier = ServiceNotifier()
    /// The model file (`--model`) and its two arena slots (EventLoop+Model.swift); inert without it.
    var model = DaemonModel()
    #if !OUTPOST_PROFILE_LOW
    /// Learning on the board (`--retrain-every`, EventLoop+Learn.swift); nil when off.
    var learner: ModelLearner? = nil
    #endif

    var server: Server<P> {
        get { gateway.core.server }
        _modify { yield &gateway.core.server }
    }

    var store: GatewayStore<FileLogDevice, UplinkSocketSink> {
        get { gateway.core.store }
        _modify { yield &gateway.core.store }
    }

    var transport: UDPTransport { gateway.transport }
    var serial: SerialAttachment { gateway.attachment.serial }

    /// The HTTP server (`--http`; inert without it), a member of the gateway's attachment. Its
    /// poll entries follow the serial lines'.
    var web: DaemonHTTP {
        get { gateway.attachment.web }
        _modify { yield &gateway.attachment.web }
    }

    /// The `coaps` listener (EventLoop+DTLS.swift); inert without `--listen-dtls`.
    var dtls: DTLSListener {
        get { gateway.attachment.dtls }
        _modify { yield &gateway.attachment.dtls }
    }

    /// Why the loop could not start; `index` is the listener or line concerned.
    struct StartFailure: Error {
        let what: StaticString
        /// -1 for the signal descriptor, else the listener index.
        let index: Int
        let errno: Int32
    }

    /// Builds the server and carves every buffer, opens the sockets and the signal descriptor, and
    /// tries each serial device once (a device that is not there yet is retried by the loop).
    init(flags: DaemonFlags, identity: ServerIdentity, arena: inout Arena, nowMs: Int64) throws(StartFailure) {
        precondition(flags.listenerCount > 0 && flags.listenerCount <= DaemonFlags.listenersMax, "listener count")
        precondition(P.batchSize > 0 && P.batchSize <= Int(CHAL_BATCH_MAX), "batch size out of range")
        var server = Server<P>(arena: &arena, identity: identity)
        server.commands.expiryMs = flags.commandExpiryS * 1_000
        let datagramBytes = P.maxDatagramBytes
        let listeners = arena.carve(flags.listenerCount, of: chal_address())
        for i in 0..<flags.listenerCount { listeners[i] = flags.listeners[i] }
        let sendLimit = Int(CHAL_BATCH_MAX)
        let sendSlots = Core.sendSlots(channels: flags.listenerCount, batchSize: P.batchSize, limit: sendLimit)
        var transport = UDPTransport(
            listeners: UnsafeBufferPointer(listeners), batchSize: P.batchSize, datagramBytes: datagramBytes, sendSlots: sendSlots,
            arena: &arena)
        let serial = SerialAttachment(flags: flags, frameBytes: datagramBytes, arena: &arena)
        var web = DaemonHTTP()
        if flags.hasHTTP {
            let status = web.open(P.self, address: flags.httpAddress, arena: &arena)
            if status < 0 { throw StartFailure(what: "HTTP listen", index: -2, errno: status) }
        }
        // The last entry is the MQTT link's, the one before it the uplink's socket, the one before
        // that the DTLS listener's (fd -1, ignored, without an upstream or `--listen-dtls`); the
        // HTTP server's entries follow the serial lines'.
        pollSet = arena.carve(4 + flags.listenerCount + flags.serialCount + web.pollCount, of: chal_pollfd())
        if web.enabled {
            let base = 1 + flags.listenerCount + flags.serialCount
            web.entries = UnsafeMutableBufferPointer(rebasing: pollSet[base..<(base + web.pollCount)])
        }

        let signalFd = chal_signals_open()
        if signalFd < 0 {
            web.close()
            throw StartFailure(what: "signal descriptor", index: -1, errno: signalFd)
        }
        signals = signalFd
        for i in 0..<flags.listenerCount {
            let status = transport.open(i, at: flags.listeners[i])
            if status < 0 {
                transport.closeAll()
                web.close()
                _ = chal_close(signalFd)
                throw StartFailure(what: "listen", index: i, errno: status)
            }
        }
        for i in 0..<serial.lineCount { _ = serial.lines[i].open(nowMs: nowMs) }
        gateway = Core(
            server: server, store: GatewayStore(link: UplinkSocketSink()), transport: transport, attachment: DaemonAttachment(serial: serial, web: web),
            sendLimit: sendLimit, arena: &arena)
        // Set in place once the server has its home (a mutated local copy costs code to move).
        applySensorOptions(flags)
    }

    /// The sensor options that a reload may change too: offline and eviction times, thresholds.
    mutating func applySensorOptions(_ flags: DaemonFlags) {
        server.pipeline.alerts.setOfflineAfter(ms: flags.sensorOfflineAfterS &* 1000)
        server.pipeline.sensorEvictAfterMs = flags.sensorEvictAfterS &* 1000
        let count = flags.thresholdCount
        flags.thresholds.span.withUnsafeBufferPointer {
            server.pipeline.setThresholdOverrides(UnsafeBufferPointer(rebasing: $0[0..<count]))
        }
    }

    /// Runs the server's tick once before start-up ends, so whatever the runtime sets up on first
    /// use (generic type metadata in a host build) is set up before allocations are forbidden.
    mutating func warmUp(nowMs: Int64) {
        gateway.warmUp(nowMs: nowMs)
        refreshStatus(nowMs: nowMs, force: true)
    }

    /// Copies the store's and the serial lines' snapshots into the server for `/health` and
    /// `/metrics`, at most every 20 ms.
    mutating func refreshStatus(nowMs: Int64, force: Bool) {
        // The DTLS figures every tick: a few integers from CHAL, and a handshake that just ended
        // shows in the next answer.
        if P.dtlsSessionCount > 0 && dtls.enabled, let status = dtls.status { status.pointee = dtlsStatus() }
        if !force && nowMs - statusRefreshedMs < 20 && nowMs >= statusRefreshedMs { return }
        statusRefreshedMs = nowMs
        if gateway.core.store.enabled {
            var status = gateway.core.store.status(nowMs: nowMs)
            if DaemonMQTT.available && gateway.attachment.mqtt.enabled {
                // The MQTT upstream stands where the CoAP uplink would: `/health`'s uplink map.
                gateway.attachment.mqtt.fillHealth(&status, store: gateway.core.store, nowMs: nowMs)
            }
            gateway.core.server.updateStoreStatus(status, nowMs: nowMs)
        }
        if serial.lineCount > 0 { gateway.core.server.serialStatus = serialStatus() }
    }

    /// Totals over the serial lines.
    func serialStatus() -> ServerSerialStatus {
        var s = ServerSerialStatus()
        s.lines = serial.lineCount
        for i in 0..<serial.lineCount {
            let line = serial.lines[i]
            if line.fd >= 0 { s.open += 1 }
            s.badEscapes &+= line.decoder.badEscapeCount
            s.oversizeFrames &+= line.decoder.oversizeCount
            s.linesTooLong &+= line.counters.linesTooLong
            s.losses &+= line.counters.losses
            s.openFailures &+= line.counters.openFailures
            s.outputDropped &+= line.counters.outputDropped
        }
        return s
    }

    /// Closes every descriptor (log, sockets, lines, signals) after writing the lines' pending output.
    mutating func closeAll() {
        files.close(&gateway.core.store)
        transport.closeAll()
        serial.closeAll()
        if P.dtlsSessionCount > 0 && dtls.enabled {
            _ = chal_dtls_server_close(DTLSListener.server)
            _ = chal_close(dtls.fd)
            dtls.enabled = false
        }
        web.close()
        gateway.attachment.mqtt.close()
        if signals >= 0 { _ = chal_close(signals) }
    }

    /// Runs ticks until SIGINT or SIGTERM; `log` is told about serial lines coming and going.
    /// Unbounded by design (a daemon), but every tick is bounded and a signal ends it.
    mutating func run(log: inout Console) {
        // Bounded only by the stop signal: one pass is one bounded tick.
        while stopSignal == 0 && gateway.core.store.failure == 0 {
            runTick(log: &log)
            supervise(log: &log)
            // From the loop itself: a loop stuck in a tick stops pinging and gets restarted.
            notifier.tick(nowNs: chal_monotonic_ns())
        }
        // Flush what the last tick queued (the responses already went out with its batch).
        for i in 0..<serial.lineCount { _ = serial.lines[i].flush() }
    }

    /// One pass: poll, the gateway's tick, then the host's own timers and reports.
    /// - Complexity: O(the gateway's tick).
    mutating func runTick(log: inout Console) {
        let timeoutMs = pollTimeoutMs(nowMs: chal_wall_ms())
        preparePollSet()
        let ready = chal_poll(pollSet.baseAddress!, Int32(truncatingIfNeeded: pollSet.count), timeoutMs)
        if ready < 0 { pollErrors &+= 1 }
        if pollSet[0].revents != 0 { readSignals() }
        takeReadiness()
        gateway.tick(clock: &clock)
        #if !OUTPOST_PROFILE_LOW
        if P.retrainSampleCount > 0 && learner != nil { learnTick(nowMs: chal_wall_ms(), log: &log) }
        #endif
        // After the commit: the answers show what this tick made durable, and a command's 202 leaves
        // only once the tick that queued it has committed (see DaemonAttachment).
        if gateway.attachment.web.enabled {
            let nowMs = chal_wall_ms()
            gateway.attachment.web.serve(&gateway.core.server, ready: isReady, nowMs: nowMs)
            // A command's 202 leaves only once its record is committed (docs/HTTP.md); a commit
            // that did not complete leaves the answers pending until a later tick's commit.
            if gateway.core.commitCommands(nowMs: nowMs) { gateway.attachment.web.writePending(nowMs: nowMs) }
        }
        serial.report(&log)
        if gateway.core.store.failure != 0 { return }
        let nowMs = chal_wall_ms()
        if DaemonMQTT.available && gateway.attachment.mqtt.enabled {
            routeMQTTCommands(nowMs: nowMs)
            gateway.attachment.mqtt.report(&log)
        }
        files.reportSpace(store, &log)
        if gateway.core.store.enabled {
            do { try files.reopenIfDue(&gateway.core.store, nowMs: nowMs, err: &log) } catch {
                gateway.core.store.fail(error.errno != 0 ? error.errno : CHAL_EIO, error.what)
            }
        }
        refreshStatus(nowMs: nowMs, force: false)
    }

    /// Milliseconds until the next timer: the server tick interval, the gateway's deadlines, a
    /// retry of the log file.
    func pollTimeoutMs(nowMs: Int64) -> Int32 {
        var timeout = EventLoop.tickIntervalMs.wide
        #if !OUTPOST_PROFILE_LOW
        // A build under way goes on at once: each tick does one bounded slice of it.
        if P.retrainSampleCount > 0, let learner, learner.builder.phase == .growing || learner.builder.phase == .scoring { timeout = 0 }
        #endif
        if let deadline = gateway.wakeDeadlineMs(nowMs: nowMs) { timeout = min(timeout, max(0, deadline - nowMs)) }
        if gateway.core.store.enabled && gateway.core.store.source == nil { timeout = min(timeout, max(0, files.reopenAtMs - nowMs)) }
        return Int32(truncatingIfNeeded: timeout)
    }

    func preparePollSet() {
        let input = Int16(truncatingIfNeeded: CHAL_POLL_IN)
        let output = Int16(truncatingIfNeeded: CHAL_POLL_OUT)
        let sockets = transport.sockets
        pollSet[0] = chal_pollfd(fd: signals, events: input, revents: 0)
        for i in 0..<sockets.count {
            pollSet[1 + i] = chal_pollfd(fd: sockets[i], events: input, revents: 0)
        }
        for i in 0..<serial.lineCount {
            let line = serial.lines[i]
            pollSet[1 + sockets.count + i] = chal_pollfd(fd: line.fd, events: line.hasOutput ? input | output : input, revents: 0)
        }
        pollSet[pollSet.count - 3] = chal_pollfd(fd: dtls.fd, events: input, revents: 0)
        pollSet[pollSet.count - 2] = chal_pollfd(fd: gateway.core.store.link.fd, events: input, revents: 0)
        pollSet[pollSet.count - 1] = gateway.attachment.mqtt.pollEntry
        if gateway.attachment.web.enabled { gateway.attachment.web.preparePoll() }
    }

    /// Hands the poll's result to the adapters.
    mutating func takeReadiness() {
        let input = Int16(truncatingIfNeeded: CHAL_POLL_IN)
        let sockets = transport.sockets.count
        for i in 0..<sockets { gateway.transport.readable[i] = pollSet[1 + i].revents & input != 0 }
        for i in 0..<serial.lineCount { gateway.attachment.serial.revents[i] = pollSet[1 + sockets + i].revents }
        gateway.attachment.dtls.readable = pollSet[pollSet.count - 3].revents & input != 0
        gateway.core.store.link.readable = pollSet[pollSet.count - 2].revents & input != 0
    }

    /// `/ready`: the listeners are up (the loop runs only then) and, with a log, recovery is
    /// done and the log is open and has not failed.
    var isReady: Bool { !store.enabled || (store.store != nil && store.failure == 0) }

    mutating func readSignals() {
        // Bounded: a handful of pending signals at most.
        for _ in 0..<8 {
            let signal = chal_signals_read(signals)
            if signal <= 0 { return }
            // SIGHUP reads the configuration again (after this tick); the others stop the loop.
            if signal == CHAL_SIGHUP { supervision.reloadRequested = true } else { stopSignal = signal }
        }
    }
}
