// GET: content negotiation, Observe registration on /alerts, rendering (Block2 delivery is in
// Server+Block2.swift).

extension Server {
    /// Answers a GET of `resource`.
    mutating func get(_ resource: Resource, _ exchange: ServerExchange) -> Int {
        let message = exchange.message
        let accept = message.accept
        let format: UInt16
        switch resource {
        case .wellKnownCore:
            if let accept, accept != CoAPContentFormat.linkFormat { return replyError(exchange, .notAcceptable, "link-format (40) only") }
            format = CoAPContentFormat.linkFormat
        case .metrics:
            if let accept, accept != CoAPContentFormat.textPlain { return replyError(exchange, .notAcceptable, "text/plain (0) only") }
            format = CoAPContentFormat.textPlain
        default:
            if let accept, accept != CoAPContentFormat.json && accept != CoAPContentFormat.cbor {
                return replyError(exchange, .notAcceptable, "json (50) or cbor (60) only")
            }
            format = accept ?? CoAPContentFormat.json
        }
        let block2: CoAPBlock?
        do {
            block2 = try message.block2()
        } catch {
            return replyError(exchange, .badRequest, "malformed Block2 option")
        }
        var observe: UInt32? = nil
        if resource == .alerts, let request = message.observe, (block2?.number ?? 0) == 0 {
            if request == 0 {
                // One source holds at most its share of the registrations (a renewal is not new).
                let overShare = !exchange.peer.isAttached
                    && observers.heldByOthersOfSource(exchange.peer, token: message.token) >= P.sourceObserverShare
                if overShare { counters.sourceObserverShare &+= 1 }
                let added = !overShare && observers.register(
                    exchange.peer, token: message.token, contentFormat: format, nextSequence: alertHistory.total,
                    nowMs: exchange.nowMs)
                if added {
                    counters.observersAdded &+= 1
                    observe = alertHistory.total
                } else {
                    counters.observersRejected &+= 1
                }
            } else if request == 1 {
                if observers.deregister(exchange.peer, token: message.token) { counters.observersRemoved &+= 1 }
            }
        }
        return answer(resource, format: format, block2: block2, observe: observe, exchange)
    }

    /// Renders `resource` in `format` into the body scratch; returns its length.
    mutating func render(_ resource: Resource, format: UInt16, nowMs: Int64) -> Int {
        switch format {
        case CoAPContentFormat.linkFormat:
            return renderLinks()
        case CoAPContentFormat.textPlain:
            return renderMetrics(nowMs: nowMs)
        default:
            // One writer type for both formats: the renderers exist once in the firmware.
            var writer = ResourceFormatWriter(
                buffer: body, reserveBytes: Server.closingReserveBytes, cbor: format == CoAPContentFormat.cbor)
            renderStructured(resource, into: &writer, nowMs: nowMs)
            return writer.count
        }
    }

    /// Bytes kept free at the end of the body for closing a truncated representation.
    static var closingReserveBytes: Int { 48 }

    mutating func renderStructured<W: ResourceWriter>(_ resource: Resource, into writer: inout W, nowMs: Int64) {
        switch resource {
        case .health: renderHealth(into: &writer, nowMs: nowMs)
        case .sensors: renderSensors(into: &writer, nowMs: nowMs)
        case .sensor(let index): renderSensor(index, into: &writer, nowMs: nowMs)
        case .alerts: renderAlerts(into: &writer)
        default: preconditionFailure("not a structured resource")
        }
        if writer.overflowed { counters.bodiesTruncated &+= 1 }
    }

    /// FNV-1a of `bytes` (the ETag of a body).
    static func fnv32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hash: UInt32 = 2_166_136_261
        for byte in bytes {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return hash
    }
}
