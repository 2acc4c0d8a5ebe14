// The HTTP endpoints (docs/HTTP.md): the same resources as CoAP, rendered by the same code, plus
// the dashboard, /ready, the alert event stream and the command endpoint.

extension Server {
    /// Answers every connection of `http` with a whole request, and appends new alert events to
    /// the event streams. Called once per loop tick, after the reads.
    /// - Complexity: O(connections × answer size + new alert events × streams)
    /// `answerWrites` false (the tick did not commit): requests other than GET and HEAD stay
    /// parsed and unanswered until a tick that commits, as their answer acknowledges a change.
    public mutating func serveHTTP(_ http: inout HTTPServer, site: inout HTTPSite, nowMs: Int64, answerWrites: Bool = true) {
        for slot in 0..<http.capacity where http.connections[slot].phase == .ready {
            let method = http.connections[slot].request.method
            if !answerWrites && method != .get && method != .head { continue }
            answerHTTP(slot, &http, site: &site, nowMs: nowMs)
        }
        for slot in 0..<http.capacity where http.connections[slot].phase == .streaming {
            feedEvents(slot, &http, nowMs: nowMs)
        }
    }

    /// Routes `slot`'s request and queues its answer.
    mutating func answerHTTP(_ slot: Int, _ http: inout HTTPServer, site: inout HTTPSite, nowMs: Int64) {
        let request = http.connections[slot].request
        let input = http.requestBytes(slot)
        let path = request.path(in: input)
        var response = http.beginResponse(slot)
        let reading = request.method == .get || request.method == .head
        if Server.pathIs(path, "/api/events") {
            if !reading {
                response.message(405, "GET only")
                response.extraHeader = "Allow: GET, HEAD"
            } else if http.eventStreamCount >= http.eventStreamLimit {
                response.message(503, "too many event streams open; try again later")
                response.extraHeader = "Retry-After: 5"
            } else {
                response.contentType = "text/event-stream"
                response.startsEventStream = true
                var w = TextWriter(buffer: response.body)
                // The client reconnects after 3 s when the stream breaks.
                w.text("retry: 3000\n\n")
                response.setBody(count: w.count)
                http.finish(slot, response, nowMs: nowMs)
                // The stream starts with the events the history still holds.
                http.connections[slot].eventNext = alertHistory.oldestSequence
                feedEvents(slot, &http, nowMs: nowMs)
                return
            }
            http.finish(slot, response, nowMs: nowMs)
            return
        }
        if let sensor = Server.commandSensor(path) {
            if request.method != .post {
                response.message(405, "POST only")
                response.extraHeader = "Allow: POST"
            } else {
                command(sensor, request: request, input: input, into: &response, site: &site, nowMs: nowMs)
            }
            http.finish(slot, response, nowMs: nowMs)
            return
        }
        if !reading {
            let known = Server.pathIs(path, "/") || Server.pathIs(path, "/metrics") || Server.pathIs(path, "/health")
                || Server.pathIs(path, "/ready") || Server.pathIs(path, "/api/sensors") || Server.pathIs(path, "/api/alerts")
                || Server.pathIs(path, "/api/commands")
                || Server.sensorPath(path) != nil
            if known {
                response.message(405, "GET or HEAD only")
                response.extraHeader = "Allow: GET, HEAD"
            } else {
                response.message(404, "no such resource (see / for the dashboard, docs/HTTP.md for the API)")
            }
            http.finish(slot, response, nowMs: nowMs)
            return
        }
        if Server.pathIs(path, "/") || Server.pathIs(path, "/index.html") {
            response.contentType = "text/html; charset=utf-8"
            response.staticBody = site.dashboard
        } else if Server.pathIs(path, "/metrics") {
            response.contentType = "text/plain; version=0.0.4; charset=utf-8"
            response.setBody(count: writeHTTPMetrics(into: response.body, http: http, site: site, nowMs: nowMs))
        } else if Server.pathIs(path, "/health") {
            json(.health, into: &response, nowMs: nowMs)
        } else if Server.pathIs(path, "/ready") {
            response.status = site.ready ? 200 : 503
            response.contentType = "application/json"
            var w = TextWriter(buffer: response.body)
            w.text(site.ready ? "{\"ready\":true}\n" : "{\"ready\":false}\n")
            response.setBody(count: w.count)
        } else if Server.pathIs(path, "/api/sensors") {
            json(.sensors, into: &response, nowMs: nowMs)
        } else if Server.pathIs(path, "/api/alerts") {
            json(.alerts, into: &response, nowMs: nowMs)
        } else if Server.pathIs(path, "/api/commands") {
            response.contentType = "application/json"
            var writer = ResourceJSONWriter(buffer: response.body, reserveBytes: Server.closingReserveBytes)
            renderCommands(into: &writer)
            response.setBody(count: writer.count)
        } else if let name = Server.sensorPath(path) {
            if let index = pipeline.sensors.find(name) {
                json(.sensor(index), into: &response, nowMs: nowMs)
            } else {
                response.message(404, "no sensor of that id")
            }
        } else {
            response.message(404, "no such resource (see / for the dashboard, docs/HTTP.md for the API)")
        }
        http.finish(slot, response, nowMs: nowMs)
    }

