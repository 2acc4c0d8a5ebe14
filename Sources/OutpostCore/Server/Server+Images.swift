// POST /images/{camera}: binary uploads in Block1 blocks (RFC 7959), logged block by block.

extension Server {
    /// Answers one block of `POST /images/{camera}` (any Content-Format). The block is copied to
    /// the image table's block buffer and reaches the log (cut into `imageChunk` records) before
    /// the next request is handled; its 2.31 Continue (2.04 Changed for the last block) leaves
    /// only once the tick's commit covered it, like every acknowledgement. A block the log has no
    /// room for now is refused 5.03 before anything changes.
    /// - Complexity: O(image slots + payload size).
    mutating func postImage(_ exchange: ServerExchange, camera: SensorName) -> Int {
        let message = exchange.message
        if sourceIndex >= 0 && !sources.takeRequest(sourceIndex) {
            // An image block pays one request token (it carries no readings): over the rate, it
            // is dropped unanswered, and its retransmission is judged afresh.
            counters.sourceRequestRate &+= 1
            droppedOverShare = true
            return 0
        }
        guard let format = message.contentFormat else {
            return replyError(exchange, .unsupportedContentFormat, "Content-Format required")
        }
        let block: CoAPBlock?
        do {
            block = try message.block1()
        } catch {
            return replyError(exchange, .badRequest, "malformed Block1 option")
        }
        if block == nil && message.payload.count == 0 { return replyError(exchange, .badRequest, "empty image") }
        if let size1 = message.size1, UInt64(bitPattern: size1.wide) > UInt64(bitPattern: images.limitBytes.wide) {
            return imageTooLarge(exchange)
        }
        let needed = ImageTransferTable.records(forBlockBytes: message.payload.count)
        if roomRecords >= 0 && needed > Int(roomRecords) {
            counters.busyLog &+= 1
            var options = ServerResponseOptions()
            options.maxAgeS = roomRetryS
            return replyError(exchange, .serviceUnavailable, "log full: retry", options: options)
        }
        if sourceIndex >= 0 && !exchange.peer.isAttached && sources.contended {
            // While sources compete, a block pays a reading token per log record it takes (a
            // camera fills the log as fast as a sensor of that many readings), and is refused
            // under log pressure like a pack of a source over its share.
            if !sources.takeReadings(sourceIndex, count: needed) {
                counters.sourceReadingRate &+= 1
                droppedOverShare = true
                return 0
            }
            if logPressure && sources.overShare(sourceIndex, settings: fairness) {
                counters.sourceLogShare &+= 1
                var options = ServerResponseOptions()
                options.maxAgeS = Server.outboxRetryS
                return replyError(exchange, .serviceUnavailable, "log share used: retry", options: options)
            }
        }
        let share = max(1, P.imageTransferCount / 2)
        let outcome = images.accept(
            exchange.peer, camera: camera, block: block, contentFormat: format, payload: message.payload,
            sourceShare: share, nowMs: exchange.nowMs)
        var options = ServerResponseOptions()
        options.block1 = block
        switch outcome {
        case .accepted(let last):
            counters.imageBlocks &+= 1
            counters.imageBytes &+= UInt64(bitPattern: message.payload.count.wide)
            return reply(exchange, last ? .changed : .continue, options: options, limit: P.duplicateResponseBytes)
        case .repeated:
            return reply(exchange, .continue, options: options, limit: P.duplicateResponseBytes)
        case .busy(let retryAfterS):
            options.block1 = nil
            options.maxAgeS = retryAfterS
            return replyError(exchange, .serviceUnavailable, "image transfers busy", options: options)
        case .incomplete:
            return replyError(exchange, .requestEntityIncomplete, "block out of sequence")
        case .tooLarge:
            return imageTooLarge(exchange)
        case .badBlockSize:
            return replyError(exchange, .badRequest, "block payload does not match SZX")
        }
    }

    /// 4.13 with Size1: the largest image accepted.
    mutating func imageTooLarge(_ exchange: ServerExchange) -> Int {
        var options = ServerResponseOptions()
        options.size1 = UInt32(truncatingIfNeeded: images.limitBytes)  // at most the profile's imageBytesMax
        return replyError(exchange, .requestEntityTooLarge, "image too large", options: options)
    }

    /// Moves the accepted block and the owed abort records into `consumer` (the log), counting
    /// the transfers that ended.
    /// - Complexity: O(image slots + block size).
    mutating func drainImages<Consumer: OutboxConsumer>(into consumer: inout Consumer) {
        let (completed, aborted) = images.drain(into: &consumer, nowMs: lastTickMs)
        counters.imagesCompleted &+= UInt64(bitPattern: completed.wide)
        counters.imagesAborted &+= UInt64(bitPattern: aborted.wide)
    }

    /// Lowers (or, with 0, disables) the largest image accepted; never above the profile's
    /// `imageBytesMax`. Transfers already past the new limit are refused at their next block.
    public mutating func setImageLimit(bytes: Int) {
        images.limitBytes = min(max(bytes, 0), P.imageBytesMax)
    }
}
