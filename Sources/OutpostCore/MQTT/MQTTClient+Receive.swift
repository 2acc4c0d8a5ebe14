extension MQTTClient {
    /// Reads what the link has and handles every whole packet. The link closing, a read error or
    /// a packet that breaks MQTT 3.1.1 ends the connection.
    mutating func receive<S: UplinkSource, L: MQTTLink, C: MQTTCommandSink>(
        nowMs: Int64, source: inout S, link: inout L, commands: inout C
    ) {
        // At most 16 reads per call: the input buffer bounds each.
        for _ in 0..<16 {
            if phase != .awaitingConnack && phase != .connected { return }
            if inCount == input.count {
                // A packet larger than the input buffer cannot be taken.
                counters.protocolErrors &+= 1
                linkFailed(nowMs: nowMs, link: &link, reachable: true)
                return
            }
            let read = link.read(into: UnsafeMutableRawBufferPointer(rebasing: input[inCount...]))
            if read == MQTTLinkResult.wouldBlock { return }
            if read <= 0 {
                linkFailed(nowMs: nowMs, link: &link, reachable: phase == .connected || read == 0)
                return
            }
            counters.bytesIn &+= UInt64(bitPattern: read.wide)
            inCount += read
            if !handleBuffered(nowMs: nowMs, source: &source, link: &link, commands: &commands) { return }
        }
    }

    /// Handles the whole packets at the front of the input and keeps the rest. Returns false when
    /// the connection ended.
    mutating func handleBuffered<S: UplinkSource, L: MQTTLink, C: MQTTCommandSink>(
        nowMs: Int64, source: inout S, link: inout L, commands: inout C
    ) -> Bool {
        var at = 0
        // Each pass consumes one packet of at least two bytes.
        for _ in 0..<(input.count / 2 + 1) {
            let rest = UnsafeRawBufferPointer(rebasing: input[at..<inCount])
            let length: Int?
            do { length = try MQTTReader.frameLength(rest) } catch {
                counters.protocolErrors &+= 1
                linkFailed(nowMs: nowMs, link: &link, reachable: true)
                return false
            }
            guard let length else { break }
            if length > input.count {
                counters.protocolErrors &+= 1
                linkFailed(nowMs: nowMs, link: &link, reachable: true)
                return false
            }
            if length > rest.count { break }
            let frame = UnsafeRawBufferPointer(rebasing: rest[0..<length])
            let packet: MQTTPacket
            do { packet = try MQTTReader.decode(frame) } catch {
                counters.protocolErrors &+= 1
                linkFailed(nowMs: nowMs, link: &link, reachable: true)
                return false
            }
            if !handle(packet, frame: frame, nowMs: nowMs, link: &link, commands: &commands) { return false }
            at += length
        }
        if at > 0 {
            let left = inCount - at
            if left > 0 {
                UnsafeMutableRawBufferPointer(rebasing: input[0..<left]).copyMemory(from: UnsafeRawBufferPointer(rebasing: input[at..<inCount]))
            }
            inCount = left
        }
        return true
    }

    /// One packet from the broker. Returns false when it ended the connection.
    mutating func handle<L: MQTTLink, C: MQTTCommandSink>(
        _ packet: MQTTPacket, frame: UnsafeRawBufferPointer, nowMs: Int64, link: inout L, commands: inout C
    ) -> Bool {
        if phase == .awaitingConnack {
            if packet.type != .connack {
                // §3.2: the first packet from the server is CONNACK.
                counters.protocolErrors &+= 1
                linkFailed(nowMs: nowMs, link: &link, reachable: true)
                return false
            }
            connackReceived(packet, nowMs: nowMs, link: &link)
            return phase == .connected
        }
        switch packet.type {
        case .puback:
            acknowledge(packet.packetID)
        case .pingresp:
            pingSentMs = nil
        case .suback:
            break
        case .publish:
            commandReceived(packet, frame: frame, nowMs: nowMs, commands: &commands)
        default:
            // CONNACK twice, QoS 2 flows we never start, client-to-server packets.
            counters.protocolErrors &+= 1
            linkFailed(nowMs: nowMs, link: &link, reachable: true)
            return false
        }
        return true
    }

    /// A PUBLISH from the broker: a command when its topic is `<prefix>/<node>/command/<sensor>`
    /// (the only filter subscribed). A command the sink keeps for the host is acknowledged by the
    /// host (`acknowledgeCommand`) once its record is committed; anything else the sink did not
    /// refuse is acknowledged (QoS 1) at once.
    mutating func commandReceived<C: MQTTCommandSink>(_ packet: MQTTPacket, frame: UnsafeRawBufferPointer, nowMs: Int64, commands: inout C) {
        let topicBytes = UnsafeRawBufferPointer(rebasing: frame[packet.topicStart..<(packet.topicStart + packet.topicCount)])
        let expected = writeTopic("command", nil)
        var take = MQTTCommandTake.acknowledgeNow
        var matches = topicBytes.count > expected.count + 1 && topicBytes[expected.count] == 0x2F
        if matches {
            for i in 0..<expected.count where topicBytes[i] != expected[i] { matches = false }
        }
        if matches {
            let sensor = UnsafeRawBufferPointer(rebasing: topicBytes[(expected.count + 1)...])
            // One level only: `/` in the rest is another topic (an ack echoed back, for one).
            var oneLevel = true
            for i in 0..<sensor.count where sensor[i] == 0x2F { oneLevel = false }
            if oneLevel {
                counters.commandsReceived &+= 1
                let body = UnsafeRawBufferPointer(rebasing: frame[packet.payloadStart..<(packet.payloadStart + packet.payloadCount)])
                take = commands.mqttCommand(
                    sensor: sensor, payload: body, packetID: packet.qos == 1 ? packet.packetID : nil, connection: connection,
                    nowMs: nowMs)
                if take == .refused { counters.commandsRefused &+= 1 }
            }
        }
        if take == .acknowledgeNow && packet.qos == 1 {
            let id = packet.packetID
            queue { buffer throws(MQTTError) in try MQTTWriter.puback(packetID: id, into: buffer) }
        }
    }

    /// Acknowledges (PUBACK) the command PUBLISH `packetID` received on connection `connection`,
    /// once the host made it durable. Returns false when it was not queued: the connection it
    /// came on has ended (the broker delivers it again, with DUP, on the next one: the host then
    /// holds it twice, which is why a command's record carries its own id) or the output queue
    /// has no room (the same re-delivery follows when the connection ends).
    /// - Complexity: O(1)
    public mutating func acknowledgeCommand(packetID: UInt16, connection: UInt64) -> Bool {
        if phase != .connected || connection != self.connection { return false }
        let queued = queue { buffer throws(MQTTError) in try MQTTWriter.puback(packetID: packetID, into: buffer) }
        if queued { counters.commandsAcknowledged &+= 1 }
        return queued
    }

    /// A PUBACK: frees the record's window slot and moves the cursor. An id not in the window
    /// (status, health, a late duplicate) is ignored.
    mutating func acknowledge(_ id: UInt16) {
        for i in 0..<settings.window where window[i].used && window[i].packetID == id {
            window[i].used = false
            counters.acked &+= 1
            counters.recordsAcked &+= UInt64(bitPattern: Int(window[i].count).wide)
            advanceCursor()
            return
        }
    }

    /// cursor = min(position, every unacknowledged sequence − 1).
    mutating func advanceCursor() {
        var next = position
        for i in 0..<settings.window where window[i].used && window[i].sequence &- 1 < next { next = window[i].sequence &- 1 }
        if next > cursor {
            cursor = next
            cursorChanged = true
            oldestPendingMs = nil
        }
    }
}
