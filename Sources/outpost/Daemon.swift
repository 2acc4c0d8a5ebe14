import CHAL
import OutpostCore
import OutpostProfiles

/// `outpost [FLAGS]`: the daemon. Parses the flags, carves everything from the arena, opens the
/// sockets and lines, tells CHAL start-up is over (from then on nothing allocates), runs the event
/// loop until SIGINT/SIGTERM, then closes everything and exits 0.
enum Daemon {
    static func run(firstFlag: Int, arena: inout Arena, out: inout Console, err: inout Console) -> Int32 {
        var config = DaemonConfig(firstFlag: firstFlag)
        let flags: DaemonFlags
        do {
            flags = try config.load(arena: &arena, err: &err)
        } catch {
            return error.status
        }
        err.level = flags.logLevel
        if flags.help {
            Help.write(&out)
            return 0
        }
        if flags.hasDataDir {
            // Checked first, for a clear message: the log file (`DIR/outpost.log`) lives there.
            let fd = openDirectory(flags.dataDir)
            if fd < 0 {
                err.always(.error)
                err.writer.text("outpost: --data-dir '")
                err.writer.jsonEscaped(UnsafeRawBufferPointer(rebasing: flags.dataDir.prefix(200)))
                err.writer.text("': ")
                Errno.describe(fd.wide, &err.writer)
                err.writer.byte(0x0A)
                return 2
            }
            _ = chal_close(fd)
        }
        let startMs = chal_wall_ms()
        let identity = ServerIdentity(nodeId: flags.nodeId, profile: ActiveProfile.name, version: outpostVersion, startMs: startMs)
        var loop: EventLoop<ActiveProfile>
        do {
            loop = try EventLoop<ActiveProfile>(flags: flags, identity: identity, arena: &arena, nowMs: startMs)
        } catch {
            err.always(.error)
            err.writer.text("outpost: cannot start: ")
            err.writer.text(error.what)
            if error.index >= 0 {
                err.writer.text(" ")
                writeAddress(flags.listeners[error.index], &err.writer)
            } else if error.index == -2 {
                err.writer.text(" ")
                writeAddress(flags.httpAddress, &err.writer)
            }
            err.writer.text(": ")
            describe(error.errno, &err.writer)
            err.writer.byte(0x0A)
            return 1
        }
        do {
            // One pack's readings, the alerts they may raise and its values of quantities not detected on.
            let reserve = ActiveProfile.packReadingCapacity * Pipeline<ActiveProfile>.outboxRoomPerReading
                + ActiveProfile.packQuantityCapacity
            try loop.files.setUp(flags: flags, store: &loop.gateway.core.store, reserveRecords: reserve, arena: &arena, nowMs: startMs, err: &err)
            if loop.store.enabled {
                try loop.files.open(&loop.gateway.core.store, nowMs: chal_wall_ms(), err: &err)
                restoreState(&loop, &err)
            }
        } catch {
            err.always(.error)
            err.writer.text("outpost: log: ")
            err.writer.text(error.what)
            if error.errno != 0 {
                err.writer.text(": ")
                Errno.describe(error.errno.wide, &err.writer)
            }
            err.writer.byte(0x0A)
            loop.closeAll()
            return error.exitCode
        }
        do {
            try loop.gateway.attachment.mqtt.setUp(ActiveProfile.self, flags: flags, arena: &arena, nowMs: startMs)
        } catch {
            err.always(.error)
            err.writer.text("outpost: mqtt: ")
            err.writer.text(error.what)
            if error.errno != 0 {
                err.writer.text(": ")
                Errno.describe(error.errno.wide, &err.writer)
            }
            err.writer.byte(0x0A)
            loop.closeAll()
            return error.exitCode
        }
        if flags.hasDTLS && !loop.setUpDTLS(flags: flags, arena: &arena, err: &err) {
            loop.closeAll()
            return 2
        }
        if ActiveProfile.modelCapacity.allowsModel && flags.modelFile.count > 0 && !loop.setUpModel(flags: flags, arena: &arena, err: &err) {
            loop.closeAll()
            return 2
        }
        #if !OUTPOST_PROFILE_LOW
        if ActiveProfile.retrainSampleCount > 0 && flags.retrainEveryS > 0 { loop.setUpLearning(flags: flags, arena: &arena, err: &err) }
        #endif
        if flags.hasUpstream {
            err.always(.notice, reserving: 256)
            err.writer.text("outpost: uplink to ")
            if flags.upstreamIsMQTT { err.writer.text(flags.upstreamWantsTLS ? "mqtts://" : "mqtt://") }
            writeAddress(flags.upstreamAddress, &err.writer)
            err.writer.text(" forwarding ")
            err.writer.text(flags.forward.name)
            if flags.upstreamIsMQTT {
                err.writer.text(" as ")
                err.writer.text(flags.uplinkFormat.name)
            }
            err.writer.text(flags.durability == .sync ? " (durable records only)\n" : "\n")
        }
        for i in 0..<loop.transport.sockets.count {
            err.always(.notice, reserving: 256)
            err.writer.text("outpost: listening on ")
            writeAddress(loop.transport.boundAddresses[i], &err.writer)
            err.writer.text(" (profile ")
            err.writer.text(ActiveProfile.name)
            err.writer.text(", node ")
            err.writer.name(flags.nodeId)
            err.writer.text(flags.listenerAccess[i].readOnly ? ", read-only)\n" : ")\n")
            loop.gateway.access[i] = flags.listenerAccess[i]
            if flags.listenerAccess[i].allowCount == 0 && !DaemonFlags.isLoopback(loop.transport.boundAddresses[i]) {
                err.always(.warning, reserving: 256)
                err.writer.text("outpost: warning: plain CoAP on ")
                writeAddress(loop.transport.boundAddresses[i], &err.writer)
                err.writer.text(" has no allow-list: any host that reaches it may post readings (add ,allow=CIDR or ,read-only, or use --listen-dtls; docs/SECURITY.md)\n")
            }
        }
        loop.gateway.core.server.fairness = flags.fairness
        #if !OUTPOST_PROFILE_LOW
        if flags.imageMaxBytes >= 0 { loop.gateway.core.server.setImageLimit(bytes: Int(truncatingIfNeeded: flags.imageMaxBytes)) }
        #endif
        if loop.web.enabled {
            if flags.httpTokenFile.count > 0 && !readToken(flags.httpTokenFile, into: &loop, err: &err) {
                loop.closeAll()
                return 2
            }
            err.always(.notice, reserving: 256)
            err.writer.text("outpost: HTTP on ")
            writeAddress(loop.web.bound, &err.writer)
            err.writer.text(": dashboard at http://")
            writeAddress(loop.web.bound, &err.writer)
            err.writer.text(flags.httpTokenFile.count > 0 ? "/ (commands need the bearer token)\n" : "/ (commands off: no --http-token-file)\n")
        }
        for i in 0..<loop.serial.lineCount {
            err.always(.notice)
            err.writer.text("outpost: serial ")
            err.writer.raw(loop.serial.lines[i].pathText)
            err.writer.text(loop.serial.lines[i].framing == .slip ? " slip " : " line ")
            err.writer.integer(loop.serial.lines[i].baud.wide)
            err.writer.text(loop.serial.lines[i].fd >= 0 ? " open\n" : " not there yet (retrying)\n")
        }
        loop.warmUp(nowMs: chal_wall_ms())
        loop.supervision.config = config
        loop.supervision.running = flags
        if config.hasFile {
            err.always(.notice, reserving: 512)
            err.writer.text("outpost: configuration ")
            err.writer.raw(UnsafeRawBufferPointer(rebasing: config.path.prefix(200)))
            err.writer.text(" (SIGHUP reads it again)\n")
        }
        loop.notifier = ServiceNotifier(arena: &arena, nowNs: chal_monotonic_ns())
        if loop.notifier.openError != 0 {
            err.always(.warning)
            err.writer.text("outpost: NOTIFY_SOCKET: ")
            if loop.notifier.openError == CHAL_EINVAL {
                err.writer.text("not an absolute path or @name, or longer than 107 bytes")
            } else {
                Errno.describe(loop.notifier.openError.wide, &err.writer)
            }
            err.writer.text(" (running without service manager notifications)\n")
        }
        err.always(.notice, reserving: 128)
        err.writer.text("outpost: ready (arena ")
        err.writer.integer(arena.usedBytes.wide)
        err.writer.text(" of ")
        err.writer.integer(arena.sizeBytes.wide)
        err.writer.text(" bytes)\n")
        err.flush()
        out.flush()
        chal_startup_complete()
        loop.notifyReady()
        loop.run(log: &err)
        loop.notifyStopping()
        loop.notifier.close()
        chal_shutdown_begin()
        if loop.store.failure != 0 {
            // Fail-stop: a failed write or fdatasync may have lost pages; retrying would lie.
            loop.files.writePathLine(&err, "", level: .error)
            err.writer.text(loop.store.failedWhat)
            err.writer.text(" failed: ")
            Errno.describe(loop.store.failure.wide, &err.writer)
            err.writer.text(" (fail-stop: exiting; the log is recovered on the next start)\n")
            err.flush()
            loop.closeAll()
            return 1
        }
        loop.writeDTLSSummary(&err)
        loop.closeAll()
        writeSummary(loop, &err)
        return 0
    }

