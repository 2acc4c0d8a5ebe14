import CHAL
import OutpostCore

// The glue between the MQTT upstream and command handling, kept in one place so it can be
// re-pointed: commands the MQTT client received (`MQTTCommandInbox`) go to the command queue the
// HTTP command endpoint fills (`SensorCommandQueue`, which needs the server's sensor table), and
// each one's outcome is published on `<prefix>/<node>/command/<sensor>/ack`
// (`MQTTClient.publishCommandAck`). Delivering the queued commands to the devices is the queue's
// business, not this file's.

extension EventLoop {
    /// Hands the received commands on and answers each; runs after the tick.
    /// - Complexity: O(inbox capacity × command queue capacity)
    mutating func routeMQTTCommands(nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        if gateway.attachment.mqtt.inbox.count == 0 { return }
        for i in 0..<gateway.attachment.mqtt.inbox.count {
            let (entry, payload) = gateway.attachment.mqtt.inbox.entry(i)
            var outcome: SensorCommandOutcome = .tooLarge
            var queued = false
            if entry.payloadCount >= 0, gateway.attachment.web.site != nil {
                outcome = gateway.attachment.web.site!.commands.enqueue(
                    sensor: entry.sensor, in: gateway.core.server.pipeline.sensors, payload: payload, nowMs: nowMs)
                queued = true
            }
            var w = TextWriter(buffer: gateway.attachment.mqtt.ackBody)
            if queued && outcome == .accepted {
                w.text("{\"status\":\"queued\",\"id\":")
                w.unsigned(UInt64(bitPattern: (gateway.attachment.web.site!.commands.acceptedTotal &- 1).wide))
                w.text("}")
            } else {
                w.text("{\"status\":\"refused\",\"reason\":\"")
                if !queued && entry.payloadCount >= 0 {
                    w.text("no_queue")
                } else {
                    switch outcome {
                    case .full: w.text("full")
                    case .unknown: w.text("unknown_sensor")
                    case .tooLarge, .accepted: w.text("too_large")
                    }
                }
                w.text("\"}")
            }
            _ = gateway.attachment.mqtt.client?.publishCommandAck(sensor: entry.sensor, body: w.bytes)
        }
        gateway.attachment.mqtt.inbox.clear()
        #endif
    }
}
