import CHAL
import OutpostCore

/// The daemon's single-threaded loop: `poll` over the UDP sockets, the serial lines and the signal
/// descriptor, with the timer as the poll timeout. Each tick:
///
/// 1. receive batches per ready socket (`recvmmsg`, at most the profile's `batchSize` each, up to
///    `receiveBatchesPerTick` while the send batch can answer them) and the
///    waiting bytes of each ready serial line (at most `serialReadBytes`);
/// 2. `Server.handle` each datagram / SLIP frame (responses go into the send batch, serial
///    responses onto their line), `Server.ingestLine` each line of a line-mode serial port;
/// 3. answers from the upstream go to the uplink (`DaemonStore.receiveUplink`);
/// 4. `Server.tick`: pipeline tick, outbox drain (observers, and every event appended to the log),
///    expiry, notifications;
/// 5. the log's commit per `--durability` (`DaemonStore.endOfTick`): with `sync` the tick's
///    appends are written and fdatasync'ed *before* its responses leave, so an ACK means "on
///    disk"; when the commit does not complete the tick's responses are withheld (the sensors
///    retransmit) and a device failure stops the loop (fail-stop);
/// 6. send the batch (`sendmmsg`, one per socket) and write the serial lines' output;
/// 7. the uplink's tick (next batch, retransmissions; its cursor is persisted by the next commit);
/// 8. timers: reopen lost serial devices whose backoff ran out, retry an unavailable log.
///
/// With a log, the outbox is drained into it before every datagram and the server is told
/// how many records the log can take (`Server.logRoomRecords`): a reading the log
/// cannot keep is answered 5.03 before it could be acknowledged.
///
/// Work per tick is bounded by the batch size, the serial read size and the server's own bounds.
/// All buffers are carved from the arena by `init`; the loop itself never allocates.
struct EventLoop<P: Profile> {
    /// Longest the loop sleeps: the server's tick (offline detection, expiry) runs at least this often.
    static var tickIntervalMs: Int32 { 100 }
    /// Bytes read from one serial line per tick.
    static var serialReadBytes: Int { 2048 }
    /// Kernel receive buffer asked for per UDP socket.
    static var receiveBufferBytes: Int32 { 4 * 1024 * 1024 }
    /// Most `recvmmsg` batches one socket gives per tick. More than one lets a tick (and with
    /// `--durability sync` its one fdatasync) cover everything the sensors have in flight, while the
    /// send region and the descriptor count still bound the tick's work.
    static var receiveBatchesPerTick: Int { 8 }
    /// Send slots kept for the notifications the server's tick emits (Observe).
    static var notificationReserve: Int { max(8, P.observerCount * 2) }

