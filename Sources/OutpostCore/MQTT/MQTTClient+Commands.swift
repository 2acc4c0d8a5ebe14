extension MQTTClient {
    /// Publishes `body` as the answer to a command for `sensor`, on
    /// `<prefix>/<node>/command/<sensor>/ack` (QoS 1, not retained; docs/MQTT.md §5). Returns false
    /// when it was not queued (not connected, or no room in the output queue now): the host may
    /// drop it (an ack is informational, the command itself was handled).
    /// - Complexity: O(topic + body)
    public mutating func publishCommandAck(sensor: SensorName, body: UnsafeRawBufferPointer) -> Bool {
        precondition(body.count <= MQTTSettings.payloadBytes, "an ack fits the payload scratch")
        if phase != .connected { return false }
        if output.count - (outEnd - outStart) < MQTTSettings.packetBytesMax { return false }
        var out = TextWriter(buffer: topic)
        out.raw(settings.prefix)
        out.byte(0x2F)
        out.name(settings.nodeId)
        out.text("/command/")
        out.name(sensor)
        out.text("/ack")
        precondition(!out.overflowed, "the topic scratch holds prefix, node, sensor and suffix")
        let topicBytes = out.bytes
        let id = takeControlID()
        let queued = queue { buffer throws(MQTTError) in
            try MQTTWriter.publish(topic: topicBytes, payload: body, qos: 1, dup: false, retain: false, packetID: id, into: buffer)
        }
        if queued { counters.commandAcks &+= 1 }
        return queued
    }
}
