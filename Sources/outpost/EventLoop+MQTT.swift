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
    /// runs after the tick.
    /// - Complexity: O(inbox capacity × command slots + new end events)
    mutating func routeMQTTCommands(nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        let received = gateway.attachment.mqtt.inbox.count
        if received > 0 {
            for i in 0..<received {
                let (entry, payload) = gateway.attachment.mqtt.inbox.entry(i)
                var result = SensorCommandEnqueueResult(outcome: .tooLarge)
                if entry.payloadCount >= 0 {
                    result = gateway.core.server.enqueueCommand(
                        sensor: entry.sensor, payload: payload, contentFormat: Self.commandContentFormat(payload),
                        origin: .mqtt, nowMs: nowMs)
                }
                // The ack that says "queued" leaves after the command's record is committed
                // (per the durability policy), as HTTP's 202 does.
                if result.outcome == .accepted { _ = gateway.core.commitCommands(nowMs: nowMs) }
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