    /// Rebuilds `/sensors` and `/alerts` from the log just opened, and says what it found.
    static func restoreState(_ loop: inout EventLoop<ActiveProfile>, _ err: inout Console) {
        if loop.store.source == nil { return }
        let complete = loop.gateway.core.store.restore(into: &loop.gateway.core.server, nowMs: chal_wall_ms())
        var open = 0
        for i in 0..<loop.server.pipeline.sensors.count { open += loop.server.pipeline.alerts.state(sensor: i).activeMask.nonzeroBitCount }
        let c = loop.server.counters
        err.always(.notice, reserving: 256)
        err.writer.text("outpost: restored ")
        err.writer.integer(loop.server.pipeline.sensors.count.wide)
        err.writer.text(" sensors from ")
        err.writer.unsigned(c.restoredReadings)
        err.writer.text(" readings and ")
        err.writer.unsigned(c.restoredAlerts)
        err.writer.text(" alert events (")
        err.writer.integer(open.wide)
        err.writer.text(" alerts open, ")
        err.writer.unsigned(c.restoreSkipped)
        err.writer.text(" records skipped, ")
        err.writer.integer(loop.server.commands.count.wide)
        err.writer.text(" commands pending)")
        err.writer.text(complete ? "\n" : "; a log read failed, the rest was not restored\n")
        err.flush()
    }

