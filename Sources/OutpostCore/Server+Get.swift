// GET: content negotiation, Observe registration on /alerts, Block2 delivery of large bodies.

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
                let added = observers.register(
                    exchange.peer, token: message.token, contentFormat: format, nextSequence: alertHistory.total)
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
        let length = render(resource, format: format, nowMs: exchange.nowMs)
        return deliver(exchange, format: format, length: length, block2: block2, observe: observe)
    }

    /// Renders `resource` in `format` into the body scratch; returns its length.
    mutating func render(_ resource: Resource, format: UInt16, nowMs: Int64) -> Int {
        switch format {
        case CoAPContentFormat.linkFormat:
            return renderLinks()
        case CoAPContentFormat.textPlain:
            return renderMetrics()
        case CoAPContentFormat.cbor:
            var writer = CBORWriter(buffer: body, reserveBytes: Server.closingReserveBytes)
            renderStructured(resource, into: &writer, nowMs: nowMs)
            return writer.count
        default:
            var writer = ResourceJSONWriter(buffer: body, reserveBytes: Server.closingReserveBytes)
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

    /// Sends `body[0..<length]` whole when it fits the datagram, else the block of it the request
    /// asks for (RFC 7959 Block2; block 0 when it asks for none), with an ETag of the whole body
    /// and Size2 so the client can reassemble it and notice if it changed between blocks.
    mutating func deliver(_ exchange: ServerExchange, format: UInt16, length: Int, block2: CoAPBlock?, observe: UInt32?) -> Int {
        let content = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(body)[0..<length])
        var options = ServerResponseOptions()
        options.contentFormat = format
        options.observe = observe
        // Header, token, ETag (5), Observe (4), Content-Format (3), Block2 (4), Size2 (5), marker.
        let room = exchange.out.count - 4 - exchange.message.token.count - 22
        if block2 == nil && length <= room {
            return reply(exchange, .content, options: options, payload: content)
        }
        guard var exponent = CoAPBlock.sizeExponent(forAtMost: room) else {
            return sent(0)  // the caller's buffer cannot hold even a 16-byte block
        }
        var number: UInt32 = 0
        if let block2 {
            if block2.sizeExponent <= exponent {
                exponent = block2.sizeExponent
                number = block2.number
            } else {
                // Late negotiation (§2.4): a smaller block size, the same offset.
                number = block2.number &<< UInt32(block2.sizeExponent - exponent)
                if number > CoAPBlock.maxNumber { return replyError(exchange, .badOption, "block beyond the body") }
            }
        }
        let size = 16 &<< Int(exponent)
        let offset = Int(truncatingIfNeeded: number) * size
        if offset > 0 && offset >= length { return replyError(exchange, .badOption, "block beyond the body") }
        let end = length - offset < size ? length : offset + size
        options.block2 = CoAPBlock(number: number, more: end < length, sizeExponent: exponent)
        options.eTag = Server.fnv32(content)
        if number == 0 || exchange.message.size2 != nil { options.size2 = UInt32(truncatingIfNeeded: length) }
        if number != 0 { options.observe = nil }
        counters.block2Responses &+= 1
        return reply(exchange, .content, options: options, payload: UnsafeRawBufferPointer(rebasing: content[offset..<end]))
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