    /// Renders `resource` as JSON (the CoAP representation, Content-Format 50) into the answer.
    mutating func json(_ resource: Resource, into response: inout HTTPResponse, nowMs: Int64) {
        response.contentType = "application/json"
        // The CoAP renderers' writer type, so the firmware holds one copy of each renderer.
        var writer = ResourceFormatWriter(buffer: response.body, reserveBytes: Server.closingReserveBytes, cbor: false)
        renderStructured(resource, into: &writer, nowMs: nowMs)
        response.setBody(count: writer.count)
    }

    /// `POST /api/sensors/{id}/command`: the bearer token, then the queue.
    mutating func command(
        _ sensor: SensorName, request: HTTPRequest, input: UnsafeRawBufferPointer, into response: inout HTTPResponse,
        site: inout HTTPSite, nowMs: Int64
    ) {
        if !site.authorizes(request.authorization(in: input)) {
            site.unauthorized &+= 1
            response.message(401, site.tokenCount == 0
                ? "commands are off: the daemon has no --http-token-file"
                : "missing or wrong bearer token (Authorization: Bearer TOKEN)")
            response.extraHeader = "WWW-Authenticate: Bearer realm=\"outpost\""
            return
        }
        let body = request.body(in: input)
        let format = Server.contentFormat(ofMediaType: request.contentType(in: input))
        let result = enqueueCommand(sensor: sensor, payload: body, contentFormat: format, origin: .http, nowMs: nowMs)
        switch result.outcome {
        case .accepted:
            response.status = 202
            response.contentType = "application/json"
            var w = TextWriter(buffer: response.body)
            w.text("{\"sensor\":\"")
            w.name(sensor)
            w.text("\",\"command\":")
            w.integer(result.id.wide)
            w.text(",\"content_format\":")
            w.integer(format.wide)
            w.text(",\"pending\":")
            w.integer(result.pending.wide)
            w.text("}\n")
            response.setBody(count: w.count)
        case .logRefusing:
            response.message(503, "the log cannot keep the command now; try again later")
            response.extraHeader = "Retry-After: 5"
        case .full:
            response.message(503, "the sensor's command queue is full; try again later")
            response.extraHeader = "Retry-After: 5"
        case .unknown:
            response.message(404, "no sensor of that id")
        case .tooLarge:
            response.message(body.count == 0 ? 400 : 413, body.count == 0 ? "empty command" : "command longer than the queue's slot")
        }
    }

