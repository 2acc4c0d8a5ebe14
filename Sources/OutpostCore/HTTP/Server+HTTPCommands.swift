// `GET /api/commands` (docs/HTTP.md): the pending commands and the recent end events, and the
// media type → Content-Format mapping of `POST /api/sensors/{id}/command`.

extension Server {
    /// The command queue: `pending` (oldest first is not promised; each with its id, sensor,
    /// Content-Format, origin, time queued and size) and `events` (the end events the ring still
    /// holds, oldest first, each with its sequence: an upstream that missed some sees a gap).
    /// - Complexity: O(slots + event ring)
    func renderCommands<W: ResourceWriter>(into w: inout W) {
        w.beginMap()
        w.key("pending")
        w.beginArray()
        for slot in 0..<commands.capacity {
            let command = commands.command(at: slot)
            if command.sensor < 0 { continue }
            w.beginMap()
            w.key("id")
            w.integer(command.id.wide)
            w.key("sensor")
            w.string(pipeline.sensors.name(at: Int(command.sensor)))
            w.key("content_format")
            w.integer(command.contentFormat.wide)
            w.key("origin")
            w.string(command.origin.name)
            w.key("queued_ms")
            w.integer(command.enqueuedMs)
            w.key("bytes")
            w.integer(command.payloadCount.wide)
            w.endMap()
        }
        w.endArray()
        w.key("events_total")
        w.integer(commands.eventsTotal.wide)
        w.key("events")
        w.beginArray()
        var sequence = commands.oldestEventSequence
        // Bounded by the ring's size.
        for _ in 0..<commands.eventCapacity {
            guard let event = commands.event(sequence: sequence) else { break }
            w.beginMap()
            w.key("seq")
            w.integer(sequence.wide)
            w.key("event")
            w.string(event.kind.name)
            w.key("via")
            w.string(event.via.name)
            w.key("sensor")
            w.string(event.sensorName)
            w.key("id")
            w.integer(event.id.wide)
            w.key("time_ms")
            w.integer(event.timeMs)
            w.endMap()
            sequence &+= 1
        }
        w.endArray()
        w.endMap()
    }

    /// The CoAP Content-Format of an HTTP media type (parameters ignored): text/plain 0,
    /// application/json 50, application/cbor 60, anything else (or none) octet-stream 42.
    static func contentFormat(ofMediaType value: UnsafeRawBufferPointer) -> UInt16 {
        var end = 0
        while end < value.count && value[end] != 0x3B && value[end] != 0x20 { end += 1 }
        let type = UnsafeRawBufferPointer(rebasing: value[0..<end])
        if HTTPRequestParser.equalsIgnoringCase(type, "text/plain") { return CoAPContentFormat.textPlain }
        if HTTPRequestParser.equalsIgnoringCase(type, "application/json") { return CoAPContentFormat.json }
        if HTTPRequestParser.equalsIgnoringCase(type, "application/cbor") { return CoAPContentFormat.cbor }
        return CoAPContentFormat.octetStream
    }
}
