import CHAL
import OutpostCore

// The `coaps` listener in the loop: set-up, the key file read again on SIGHUP and the exit line.
// Its part of each tick (datagrams in, answers out after the commit) is DTLSListener+Attachment.swift.

extension EventLoop {
    /// Room in the DTLS queue for the Observe notifications of one tick besides a batch of answers.
    static var dtlsNotificationReserve: Int { max(8, P.observerCount * 2) }

    /// Opens the DTLS listener of `flags` and loads its key file. False (with a message on `err`)
    /// when it cannot: this profile has no DTLS, the build has no TLS, the socket or the file failed.
    mutating func setUpDTLS(flags: DaemonFlags, arena: inout Arena, err: inout Console) -> Bool {
        if P.dtlsSessionCount == 0 || chal_tls_available() == 0 {
            err.always(.error)
            err.writer.text("outpost: --listen-dtls: the ")
            err.writer.text(P.name)
            err.writer.text(" profile has no DTLS (mbedTLS does not fit its size budget; docs/SECURITY.md)\n")
            err.flush()
            return false
        }
        var d = DTLSListener()
        d.keys = PSKTable(storage: UnsafeMutableRawBufferPointer(arena.carve(PSKTable.storageBytes(capacity: P.pskIdentityCount), of: UInt8(0))))
        d.path = UnsafeMutableRawBufferPointer(arena.carve(flags.pskFile.count + 1, of: UInt8(0)))
        for i in 0..<flags.pskFile.count { d.path[i] = flags.pskFile[i] }
        d.text = UnsafeMutableRawBufferPointer(arena.carve(DTLSListener.keyFileBytes(identities: P.pskIdentityCount), of: UInt8(0)))
        d.plaintext = UnsafeMutableRawBufferPointer(arena.carve(P.maxDatagramBytes + 1, of: UInt8(0)))
        // One batch of answers plus the notifications the server's tick may route here.
        d.status = arena.carve(1, of: ServerDTLSStatus()).baseAddress
        d.queue = DTLSQueue(slots: P.batchSize + EventLoop.dtlsNotificationReserve, datagramBytes: P.maxDatagramBytes, arena: &arena)
        d.slots = arena.carve(P.batchSize, of: chal_datagram())
        for i in 0..<P.batchSize {
            // The size of a plain datagram's buffer, one byte more than the largest datagram, so
            // an oversize one is seen as such (docs/SECURITY.md "Sizes").
            d.slots[i].buffer = arena.carve(P.maxDatagramBytes + 1, of: UInt8(0)).baseAddress
            d.slots[i].capacity = Int32(truncatingIfNeeded: P.maxDatagramBytes + 1)
        }
        var address = flags.dtlsListener
        let fd = chal_udp_open(&address, UDPTransport.receiveBufferBytes)
        if fd < 0 {
            err.always(.error)
            err.writer.text("outpost: cannot start: listen-dtls ")
            Daemon.writeAddress(flags.dtlsListener, &err.writer)
            err.writer.text(": ")
            Errno.describe(fd.wide, &err.writer)
            err.writer.byte(0x0A)
            err.flush()
            return false
        }
        d.fd = fd
        if chal_udp_local_address(fd, &d.bound) != 0 { d.bound = address }
        var config = chal_dtls_server_config()
        config.max_sessions = Int32(truncatingIfNeeded: P.dtlsSessionCount)
        let opened = chal_dtls_server_open(&config, fd)
        if opened < 0 {
            err.always(.error)
            err.writer.text("outpost: cannot start the DTLS server: ")
            Errno.describe(opened.wide, &err.writer)
            err.writer.byte(0x0A)
            err.flush()
            _ = chal_close(fd)
            return false
        }
        d.enabled = true
        dtls = d
        if let status = d.status { gateway.core.server.dtlsStatus = UnsafePointer(status) }
        do {
            _ = try dtls.loadKeys()
        } catch {
            writeKeyFailure(error, level: .error, suffix: "\n", &err)
            return false
        }
        err.always(.notice, reserving: 512)
        err.writer.text("outpost: listening (coaps, DTLS 1.2 PSK) on ")
        Daemon.writeAddress(dtls.bound, &err.writer)
        err.writer.text(" with ")
        err.writer.integer(dtls.keys.count.wide)
        err.writer.text(" identities from ")
        err.writer.raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(dtls.path)[0..<min(200, dtls.path.count - 1)]))
        err.writer.text(" (at most ")
        err.writer.integer(P.dtlsSessionCount.wide)
        err.writer.text(" sessions)\n")
        err.flush()
        return true
    }

    /// `outpost: psk file FILE[:LINE]: reason` for a key file that could not be used.
    func writeKeyFailure(_ failure: DTLSListener.KeyFailure, level: LogLevel, suffix: StaticString, _ err: inout Console) {
        err.always(level, reserving: 768)
        err.writer.text("outpost: psk file ")
        err.writer.raw(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(dtls.path)[0..<min(200, max(0, dtls.path.count - 1))]))
        switch failure {
        case .unreadable(let errno):
            err.writer.text(": cannot read it: ")
            Errno.describe(errno, &err.writer)
        case .tooLarge:
            err.writer.text(": larger than ")
            err.writer.integer((dtls.text.count - 1).wide)
            err.writer.text(" bytes (the profile's key table holds ")
            err.writer.integer(P.pskIdentityCount.wide)
            err.writer.text(" identities)")
        case .refused(let error):
            err.writer.byte(0x3A)
            err.writer.integer(error.line.wide)
            err.writer.text(": ")
            err.writer.text(error.text)
            if error.reason == .tooManyIdentities {
                err.writer.text(" (")
                err.writer.integer(P.pskIdentityCount.wide)
                err.writer.text(" in this profile)")
            }
        case .chal(let status):
            err.writer.text(": CHAL refused a key: ")
            Errno.describe(status.wide, &err.writer)
        }
        err.writer.text(suffix)
        err.flush()
    }

    /// SIGHUP: reads the key file again; a refused file leaves the keys in force.
    mutating func reloadKeys(log: inout Console) {
        do {
            let closed = try dtls.loadKeys()
            dtls.counters.keyReloads &+= 1
            if log.begin(.notice) {
                log.writer.text("outpost: psk file reloaded: ")
                log.writer.integer(dtls.keys.count.wide)
                log.writer.text(" identities (")
                log.writer.integer(closed.wide)
                log.writer.text(" sessions closed: their clients handshake again)\n")
                log.flush()
            }
        } catch {
            dtls.counters.keyReloadsRefused &+= 1
            writeKeyFailure(error, level: .warning, suffix: " (reload refused: the keys in force stay)\n", &log)
        }
    }
}