    var server: Server<P>
    /// Open UDP sockets, one per listener.
    let sockets: UnsafeMutableBufferPointer<Int32>
    /// Where each socket is bound (port 0 resolved).
    let boundAddresses: UnsafeMutableBufferPointer<chal_address>
    /// Receive descriptors with their buffers (`batchSize` of them, reused by every socket).
    let receive: UnsafeMutableBufferPointer<chal_datagram>
    var send: SendBatch
    /// Serial lines (`lineCount` of them, carved).
    let lines: UnsafeMutablePointer<SerialLine>
    let lineCount: Int
    /// Scratch: a serial line's raw bytes, and a response to SLIP-encode.
    let serialChunk: UnsafeMutableRawBufferPointer
    let serialResponse: UnsafeMutableRawBufferPointer
    /// Poll set: the signal descriptor, then the sockets, then the lines.
    let pollSet: UnsafeMutableBufferPointer<chal_pollfd>
    let signals: Int32
    /// The log and the uplink (inert without `--data-dir`); the server's outbox consumer.
    var store = DaemonStore()
    /// When `/health`'s store snapshot was last refreshed (it walks the segment table).
    var statusRefreshedMs: Int64 = Int64.min
    /// UDP responses withheld because their tick's log commit did not complete.
    var withheldResponses: UInt64 = 0
    /// Serial output (SLIP-encoded responses) withheld for the same reason, in bytes.
    var withheldSerialBytes: UInt64 = 0
    var counters = LoopCounters()
    /// Set when SIGINT or SIGTERM arrived (the signal number).
    var stopSignal: Int32 = 0
    /// Reload on SIGHUP and state-change lines between ticks (EventLoop+Supervision.swift).
    var supervision = DaemonSupervision()
    /// READY/STATUS/WATCHDOG/STOPPING to a service manager (EventLoop+Notify.swift); inert
    /// until `Daemon` opens it.
    var notifier = ServiceNotifier()

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
        server = Server<P>(arena: &arena, identity: identity)
        let datagramBytes = P.maxDatagramBytes
        sockets = arena.carve(flags.listenerCount, of: Int32(-1))
        boundAddresses = arena.carve(flags.listenerCount, of: chal_address())
        receive = arena.carve(P.batchSize, of: chal_datagram())
        for i in 0..<P.batchSize {
            // One byte more than the largest datagram, so an oversize one is seen as such.
            receive[i].buffer = arena.carve(datagramBytes + 1, of: UInt8(0)).baseAddress
            receive[i].capacity = Int32(truncatingIfNeeded: datagramBytes + 1)
        }
        let families = arena.carve(flags.listenerCount, of: UInt8(0))
        for i in 0..<flags.listenerCount { families[i] = flags.listeners[i].family }
        // The region holds two worst-case batches per socket plus the notifications (so a batch of
        // the usual few-byte answers leaves room for another); the descriptors cover up to
        // `receiveBatchesPerTick` batches per socket of such answers.
        let regionDatagrams = min(Int(CHAL_BATCH_MAX), 2 * P.batchSize * flags.listenerCount + EventLoop<P>.notificationReserve)
        let slotCount = min(Int(CHAL_BATCH_MAX), P.batchSize * flags.listenerCount * EventLoop<P>.receiveBatchesPerTick + EventLoop<P>.notificationReserve)
        send = SendBatch(
            slotCount: max(slotCount, regionDatagrams), regionDatagrams: regionDatagrams, datagramBytes: datagramBytes,
            listenerFamilies: UnsafeBufferPointer(families), arena: &arena)
        lineCount = flags.serialCount
        let lineStorage = arena.carve(max(1, flags.serialCount) * MemoryLayout<SerialLine>.stride + MemoryLayout<SerialLine>.alignment, of: UInt8(0))
        let lineBase = UnsafeMutableRawPointer(lineStorage.baseAddress!)
        let aligned = (Int(bitPattern: lineBase) + MemoryLayout<SerialLine>.alignment - 1) & ~(MemoryLayout<SerialLine>.alignment - 1)
        lines = UnsafeMutableRawPointer(bitPattern: aligned)!.bindMemory(to: SerialLine.self, capacity: max(1, flags.serialCount))
        for i in 0..<flags.serialCount {
            (lines + i).initialize(to: SerialLine(index: i, spec: flags.serial[i], frameBytes: datagramBytes, arena: &arena))
        }
        serialChunk = UnsafeMutableRawBufferPointer(arena.carve(EventLoop.serialReadBytes, of: UInt8(0)))
        serialResponse = UnsafeMutableRawBufferPointer(arena.carve(datagramBytes, of: UInt8(0)))
        // The last entry is the uplink's socket (fd -1, ignored, without an upstream).
        pollSet = arena.carve(2 + flags.listenerCount + flags.serialCount, of: chal_pollfd())