    /// One line at exit: why, and what passed through.
    static func writeSummary(_ loop: EventLoop<ActiveProfile>, _ err: inout Console) {
        let s = loop.server.counters
        let l = loop.gateway.counters
        err.always(.notice, reserving: 768)
        err.writer.text("outpost: stopped by ")
        err.writer.text(loop.stopSignal == CHAL_SIGINT ? "SIGINT" : "SIGTERM")
        err.writer.text(": ticks=")
        err.writer.unsigned(l.ticks)
        err.writer.text(" datagrams=")
        err.writer.unsigned(l.datagrams)
        err.writer.text(" responses=")
        err.writer.unsigned(s.responses)
        err.writer.text(" readings=")
        err.writer.unsigned(s.readingsReceived)
        err.writer.text(" accepted=")
        err.writer.unsigned(loop.server.pipeline.counters.readingsAccepted)
        err.writer.text(" sent=")
        err.writer.unsigned(loop.gateway.send.counters.sent)
        err.writer.text(" send_dropped=")
        err.writer.unsigned(loop.gateway.send.counters.dropped)
        err.writer.text(" truncated=")
        err.writer.unsigned(l.truncated)
        err.writer.byte(0x0A)
        if let store = loop.store.store {
            err.always(.notice)
            err.writer.text("outpost: log: last_sequence=")
            err.writer.unsigned(store.lastWrittenSequence)
            err.writer.text(" durable=")
            err.writer.unsigned(store.durableSequence)
            err.writer.text(" syncs=")
            err.writer.unsigned(store.counters.syncs)
            err.writer.text(" dropped_readings=")
            err.writer.unsigned(store.counters.droppedReadings)
            err.writer.text(" not_logged=")
            err.writer.unsigned(loop.store.notLogged)
            err.writer.text(" withheld_responses=")
            err.writer.unsigned(loop.gateway.counters.withheldResponses)
            err.writer.text(" withheld_serial_bytes=")
            // (The attachment's count includes the DTLS queue's, which its own exit line reports.)
            err.writer.unsigned(loop.gateway.counters.withheldAttachmentBytes &- UInt64(bitPattern: loop.dtls.queue.withheldBytes.wide))
            if let uplink = loop.store.uplink {
                err.writer.text(" uplink_cursor=")
                err.writer.unsigned(uplink.cursor)
                err.writer.text(" forwarded=")
                err.writer.unsigned(uplink.counters.recordsForwarded)
            }
            err.writer.byte(0x0A)
        }
        for i in 0..<loop.serial.lineCount {
            let c = loop.serial.lines[i].counters
            err.always(.notice, reserving: 768)
            err.writer.text("outpost: serial ")
            err.writer.raw(loop.serial.lines[i].pathText)
            err.writer.text(": opens=")
            err.writer.unsigned(c.opens)
            err.writer.text(" losses=")
            err.writer.unsigned(c.losses)
            err.writer.text(" frames=")
            err.writer.unsigned(c.frames)
            err.writer.text(" bad_escapes=")
            err.writer.unsigned(loop.serial.lines[i].decoder.badEscapeCount)
            err.writer.text(" oversize=")
            err.writer.unsigned(loop.serial.lines[i].decoder.oversizeCount)
            err.writer.text(" lines=")
            err.writer.unsigned(c.lines)
            err.writer.text(" accepted=")
            err.writer.unsigned(c.linesAccepted)
            err.writer.text(" invalid=")
            err.writer.unsigned(c.linesInvalid)
            err.writer.text(" too_long=")
            err.writer.unsigned(c.linesTooLong)
            err.writer.byte(0x0A)
        }
    }