extension EventLoop {
    /// `outpost: dtls: …` at exit: what the listener and CHAL's DTLS server counted (written
    /// before the server is closed, which forgets its counters).
    func writeDTLSSummary(_ err: inout Console) {
        if P.dtlsSessionCount == 0 || !dtls.enabled { return }
        let c = dtls.chalCounters()
        err.always(.notice, reserving: 512)
        err.writer.text("outpost: dtls: datagrams=")
        err.writer.unsigned(dtls.counters.datagrams)
        err.writer.text(" messages=")
        err.writer.unsigned(dtls.counters.messages)
        err.writer.text(" cookies=")
        err.writer.unsigned(c[0])
        err.writer.text(" handshakes=")
        err.writer.unsigned(c[1])
        err.writer.text(" handshake_failures=")
        err.writer.unsigned(c[2])
        err.writer.text(" dropped=")
        err.writer.unsigned(c[3])
        err.writer.text(" refused=")
        err.writer.unsigned(c[4])
        err.writer.text(" evicted=")
        err.writer.unsigned(c[5])
        err.writer.text(" closed_by_peer=")
        err.writer.unsigned(c[6])
        err.writer.text(" resumed=")
        err.writer.unsigned(c[7])
        err.writer.text(" forbidden=")
        err.writer.unsigned(server.counters.forbiddenWrites)
        err.writer.text(" key_reloads=")
        err.writer.unsigned(dtls.counters.keyReloads)
        err.writer.text(" key_reloads_refused=")
        err.writer.unsigned(dtls.counters.keyReloadsRefused)
        err.writer.text(" withheld=")
        err.writer.integer(dtls.queue.withheld.wide)
        err.writer.text(" queue_full=")
        err.writer.unsigned(dtls.counters.queueFull &+ UInt64(bitPattern: dtls.queue.noRoom.wide))
        err.writer.text(" send_failures=")
        err.writer.integer(dtls.queue.sendFailures.wide)
        err.writer.byte(0x0A)
    }
}

extension EventLoop {
    /// The listener's figures for `/health` and `/metrics` (CHAL's session counts and counters).
    func dtlsStatus() -> ServerDTLSStatus {
        var s = ServerDTLSStatus()
        if P.dtlsSessionCount == 0 || !dtls.enabled { return s }
        s.enabled = true
        s.sessionCapacity = P.dtlsSessionCount
        var established: Int32 = 0
        let open = chal_dtls_session_count(DTLSListener.server, &established)
        s.sessionsOpen = Int(max(0, open))
        s.sessionsEstablished = Int(max(0, established))
        let c = dtls.chalCounters()
        s.cookiesSent = c[0]
        s.handshakesDone = c[1]
        s.handshakesFailed = c[2]
        s.recordsDropped = c[3]
        s.refused = c[4]
        s.evicted = c[5]
        s.closedByPeer = c[6]
        s.handshakesResumed = c[7]
        return s
    }
}
