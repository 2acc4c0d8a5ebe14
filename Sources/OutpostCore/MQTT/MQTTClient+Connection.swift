extension MQTTClient {
    /// Runs the client once: connection steps and timers, reads every packet the link has,
    /// publishes what the window, the rate limit and the output queue allow, and writes.
    /// - Complexity: bounded by the input buffer, the window and `scanBudget` per call.
    public mutating func tick<S: UplinkSource, L: MQTTLink, C: MQTTCommandSink>(
        nowMs: Int64, source: inout S, link: inout L, commands: inout C
    ) {
        bucket.refill(nowMs: nowMs)
        currentLogID = source.uplinkLogID
        refreshOldestPending(source: &source)
        switch phase {
        case .down:
            if nowMs >= deadlineMs { startConnect(nowMs: nowMs, link: &link) }
        case .connecting:
            let result = link.progress()
            if result == 0 {
                sendConnect(nowMs: nowMs)
            } else if result < 0 || nowMs >= deadlineMs {
                linkFailed(nowMs: nowMs, link: &link, reachable: false)
            }
        case .awaitingConnack, .connected:
            break
        }
        if phase == .awaitingConnack || phase == .connected {
            receive(nowMs: nowMs, source: &source, link: &link, commands: &commands)
        }
        if phase == .awaitingConnack && nowMs >= deadlineMs {
            linkFailed(nowMs: nowMs, link: &link, reachable: true)
        }
        if phase == .connected {
            keepAlive(nowMs: nowMs, link: &link)
        }
        if phase == .connected {
            publishHealthIfDue(nowMs: nowMs, source: &source)
            publishRecords(nowMs: nowMs, source: &source)
        }
        if phase == .awaitingConnack || phase == .connected { flush(nowMs: nowMs, link: &link) }
    }

    /// Opens the link; a connection that completes at once sends CONNECT.
    mutating func startConnect(nowMs: Int64, link: inout some MQTTLink) {
        counters.connectAttempts &+= 1
        outStart = 0
        outEnd = 0
        inCount = 0
        pingSentMs = nil
        let result = link.open()
        if result == 0 {
            sendConnect(nowMs: nowMs)
        } else if result == MQTTLinkResult.inProgress {
            phase = .connecting
            deadlineMs = nowMs + settings.connectTimeoutMs
        } else {
            linkFailed(nowMs: nowMs, link: &link, reachable: false)
        }
    }

    /// Queues CONNECT: client id, Clean Session 0, keep alive, the retained will, credentials.
    mutating func sendConnect(nowMs: Int64) {
        var options = MQTTConnectOptions(clientID: settings.clientID, cleanSession: false, keepAliveS: settings.keepAliveS)
        let statusTopic = writeTopic("status", nil)
        options.will = MQTTWill(topic: statusTopic, message: bytes("offline"), qos: 1, retain: true)
        options.userName = settings.userName
        options.password = settings.password
        let free = UnsafeMutableRawBufferPointer(rebasing: output[outEnd...])
        do {
            outEnd += try MQTTWriter.connect(options, into: free)
        } catch {
            preconditionFailure("the output queue holds a CONNECT of the checked field sizes")
        }
        phase = .awaitingConnack
        deadlineMs = nowMs + settings.connackTimeoutMs
        lastSentMs = nowMs
    }

    /// CONNACK arrived: accepted starts the session (SUBSCRIBE, `online`, health, re-sends with
    /// DUP); a refusal is a failure with backoff.
    mutating func connackReceived(_ packet: MQTTPacket, nowMs: Int64, link: inout some MQTTLink) {
        if packet.returnCode != 0 {
            counters.lastRefusal = packet.returnCode
            linkFailed(nowMs: nowMs, link: &link, reachable: true)
            return
        }
        phase = .connected
        counters.connects &+= 1
        consecutiveFailures = 0
        sessionPresent = packet.sessionPresent
        // Subscribe every time: idempotent, and a broker that lost the session (restarted without
        // persistence) has no subscription.
        let subscribeID = takeControlID()
        let filter = writeTopic("command", "+")
        queue { buffer throws(MQTTError) in
            try MQTTWriter.subscribe(packetID: subscribeID, filter: filter, qos: 1, into: buffer)
        }
        let statusID = takeControlID()
        let online = bytes("online")
        let status = writeTopic("status", nil)
        queue { buffer throws(MQTTError) in
            try MQTTWriter.publish(topic: status, payload: online, qos: 1, dup: false, retain: true, packetID: statusID, into: buffer)
        }
        healthDueMs = nowMs
        for i in 0..<settings.window where window[i].used { window[i].resend = true }
    }

    /// A PINGREQ after `keepAliveS` without sending; no PINGRESP within another `keepAliveS`
    /// ends the connection (§3.1.2.10 gives the broker 1.5 × keep alive; the client may be as strict).
    mutating func keepAlive(nowMs: Int64, link: inout some MQTTLink) {
        let period = Int(settings.keepAliveS).wide * 1_000
        if period == 0 { return }
        if let sent = pingSentMs {
            if nowMs - sent >= period {
                counters.keepaliveTimeouts &+= 1
                linkFailed(nowMs: nowMs, link: &link, reachable: true)
            }
            return
        }
        if nowMs - lastSentMs >= period {
            if queue({ buffer throws(MQTTError) in try MQTTWriter.pingreq(into: buffer) }) {
                pingSentMs = nowMs
                counters.pings &+= 1
            }
        }
    }

    /// The connection ended or could not be made: close the link, keep the window for re-sending,
    /// and schedule the next attempt. `reachable`: the broker accepted TCP (then back off
    /// exponentially); otherwise probe again within `probeIntervalMs` + jitter.
    mutating func linkFailed(nowMs: Int64, link: inout some MQTTLink, reachable: Bool) {
        link.close()
        if phase == .connected {
            counters.disconnects &+= 1
        } else {
            counters.connectFailures &+= 1
        }
        let wasConnected = phase == .connected
        phase = .down
        outStart = 0
        outEnd = 0
        inCount = 0
        pingSentMs = nil
        for i in 0..<settings.window where window[i].used { window[i].resend = true }
        if !reachable {
            deadlineMs = nowMs + settings.probeIntervalMs + random.upTo(settings.probeJitterMs)
            return
        }
        // A connection that was up and then lost (the broker restarted) is retried like an
        // unreachable broker at first: the backoff grows only over failures in a row.
        if wasConnected && consecutiveFailures == 0 {
            consecutiveFailures = 1
            deadlineMs = nowMs + random.upTo(settings.probeIntervalMs)
            return
        }
        consecutiveFailures += 1
        var delay = settings.backoffBaseMs
        // At most 40 doublings: beyond that every delay is the cap.
        for _ in 1..<min(consecutiveFailures, 40) {
            delay *= 2
            if delay >= settings.backoffCapMs { break }
        }
        delay = min(delay, settings.backoffCapMs)
        let half = delay / 2
        deadlineMs = nowMs + delay - half + random.upTo(half)
    }

    /// Writes queued output until the link would block; an error ends the connection.
    mutating func flush(nowMs: Int64, link: inout some MQTTLink) {
        // Each pass writes some bytes or stops; bounded by the queue size.
        for _ in 0..<64 {
            if outStart >= outEnd { break }
            let written = link.write(UnsafeRawBufferPointer(rebasing: output[outStart..<outEnd]))
            if written == MQTTLinkResult.wouldBlock { break }
            if written <= 0 {
                linkFailed(nowMs: nowMs, link: &link, reachable: true)
                return
            }
            outStart += written
            lastSentMs = nowMs
            counters.bytesOut &+= UInt64(bitPattern: written.wide)
        }
        if outStart == outEnd {
            outStart = 0
            outEnd = 0
        }
    }

    /// Writes one packet at the end of the output queue (moving pending bytes to the front when
    /// that makes room). Returns false when it does not fit now.
    @discardableResult
    mutating func queue(_ body: (UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int) -> Bool {
        for attempt in 0..<2 {
            do {
                outEnd += try body(UnsafeMutableRawBufferPointer(rebasing: output[outEnd...]))
                return true
            } catch {
                if attempt == 1 || outStart == 0 { return false }
                compactOutput()
            }
        }
        return false
    }

    mutating func compactOutput() {
        let pending = outEnd - outStart
        if pending > 0 && outStart > 0 {
            UnsafeMutableRawBufferPointer(rebasing: output[0..<pending]).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: output[outStart..<outEnd]))
        }
        outStart = 0
        outEnd = pending
    }

    /// Packet ids of status, health and SUBSCRIBE: 32 768…65 535, apart from the records'.
    mutating func takeControlID() -> UInt16 {
        let id = nextControlID
        nextControlID = nextControlID == 0xFFFF ? 0x8000 : nextControlID &+ 1
        return id
    }

    /// `<prefix>/<node>/<first>[/<second>]` in the topic scratch.
    mutating func writeTopic(_ first: StaticString, _ second: StaticString?) -> UnsafeRawBufferPointer {
        var out = TextWriter(buffer: topic)
        out.raw(settings.prefix)
        out.byte(0x2F)
        out.name(settings.nodeId)
        out.byte(0x2F)
        out.text(first)
        if let second {
            out.byte(0x2F)
            out.text(second)
        }
        precondition(!out.overflowed, "the topic scratch holds prefix, node and suffix")
        return out.bytes
    }

    func bytes(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }
}
