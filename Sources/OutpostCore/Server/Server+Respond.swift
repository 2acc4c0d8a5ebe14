// Request dispatch: options the server must refuse, routing, methods, content negotiation.

extension Server {
    /// Answers one new (not duplicate) request.
    mutating func respond(_ exchange: ServerExchange) -> Int {
        let message = exchange.message
        if message.bytes.count > P.maxDatagramBytes {
            counters.oversizeDatagrams &+= 1
            var options = ServerResponseOptions()
            options.size1 = UInt32(truncatingIfNeeded: P.block1SlotBytes)
            return replyError(exchange, .requestEntityTooLarge, "datagram too large: use Block1", options: options)
        }
        if message.firstBadCriticalOption != nil {
            return replyError(exchange, .badOption, "unsupported critical option")
        }
        if message.firstOption(.proxyUri) != nil || message.firstOption(.proxyScheme) != nil {
            return replyError(exchange, .proxyingNotSupported, "not a proxy")
        }
        if message.firstOption(.ifMatch) != nil || message.firstOption(.ifNoneMatch) != nil {
            // Conditional requests are critical options this server does not implement.
            return replyError(exchange, .badOption, "conditional requests not supported")
        }
        let resource = Resource.route(message, sensors: pipeline.sensors)
        switch resource {
        case .notFound:
            return replyError(exchange, .notFound, "no such resource")
        case .readings:
            if message.code != .post { return replyError(exchange, .methodNotAllowed, "POST only") }
            return postReadings(exchange)
        case .image(let camera):
            // A constant branch in a profile without images: the upload path folds away.
            if P.imageTransferCount == 0 || images.limitBytes == 0 { return replyError(exchange, .notFound, "no images here") }
            if message.code != .post { return replyError(exchange, .methodNotAllowed, "POST only") }
            return postImage(exchange, camera: camera)
        case .commands(let index):
            return commandRequest(index, exchange)
        default:
            if message.code != .get { return replyError(exchange, .methodNotAllowed, "GET only") }
            return get(resource, exchange)
        }
    }
}