        let signalFd = chal_signals_open()
        if signalFd < 0 { throw StartFailure(what: "signal descriptor", index: -1, errno: signalFd) }
        signals = signalFd
        for i in 0..<flags.listenerCount {
            var address = flags.listeners[i]
            let fd = chal_udp_open(&address, EventLoop.receiveBufferBytes)
            if fd < 0 {
                closeAll()
                throw StartFailure(what: "listen", index: i, errno: fd)
            }
            sockets[i] = fd
            var bound = chal_address()
            if chal_udp_local_address(fd, &bound) == 0 { boundAddresses[i] = bound } else { boundAddresses[i] = address }
        }
        for i in 0..<lineCount { _ = lines[i].open(nowMs: nowMs) }
        send.lines = lines
        send.lineCount = lineCount
    }

    /// Runs the server's tick once before start-up ends, so whatever the runtime sets up on first
    /// use (generic type metadata in a host build) is set up before allocations are forbidden.
    mutating func warmUp(nowMs: Int64) {
        admit()
        server.tick(nowMs: nowMs, into: &send, consumer: &store)
        _ = store.endOfTick(nowMs: nowMs)
        send.flush(sockets: UnsafeBufferPointer(sockets))
        store.tickUplink(nowMs: nowMs)
        refreshStatus(nowMs: nowMs, force: true)
    }

    /// Copies the store's and the serial lines' snapshots into the server for `/health` and
    /// `/metrics`, at most every 20 ms.
    mutating func refreshStatus(nowMs: Int64, force: Bool) {
        if !force && nowMs - statusRefreshedMs < 20 && nowMs >= statusRefreshedMs { return }
        statusRefreshedMs = nowMs
        if store.enabled { server.updateStoreStatus(store.status(nowMs: nowMs), nowMs: nowMs) }
        if lineCount > 0 { server.serialStatus = serialStatus() }
    }

    /// Totals over the serial lines.
    func serialStatus() -> ServerSerialStatus {
        var s = ServerSerialStatus()
        s.lines = lineCount
        for i in 0..<lineCount {
            let line = lines[i]
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

    /// Closes every descriptor (sockets, lines, signals) after writing the lines' pending output.
    func closeAll() {
        var store = self.store
        store.close()
        for i in 0..<sockets.count where sockets[i] >= 0 { _ = chal_close(sockets[i]) }
        for i in 0..<lineCount where lines[i].fd >= 0 {
            _ = lines[i].flush()
            _ = chal_close(lines[i].fd)
        }
        if signals >= 0 { _ = chal_close(signals) }
    }

    /// Runs ticks until SIGINT or SIGTERM; `log` is told about serial lines coming and going.
    /// Unbounded by design (a daemon), but every tick is bounded and a signal ends it.
    mutating func run(log: inout Console) {
        // Bounded only by the stop signal: one pass is one bounded tick.
        while stopSignal == 0 && store.failure == 0 {
            runTick(log: &log)
            supervise(log: &log)
            // From the loop itself: a loop stuck in a tick stops pinging and gets restarted.
            notifier.tick(nowNs: chal_monotonic_ns())
        }
        // Flush what the last tick queued (the responses already went out with its batch).
        for i in 0..<lineCount { _ = lines[i].flush() }
    }

    /// One tick of the loop (see the type's documentation).
    /// - Complexity: O(batchSize × listeners + serial bytes per tick + server tick).
    mutating func runTick(log: inout Console) {
        let timeoutMs = pollTimeoutMs(nowMs: chal_wall_ms())
        preparePollSet()
        let ready = chal_poll(pollSet.baseAddress!, Int32(truncatingIfNeeded: pollSet.count), timeoutMs)
        let startNs = chal_monotonic_ns()
        let nowMs = chal_wall_ms()
        counters.ticks &+= 1
        if ready < 0 { counters.pollErrors &+= 1 }
        if pollSet[0].revents != 0 { readSignals() }
        var handled = 0
        if store.enabled { admit() }
        // Starts at a different socket every tick, so a socket whose batches fill the send region
        // cannot keep the others waiting.
        // (Through Int: `Int(UInt64 % UInt64)` trips the 32-bit -no-allocations false positive.)
        let first = (Int(truncatingIfNeeded: counters.ticks) & Int.max) % sockets.count
        for k in 0..<sockets.count {
            let i = (first + k) % sockets.count
            if pollSet[1 + i].revents & Int16(truncatingIfNeeded: CHAL_POLL_IN) != 0 { handled += receiveBatches(listener: i, nowMs: nowMs) }
        }
        for i in 0..<lineCount {
            let revents = pollSet[1 + sockets.count + i].revents
            if lines[i].fd >= 0 && revents != 0 { handled += readLine(i, revents: revents, nowMs: nowMs, log: &log) }
        }
        if !store.hasMQTT && pollSet[pollSet.count - 1].revents & Int16(truncatingIfNeeded: CHAL_POLL_IN) != 0 { receiveUplink(nowMs: nowMs) }
        server.tick(nowMs: nowMs, into: &send, consumer: &store)
        if !store.endOfTick(nowMs: nowMs) {
            // Not committed: nothing of this tick may be acknowledged. The sensors retransmit; the
            // duplicate cache answers them once a later commit made their readings durable.
            // Out of space (the store keeps its buffered records and retries them at every
            // commit), the answers that acknowledge nothing still go out: the 5.03 refusals and
            // `/health`, so the daemon is never silent while the condition lasts. Serial output
            // is one SLIP stream per line and is withheld whole.
            if store.failure != 0 {
                withheldResponses &+= UInt64(bitPattern: send.count.wide)
                send.discard()
            } else {
                withheldResponses &+= UInt64(bitPattern: send.discardAcknowledgements().wide)
            }
            for i in 0..<lineCount { withheldSerialBytes &+= UInt64(bitPattern: lines[i].withdraw().wide) }
            if store.failure != 0 { return }
            store.reportSpace(&log)
        } else {
            store.reportSpace(&log)
            for i in 0..<lineCount { lines[i].release() }
        }
        send.flush(sockets: UnsafeBufferPointer(sockets))
        store.tickUplink(nowMs: nowMs)
        store.reportMQTT(&log)
        for i in 0..<lineCount where lines[i].hasOutput {
            let status = lines[i].flush()
            if status < 0 { loseLine(i, nowMs: nowMs, error: status, log: &log) }
        }
        reopenLines(nowMs: nowMs, log: &log)
        if store.enabled {
            do { try store.reopenIfDue(nowMs: nowMs, err: &log) } catch { store.fail(error.errno != 0 ? error.errno : CHAL_EIO, error.what) }
        }
        refreshStatus(nowMs: nowMs, force: false)
        if handled > 0 {
            server.recordTickLatency(ns: UInt64(bitPattern: chal_monotonic_ns() - startNs))
        }
    }

    /// Milliseconds until the next timer: the server tick interval, or a line's reopen time.
    func pollTimeoutMs(nowMs: Int64) -> Int32 {
        var timeout = EventLoop.tickIntervalMs.wide
        if let deadline = store.wakeDeadlineMs(nowMs: nowMs) { timeout = min(timeout, max(0, deadline - nowMs)) }
        for i in 0..<lineCount where lines[i].fd < 0 {
            timeout = min(timeout, max(0, lines[i].reopenAtMs - nowMs))
        }
        return Int32(truncatingIfNeeded: timeout)
    }

    func preparePollSet() {
        let input = Int16(truncatingIfNeeded: CHAL_POLL_IN)
        let output = Int16(truncatingIfNeeded: CHAL_POLL_OUT)
        pollSet[0] = chal_pollfd(fd: signals, events: input, revents: 0)
        for i in 0..<sockets.count {
            pollSet[1 + i] = chal_pollfd(fd: sockets[i], events: input, revents: 0)
        }
        for i in 0..<lineCount {
            let line = lines[i]
            pollSet[1 + sockets.count + i] = chal_pollfd(fd: line.fd, events: line.hasOutput ? input | output : input, revents: 0)
        }
        pollSet[pollSet.count - 1] = store.hasMQTT ? store.mqttPoll : chal_pollfd(fd: store.uplinkSink.fd, events: input, revents: 0)
    }

    mutating func readSignals() {
        // Bounded: a handful of pending signals at most.
        for _ in 0..<8 {
            let signal = chal_signals_read(signals)
            if signal <= 0 { return }
            // SIGHUP reads the configuration again (after this tick); the others stop the loop.
            if signal == CHAL_SIGHUP { supervision.reloadRequested = true } else { stopSignal = signal }
        }
    }

    /// Receives up to `receiveBatchesPerTick` batches on socket `listener`, each only while the send
    /// batch can still answer a whole batch of worst-case responses (and the notifications); stops
    /// at a batch that was not full (the socket is drained). Returns how many datagrams it handled.
    /// - Complexity: O(receiveBatchesPerTick × batchSize × datagram work).
    mutating func receiveBatches(listener: Int, nowMs: Int64) -> Int {
        var handled = 0
        for _ in 0..<EventLoop.receiveBatchesPerTick {
            if !send.canTake(receive.count + EventLoop.notificationReserve) { break }
            let count = receiveBatch(listener: listener, nowMs: nowMs)
            handled += count
            if count < receive.count { break }
        }
        return handled
    }

    /// Receives one batch on socket `listener` and handles every datagram; returns how many.
    /// - Complexity: O(batchSize × datagram work).
    mutating func receiveBatch(listener: Int, nowMs: Int64) -> Int {
        let received = chal_udp_receive_batch(sockets[listener], receive.baseAddress!, Int32(truncatingIfNeeded: receive.count))
        if received < 0 {
            counters.receiveErrors &+= 1
            return 0
        }
        counters.batches &+= 1
        let count = Int(received)
        for i in 0..<count {
            let datagram = receive[i]
            counters.datagrams &+= 1
            if datagram.truncated != 0 { counters.truncated &+= 1 }
            admit()
            guard let response = send.nextBuffer else {
                counters.noSendSlot &+= 1
                continue
            }
            // A datagram larger than the buffer arrives cut at capacity (maxDatagramBytes + 1), so
            // the server sees it as oversize and answers 4.13.
            let bytes = UnsafeRawBufferPointer(start: datagram.buffer, count: Int(datagram.length))
            let length = server.handle(datagram: bytes, from: Endpoints.endpoint(datagram.peer), nowMs: nowMs, response: response)
            if length > 0 { send.commit(length: length, to: datagram.peer, listenerIndex: listener) }
        }
        return count
    }

    /// Before each datagram, frame or line: with a log, every outbox event is appended now and the
    /// server learns how many records the log can take; without, the outbox is drained when
    /// it could not take a whole pack.
    /// - Complexity: O(outbox events drained).
    mutating func admit() {
        if store.enabled {
            server.drainOutbox(into: &store)
            let (room, retryS) = store.admission()
            server.logRoomRecords = room
            server.logRetryS = retryS
        } else if server.outboxNeedsDrain {
            server.drainOutbox(into: &store)
        }
    }

    /// Receives the upstream's answers (one batch) and hands each to the uplink.
    /// - Complexity: O(batchSize × message parse).
    mutating func receiveUplink(nowMs: Int64) {
        let received = chal_udp_receive_batch(store.uplinkSink.fd, receive.baseAddress!, Int32(truncatingIfNeeded: receive.count))
        if received <= 0 { return }
        for i in 0..<Int(received) where receive[i].truncated == 0 {
            let datagram = receive[i]
            let bytes = UnsafeRawBufferPointer(start: datagram.buffer, count: Int(datagram.length))
            store.receiveUplink(bytes, from: Endpoints.endpoint(datagram.peer), nowMs: nowMs)
        }
    }

    /// Reads the waiting bytes of serial line `index` and handles its frames or lines.
    /// Returns how many frames or lines it handled.
    mutating func readLine(_ index: Int, revents: Int16, nowMs: Int64, log: inout Console) -> Int {
        let chunk = serialChunk
        let read = chal_read_some(lines[index].fd, chunk.baseAddress!.assumingMemoryBound(to: UInt8.self), chunk.count.wide)
        if read == CHAL_EAGAIN.wide { return 0 }  // woke for output only
        if read <= 0 {
            // 0: end of file; -EIO: a pty whose other side closed; anything else: a failed device.
            loseLine(index, nowMs: nowMs, error: read == 0 ? CHAL_EIO.wide : read, log: &log)
            return 0
        }
        lines[index].counters.bytesIn &+= UInt64(bitPattern: read)
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[0..<read.narrow])
        switch lines[index].framing {
        case .slip: return handleSLIP(index, bytes, nowMs: nowMs)
        case .line: return handleLines(index, bytes, nowMs: nowMs)
        }
    }

    /// Feeds SLIP bytes; each complete frame is a CoAP message answered on the same line.
    mutating func handleSLIP(_ index: Int, _ bytes: UnsafeRawBufferPointer, nowMs: Int64) -> Int {
        var frames = 0
        let peer = Endpoint.serial(line: lines[index].index)
        for byte in bytes {
            guard lines[index].decoder.push(byte) else { continue }
            frames += 1
            lines[index].counters.frames &+= 1
            admit()
            let frame = lines[index].decoder.frame
            let length = server.handle(datagram: frame, from: peer, nowMs: nowMs, response: serialResponse)
            if length > 0 {
                _ = lines[index].queue(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(serialResponse)[0..<length]))
            }
        }
        return frames
    }

    /// Splits line-mode bytes at `\n`; each line goes to `Server.ingestLine`. A line longer than
    /// the line buffer is dropped whole (counted) and reading resumes after its end.
    mutating func handleLines(_ index: Int, _ bytes: UnsafeRawBufferPointer, nowMs: Int64) -> Int {
        var handled = 0
        for byte in bytes {
            if byte != 0x0A {
                if lines[index].skippingLine { continue }
                if lines[index].lineLength == lines[index].lineBuffer.count {
                    lines[index].skippingLine = true
                    lines[index].lineLength = 0
                    lines[index].counters.linesTooLong &+= 1
                    continue
                }
                lines[index].lineBuffer[lines[index].lineLength] = byte
                lines[index].lineLength += 1
                continue
            }
            if lines[index].skippingLine {
                lines[index].skippingLine = false
                continue
            }
            let text = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(lines[index].lineBuffer)[0..<lines[index].lineLength])
            lines[index].lineLength = 0
            lines[index].counters.lines &+= 1
            handled += 1
            admit()
            switch server.ingestLine(text, nowMs: nowMs) {
            case .accepted: lines[index].counters.linesAccepted &+= 1
            case .skipped: break
            case .invalid: lines[index].counters.linesInvalid &+= 1
            case .refused: lines[index].counters.linesRefused &+= 1
            }
        }
        return handled
    }

    /// Closes a failed line and schedules its reopen.
    mutating func loseLine(_ index: Int, nowMs: Int64, error: Int64, log: inout Console) {
        lines[index].lose(nowMs: nowMs)
        log.always(.warning)
        log.writer.text("outpost: serial ")
        log.writer.raw(lines[index].pathText)
        log.writer.text(" lost (")
        Errno.describe(error, &log.writer)
        log.writer.text("), reopening with backoff\n")
        log.flush()
    }

    /// Tries to reopen every lost line whose backoff ran out.
    mutating func reopenLines(nowMs: Int64, log: inout Console) {
        for i in 0..<lineCount where lines[i].fd < 0 && nowMs >= lines[i].reopenAtMs {
            let wasReported = lines[i].lastError
            let result = lines[i].open(nowMs: nowMs)
            if result == 0 {
                log.always(.notice)
                log.writer.text("outpost: serial ")
                log.writer.raw(lines[i].pathText)
                log.writer.text(" open\n")
                log.flush()
            } else if result != wasReported {
                lines[i].lastError = result
                log.always(.warning)
                log.writer.text("outpost: serial ")
                log.writer.raw(lines[i].pathText)
                log.writer.text(": ")
                Errno.describe(result.wide, &log.writer)
                log.writer.text(" (retrying)\n")
                log.flush()
            }
        }
    }
}

/// What the loop itself counted (the server counts the protocol side).
struct LoopCounters {
    var ticks: UInt64 = 0
    var batches: UInt64 = 0
    var datagrams: UInt64 = 0
    var truncated: UInt64 = 0
    var receiveErrors: UInt64 = 0
    var pollErrors: UInt64 = 0
    /// Datagrams not handled because the send batch had no slot left (never with the sizing above).
    var noSendSlot: UInt64 = 0
}
