import CHAL
import OutpostCore

// The glue between the MQTT upstream and the command queue, kept in one place: commands the MQTT
// client received (`MQTTCommandInbox`) go to the server's one command queue
// (`Server.enqueueCommand`, the same entry point as HTTP), and what becomes of each — queued or
// refused at once, delivered or expired later (the queue's end-event ring) — is published on
// `<prefix>/<node>/command/<sensor>/ack` (docs/MQTT.md §5). Delivering commands to the devices is
// the queue's business, not this file's.

extension EventLoop {
    /// Hands the received commands on, answers each, then publishes the queue's new end events;
    /// runs after the tick. Every command of the turn is queued first, the log is committed once
    /// (their *accepted* records with it), and only then does each get its PUBACK and its answer:
    /// the broker forgets a command at its PUBACK, so the PUBACK never leaves before the
    /// command's record is durable. When the commit fails nothing is acknowledged: the broker
    /// delivers the commands again on the next connection.
    /// - Complexity: O(inbox capacity × command slots + new end events)
    mutating func routeMQTTCommands(nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        let received = gateway.attachment.mqtt.inbox.count
        if received > 0 {
            precondition(received <= DaemonMQTT.inboxCapacity, "the inbox holds at most its capacity")
            var results = InlineArray<8, SensorCommandEnqueueResult>(repeating: SensorCommandEnqueueResult(outcome: .tooLarge))
            var accepted = false
            for i in 0..<received {
                let (entry, payload) = gateway.attachment.mqtt.inbox.entry(i)
                if entry.payloadCount >= 0 {
                    results[i] = gateway.core.server.enqueueCommand(
                        sensor: entry.sensor, payload: payload, contentFormat: Self.commandContentFormat(payload),
                        origin: .mqtt, nowMs: nowMs)
                    if results[i].outcome == .accepted { accepted = true }
                }
            }
            // One commit for the turn's commands (per the durability policy, as HTTP's 202 waits for it).
            let committed = !accepted || gateway.core.commitCommands(nowMs: nowMs)
            for i in 0..<received {
                let (entry, _) = gateway.attachment.mqtt.inbox.entry(i)
                let result = results[i]
                if result.outcome == .accepted && !committed { continue }
                if let id = entry.packetID {
                    _ = gateway.attachment.mqtt.client?.acknowledgeCommand(packetID: id, connection: entry.connection)
                }
                var w = TextWriter(buffer: gateway.attachment.mqtt.ackBody)
                if result.outcome == .accepted {
                    w.text("{\"status\":\"queued\",\"id\":")
                    w.unsigned(UInt64(bitPattern: result.id.wide))
                    w.text("}")
                } else {
                    w.text("{\"status\":\"refused\",\"reason\":\"")
                    switch result.outcome {
                    case .full: w.text("full")
                    case .unknown: w.text("unknown_sensor")
                    case .logRefusing: w.text("log_refusing")
                    case .tooLarge, .accepted: w.text("too_large")
                    }
                    w.text("\"}")
                }
                _ = gateway.attachment.mqtt.client?.publishCommandAck(sensor: entry.sensor, body: w.bytes)
            }
            gateway.attachment.mqtt.inbox.clear()
        }
        publishCommandEvents()
        refreshMQTTHealthDetail(nowMs: nowMs)
        #endif
    }

    /// Gives the client the server's part of its health message (sensors, open alerts; capped by
    /// `DaemonMQTT.healthSensorsMax` / `healthAlertsMax`), at most once a second, and has the
    /// message published at once when the sensor count or the open alerts changed.
    /// - Complexity: O(sensors × alert kinds) when due, O(1) otherwise.
    mutating func refreshMQTTHealthDetail(nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        guard gateway.attachment.mqtt.client?.healthDetailWanted(nowMs: nowMs) == true else { return }
        var out = gateway.attachment.mqtt.client!.healthDetailWriter
        let seen = gateway.core.server.writeFleetHealth(
            into: &out, sensorsMax: DaemonMQTT.healthSensorsMax, alertsMax: DaemonMQTT.healthAlertsMax)
        gateway.attachment.mqtt.client!.setHealthDetail(out, nowMs: nowMs)
        // A new sensor or a raised / cleared alert: the fleet view should not wait for the interval.
        if seen.sensors != gateway.attachment.mqtt.healthSensors || seen.alertsOpen != gateway.attachment.mqtt.healthAlertsOpen {
            gateway.attachment.mqtt.healthSensors = seen.sensors
            gateway.attachment.mqtt.healthAlertsOpen = seen.alertsOpen
            gateway.attachment.mqtt.client!.publishHealthSoon(nowMs: nowMs)
        }
        #endif
    }

    /// Publishes the command queue's end events (delivered, expired) not yet published, from the
    /// MQTT side's own cursor; stops at the first that cannot be sent now (not connected, output
    /// full) and goes on from there next time.
    /// - Complexity: O(new events), at most the ring's size per call.
    mutating func publishCommandEvents() {
        #if !OUTPOST_PROFILE_LOW
        let total = gateway.core.server.commands.eventsTotal
        let oldest = gateway.core.server.commands.oldestEventSequence
        // Events the ring overwrote before they were published are gone; go on from the oldest kept.
        if oldest &- gateway.attachment.mqtt.commandEventCursor < 0x8000_0000
            && oldest != gateway.attachment.mqtt.commandEventCursor {
            gateway.attachment.mqtt.commandEventCursor = oldest
        }
        var cursor = gateway.attachment.mqtt.commandEventCursor
        var budget = gateway.core.server.commands.eventCapacity
        while cursor != total && budget > 0 {
            budget -= 1
            guard let (event, sensor) = gateway.core.server.commandEvent(sequence: cursor) else { break }
            var w = TextWriter(buffer: gateway.attachment.mqtt.ackBody)
            w.text("{\"status\":\"")
            w.text(event.kind.name)
            w.text("\",\"id\":")
            w.unsigned(UInt64(bitPattern: event.id.wide))
            w.text(",\"via\":\"")
            w.text(event.via.name)
            w.text("\",\"time_ms\":")
            w.integer(event.timeMs)
            w.text("}")
            if gateway.attachment.mqtt.client == nil { break }
            if !gateway.attachment.mqtt.client!.publishCommandAck(sensor: sensor, body: w.bytes) { break }
            cursor &+= 1
        }
        gateway.attachment.mqtt.commandEventCursor = cursor
        #endif
    }

    /// The Content-Format a command from MQTT gets (MQTT carries none): JSON when it looks like
    /// JSON, text when every byte is printable, else octet-stream.
    static func commandContentFormat(_ payload: UnsafeRawBufferPointer) -> UInt16 {
        if let first = payload.first, first == 0x7B || first == 0x5B { return 50 }
        for byte in payload where byte < 0x20 || byte > 0x7E { return 42 }
        return 0
    }
}