    /// Appends the alert events `slot`'s stream has not had yet, as many as fit; drops a client
    /// that fell so far behind that the history no longer holds its next event.
    mutating func feedEvents(_ slot: Int, _ http: inout HTTPServer, nowMs: Int64) {
        let behind = alertHistory.total &- http.connections[slot].eventNext
        if behind > UInt32(truncatingIfNeeded: alertHistory.count) {
            http.counters.slowClients &+= 1
            http.connections[slot].phase = .writing
            http.connections[slot].closeAfterWrite = true
            // Whatever is still pending goes out; then it closes (the client reconnects).
            http.connections[slot].eventNext = alertHistory.total
            return
        }
        // Bounded by the history: at most `count` events are pending.
        while http.connections[slot].eventNext != alertHistory.total {
            let sequence = http.connections[slot].eventNext
            guard let event = alertHistory.event(sequence: sequence) else { break }
            let space = http.streamSpace(slot)
            var w = TextWriter(buffer: space)
            w.text("id: ")
            w.unsigned(UInt64(bitPattern: sequence.wide))
            w.text("\nevent: alert\ndata: ")
            if w.overflowed { return }
            let dataStart = w.count
            var json = ResourceFormatWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: space[dataStart..<space.count]), cbor: false)
            renderAlert(event, sequence: sequence, into: &json)
            if json.overflowed || dataStart + json.count + 2 > space.count { return }
            space[dataStart + json.count] = 0x0A
            space[dataStart + json.count + 1] = 0x0A
            http.streamWrote(slot, count: dataStart + json.count + 2, nowMs: nowMs)
            http.counters.eventsSent &+= 1
            http.connections[slot].eventNext = sequence &+ 1
        }
    }

    /// Whether `path` is exactly `literal`.
    static func pathIs(_ path: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        HTTPRequestParser.equals(path, literal)
    }

    /// The id of `/api/sensors/{id}` (percent-decoded), or nil for another path.
    static func sensorPath(_ path: UnsafeRawBufferPointer) -> SensorName? {
        let prefix: StaticString = "/api/sensors/"
        let n = prefix.utf8CodeUnitCount
        if path.count <= n || !HTTPRequestParser.equals(UnsafeRawBufferPointer(rebasing: path[0..<n]), prefix) { return nil }
        return decodedName(UnsafeRawBufferPointer(rebasing: path[n..<path.count]))
    }

    /// The id of `/api/sensors/{id}/command`, or nil for another path.
    static func commandSensor(_ path: UnsafeRawBufferPointer) -> SensorName? {
        let prefix: StaticString = "/api/sensors/"
        let suffix: StaticString = "/command"
        let n = prefix.utf8CodeUnitCount
        let m = suffix.utf8CodeUnitCount
        if path.count <= n + m { return nil }
        if !HTTPRequestParser.equals(UnsafeRawBufferPointer(rebasing: path[0..<n]), prefix) { return nil }
        if !HTTPRequestParser.equals(UnsafeRawBufferPointer(rebasing: path[(path.count - m)..<path.count]), suffix) { return nil }
        return decodedName(UnsafeRawBufferPointer(rebasing: path[n..<(path.count - m)]))
    }

    /// A sensor name from a path segment with `%XX` escapes undone; nil when malformed, when it
    /// holds a `/`, or when it is not a valid sensor name.
    static func decodedName(_ segment: UnsafeRawBufferPointer) -> SensorName? {
        var bytes = InlineArray<32, UInt8>(repeating: 0)
        var count = 0
        var i = 0
        // Bounded by the segment length.
        while i < segment.count {
            if count == 32 { return nil }
            var b = segment[i]
            if b == 0x2F { return nil }
            if b == 0x25 {
                guard i + 2 < segment.count, let high = hexValue(segment[i + 1]), let low = hexValue(segment[i + 2]) else { return nil }
                b = high &<< 4 | low
                i += 2
            }
            bytes[count] = b
            count += 1
            i += 1
        }
        if count == 0 { return nil }
        return bytes.span.extracting(0..<count).withUnsafeBufferPointer { SensorName($0.span) }
    }

    static func hexValue(_ b: UInt8) -> UInt8? {
        if b >= 0x30 && b <= 0x39 { return b &- 0x30 }
        if b >= 0x41 && b <= 0x46 { return b &- 0x37 }
        if b >= 0x61 && b <= 0x66 { return b &- 0x57 }
        return nil
    }
}
