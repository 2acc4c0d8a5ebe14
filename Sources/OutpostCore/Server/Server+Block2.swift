// Block2 delivery of GET answers (RFC 7959): block selection, and one representation per transfer.
//
// RFC 7959 §2.4 lets a client notice a body that changed between blocks by its ETag, and libcoap
// then starts the transfer again. `/health` and `/metrics` change with every request (they count
// requests), so each transfer's body is copied at block 0 (`Block2Snapshots`) and its later blocks
// are sent from the copy, with the copy's ETag.

extension Server {
    /// Most ETag options of a request looked at (RFC 7252 allows several; a client sends one).
    static var maxRequestETags: Int { 8 }

    /// Answers a GET of `resource` in `format`: the whole body, or the block the request asks for.
    ///
    /// A later block (number > 0) of a transfer with a live copy comes from the copy, as does a
    /// retransmitted block 0 (same message ID); everything else is rendered from the current
    /// state. A block 0 that leaves more blocks to send copies its body for them; one that sends
    /// the whole body drops the transfer's old copy.
    /// - Complexity: O(body size + snapshot slots).
    mutating func answer(
        _ resource: Resource, format: UInt16, block2: CoAPBlock?, observe: UInt32?, _ exchange: ServerExchange
    ) -> Int {
        let key = Server.transferKey(resource)
        let peer = exchange.peer
        let message = exchange.message
        let requested = block2?.number ?? 0
        if let slot = snapshots.find(peer, resourceKey: key, contentFormat: format, nowMs: exchange.nowMs) {
            let eTag = snapshots.eTag(slot: slot)
            let retransmission = requested == 0 && snapshots.block0MessageID(slot: slot) == message.messageID
            if (requested > 0 || retransmission) && Server.requestAllows(message, eTag: eTag) {
                let result = deliver(exchange, format: format, content: snapshots.body(slot: slot), eTag: eTag, block2: block2, observe: observe)
                if requested > 0 { counters.block2BlocksFromSnapshot &+= 1 }
                if let served = result.block, !served.more { snapshots.markComplete(slot: slot) }
                return result.length
            }
        }
        if requested > 0 { counters.block2BlocksFresh &+= 1 }
        let length = render(resource, format: format, nowMs: exchange.nowMs)
        let content = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(body)[0..<length])
        let result = deliver(exchange, format: format, content: content, eTag: nil, block2: block2, observe: observe)
        if requested == 0 {
            if let served = result.block, served.number == 0, served.more {
                let taken = snapshots.take(
                    peer, resourceKey: key, contentFormat: format, messageID: message.messageID, eTag: result.eTag,
                    body: content, nowMs: exchange.nowMs)
                if taken != nil { counters.block2SnapshotsTaken &+= 1 } else { counters.block2SnapshotsRefused &+= 1 }
            } else {
                // The client has the whole (new) body, or an error: an older copy serves nobody.
                snapshots.release(peer, resourceKey: key, contentFormat: format)
            }
        }
        return result.length
    }

    /// The most bytes a GET answer to `exchange` may take: nil for an authenticated peer (a DTLS
    /// session or a serial line), else `amplificationFactor` × the request's size, for a CON as
    /// for a NON: a spoofed CON's piggybacked ACK goes to the victim just the same (RFC 7252
    /// §11.3). The client then reads the body in small Block2 blocks, each request paying for its
    /// block. The datagram's size is the request's, as the server saw it.
    func amplificationLimit(_ exchange: ServerExchange) -> Int? {
        if fairness.amplificationFactor == 0 || exchange.peer.isAttached { return nil }
        return Int(fairness.amplificationFactor) * exchange.message.bytes.count
    }

    /// Sends `content` whole when it fits the datagram, else the block of it the request asks for
    /// (RFC 7959 Block2; block 0 when it asks for none), with an ETag of the whole body (`eTag`,
    /// or FNV-1a of `content` when nil) and Size2 so the client can reassemble it and notice if
    /// it changed between blocks.
    /// - Returns: the response length, the block sent (nil for a whole body or an error) and the ETag sent.
    /// - Complexity: O(content size) when the ETag is computed, else O(block size).
    mutating func deliver(
        _ exchange: ServerExchange, format: UInt16, content: UnsafeRawBufferPointer, eTag: UInt32?, block2: CoAPBlock?,
        observe: UInt32?
    ) -> (length: Int, block: CoAPBlock?, eTag: UInt32) {
        let length = content.count
        var options = ServerResponseOptions()
        options.contentFormat = format
        options.observe = observe
        // Header, token, ETag (5), Observe (4), Content-Format (3), Block2 (4), Size2 (5), marker.
        var room = exchange.out.count - 4 - exchange.message.token.count - 22
        if let limit = amplificationLimit(exchange), limit < exchange.out.count {
            // RFC 7252 §11.3: a request from an unauthenticated source may be spoofed; its answer
            // is kept within a bounded multiple of the request (smaller Block2 blocks, or nothing).
            let overheadBytes = exchange.out.count - room
            let fullRoom = room
            room = max(limit - overheadBytes, 0)
            if length > room && (length <= fullRoom || block2 == nil) { counters.amplificationLimited &+= 1 }
        }
        if block2 == nil && length <= room {
            return (reply(exchange, .content, options: options, payload: content), nil, 0)
        }
        guard var exponent = CoAPBlock.sizeExponent(forAtMost: room) else {
            return (sent(0), nil, 0)  // the caller's buffer cannot hold even a 16-byte block
        }
        var number: UInt32 = 0
        if let block2 {
            if block2.sizeExponent <= exponent {
                exponent = block2.sizeExponent
                number = block2.number
            } else {
                // Late negotiation (§2.4): a smaller block size, the same offset.
                number = block2.number &<< UInt32(block2.sizeExponent - exponent)
                if number > CoAPBlock.maxNumber { return (replyError(exchange, .badOption, "block beyond the body"), nil, 0) }
            }
        }
        let size = 16 &<< Int(exponent)
        let offset = Int(truncatingIfNeeded: number) * size
        if offset > 0 && offset >= length { return (replyError(exchange, .badOption, "block beyond the body"), nil, 0) }
        let end = length - offset < size ? length : offset + size
        let block = CoAPBlock(number: number, more: end < length, sizeExponent: exponent)
        let tag = eTag ?? Server.fnv32(content)
        options.block2 = block
        options.eTag = tag
        if number == 0 || exchange.message.size2 != nil { options.size2 = UInt32(truncatingIfNeeded: length) }
        if number != 0 { options.observe = nil }
        counters.block2Responses &+= 1
        let written = reply(exchange, .content, options: options, payload: UnsafeRawBufferPointer(rebasing: content[offset..<end]))
        return (written, block, tag)
    }

    /// A number naming `resource` within one peer's transfers (sensor `i` is `16 + i`).
    static func transferKey(_ resource: Resource) -> Int {
        switch resource {
        case .readings: return 1
        case .wellKnownCore: return 2
        case .health: return 3
        case .sensors: return 4
        case .alerts: return 5
        case .metrics: return 6
        case .notFound: return 7
        // Never sent in blocks (a command fits in one datagram); a key of its own all the same.
        case .commands: return 8
        // Never sent in blocks (POST only).
        case .image: return 9
        case .sensor(let index): return 16 + index
        }
    }

    /// False when `message` names ETags (RFC 7252 §5.10.6) and none is `eTag`: the client holds
    /// another representation, so a copy of this one must not be spliced into it.
    /// - Complexity: O(options).
    static func requestAllows(_ message: CoAPMessage, eTag: UInt32) -> Bool {
        var tags = message.options(.eTag)
        var seen = 0
        while seen < maxRequestETags, let option = tags.next() {
            seen += 1
            let value = option.value
            if value.count == 4 && value[0] == UInt8(truncatingIfNeeded: eTag &>> 24)
                && value[1] == UInt8(truncatingIfNeeded: eTag &>> 16) && value[2] == UInt8(truncatingIfNeeded: eTag &>> 8)
                && value[3] == UInt8(truncatingIfNeeded: eTag) {
                return true
            }
        }
        return seen == 0
    }
}