    /// Reads the bearer token of `POST /api/sensors/{id}/command` from `path` (not NUL-terminated).
    /// False, with a message, when the file cannot be read or holds no usable token.
    static func readToken(_ path: UnsafeRawBufferPointer, into loop: inout EventLoop<ActiveProfile>, err: inout Console) -> Bool {
        var name = InlineArray<512, UInt8>(repeating: 0)
        var text = InlineArray<256, UInt8>(repeating: 0)
        for i in 0..<min(path.count, 511) { name[i] = path[i] }
        let fd = withUnsafeBytes(of: &name) { raw in
            chal_open(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: CHAL_OPEN_READ))
        }
        var count: Int64 = fd.wide
        if fd >= 0 {
            count = withUnsafeMutableBytes(of: &text) { raw in chal_read(fd, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), 256) }
            _ = chal_close(fd)
        }
        if count < 0 {
            err.always(.error, reserving: 768)
            err.writer.text("outpost: --http-token-file '")
            err.writer.jsonEscaped(UnsafeRawBufferPointer(rebasing: path.prefix(200)))
            err.writer.text("': ")
            Errno.describe(count, &err.writer)
            err.writer.byte(0x0A)
            err.flush()
            return false
        }
        let accepted = withUnsafeBytes(of: &text) { raw in
            loop.web.site!.setToken(UnsafeRawBufferPointer(rebasing: raw[0..<count.narrow]))
        }
        if !accepted || count == 256 {
            err.always(.error, reserving: 768)
            err.writer.text("outpost: --http-token-file '")
            err.writer.jsonEscaped(UnsafeRawBufferPointer(rebasing: path.prefix(200)))
            err.writer.text("': wants one token of 1 to 128 printable ASCII bytes without blanks (a line end after it is fine)\n")
            err.flush()
            return false
        }
        return true
    }

    /// Opens directory `path` (not NUL-terminated) for reading: a descriptor or a negative errno.
    static func openDirectory(_ path: UnsafeRawBufferPointer) -> Int32 {
        var text = InlineArray<512, UInt8>(repeating: 0)
        if path.count >= 512 { return CHAL_ENAMETOOLONG }
        for i in 0..<path.count { text[i] = path[i] }
        return withUnsafeBytes(of: &text) { raw in
            chal_open(raw.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: CHAL_OPEN_READ))
        }
    }

    /// `1.2.3.4:5683` or `[::1]:5683`.
    static func writeAddress(_ address: chal_address, _ writer: inout TextWriter) {
        var copy = address
        var text = InlineArray<64, UInt8>(repeating: 0)
        let length = withUnsafeMutableBytes(of: &text) { raw in
            chal_address_format(&copy, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), 64)
        }
        if length <= 0 {
            writer.text("?")
            return
        }
        withUnsafeBytes(of: &text) { raw in writer.raw(UnsafeRawBufferPointer(rebasing: raw[0..<Int(length)])) }
    }

    /// Errno names for start-up failures (the common ones of sockets and devices).
    static func describe(_ negativeErrno: Int32, _ writer: inout TextWriter) {
        switch -negativeErrno {
        case -CHAL_EADDRINUSE: writer.text("address already in use")
        case -CHAL_EADDRNOTAVAIL: writer.text("address not available")
        case -CHAL_EAFNOSUPPORT: writer.text("address family not supported")
        default: Errno.describe(negativeErrno.wide, &writer)
        }
    }
}
