// The message layer (RFC 7252 §4): types, empty messages, format errors, duplicates.

extension Server {
    /// Handles one inbound CoAP datagram (a UDP payload or a SLIP frame) from `peer` at `nowMs`
    /// and writes at most one response datagram into `response`.
    ///
    /// - CON request → piggybacked ACK (same message ID and token); NON request → NON response
    ///   (a new message ID, same token).
    /// - Empty CON (ping) → RST. Format error → RST for a CON, dropped for a NON; version ≠ 1
    ///   dropped silently. ACK/RST from a peer → matched against Observe notifications.
    /// - A request with No-Response (RFC 7967) is processed as usual, but a response of a class the
    ///   client declined is not sent: nothing for a NON, an empty ACK for a CON (RFC 7252 §4.2: a
    ///   CON is always acknowledged). The duplicate cache keeps what was sent.
    /// - A request seen before (same peer and message ID within EXCHANGE_LIFETIME) is not
    ///   processed again: a CON gets the cached response bytes (or, once those were evicted, the
    ///   same answer rebuilt from the ledger's record), a NON is dropped.
    /// - `room`: what the log can take now; a pack that would not fit is answered 5.03 with
    ///   Max-Age `room.retryS` before anything is acknowledged (the one admission check, `ingest`).
    /// - `scope`: the sensors the sender may write readings for (a DTLS identity's patterns); a
    ///   pack naming another sensor is refused whole with 4.03 and counted (`forbiddenWrites`).
    /// - `readOnly`: the request came on a read-only listener: anything but GET is refused 4.03.
    /// - Every datagram of a UDP peer is counted against its source (`SourceTable`): one over its
    ///   request rate, or a pack over its reading rate while sources compete, is dropped unanswered
    ///   and unremembered, counted by reason (docs/SECURITY.md).
    /// - Returns: the response length (0: send nothing). Never traps on any input.
    /// - Complexity: O(n) in the datagram size plus the work of the resource.
    public mutating func handle(
        datagram: UnsafeRawBufferPointer, from peer: Endpoint, nowMs: Int64, response: UnsafeMutableRawBufferPointer,
        room: LogRoom = .unlimited,
        scope: WriteScope = .unrestricted,
        readOnly: Bool = false
    ) -> Int {
        setRoom(room)
        counters.datagrams &+= 1
        droppedOverShare = false
        if peer.kind == Endpoint.kindSerial {
            sourceIndex = -1
        } else {
            let takenOver = sources.evictions
            sourceIndex = sources.lookup(peer, nowMs: nowMs, settings: fairness)
            if sources.evictions != takenOver {
                // The entry was an idle source's: what it held is nobody's now.
                disownSensors(ofSource: sourceIndex)
            }
            // A POST pays in readings once decoded; everything else, even a malformed datagram or
            // an ACK, pays one request token, before any work is spent on it.
            let post = datagram.count >= 2 && datagram[1] == CoAPCode.post.rawValue
            if !post && !sources.takeRequest(sourceIndex) {
                counters.sourceRequestRate &+= 1
                return 0
            }
        }
        let out = response.count > P.maxDatagramBytes
            ? UnsafeMutableRawBufferPointer(rebasing: response[0..<P.maxDatagramBytes]) : response
        let message: CoAPMessage
        do {
            message = try CoAPMessage(parsing: datagram)
        } catch {
            return formatError(error, datagram: datagram, out: out)
        }
        switch message.type {
        case .acknowledgement:
            counters.acks &+= 1
            if message.code == .empty && !commandAcknowledged(from: peer, messageID: message.messageID, nowMs: nowMs) {
                _ = observers.acknowledge(from: peer, messageID: message.messageID)
            }
            return 0
        case .reset:
            counters.resets &+= 1
            if observers.reset(from: peer, messageID: message.messageID) || commandReset(from: peer, messageID: message.messageID) {
                counters.observersRemoved &+= 1
            }
            return 0
        case .confirmable, .nonConfirmable:
            break
        }
        if message.code == .empty {
            // A CON ping is answered with RST (§4.3); an empty NON is malformed (§4.3: a NON
            // always carries a request or response) and dropped.
            if message.type == .confirmable {
                counters.pings &+= 1
                return sent(ServerResponse.empty(into: out, type: .reset, messageID: message.messageID))
            }
            counters.formatErrorsDropped &+= 1
            return 0
        }
        if !message.code.isRequest {
            // A response or a reserved code class sent to a server: reject (§4.2, §4.3).
            return reject(message, out: out)
        }
        counters.requests &+= 1
        if let (disposition, cached) = duplicates.find(peer, messageID: message.messageID, nowMs: nowMs) {
            switch disposition {
            case .cached:
                counters.duplicatesAnswered &+= 1
                if cached.count > out.count {
                    counters.responseNoRoom &+= 1
                    return 0
                }
                for i in 0..<cached.count { out[i] = cached[i] }
                return sent(cached.count)
            case .drop:
                counters.duplicatesDropped &+= 1
                return 0
            case .reprocess:
                counters.duplicatesReprocessed &+= 1
                return respond(ServerExchange(peer: peer, message: message, nowMs: nowMs, out: out, scope: scope))
            }
        }
        let stateChanging = message.code != .get
        if readOnly && stateChanging {
            // Before the duplicate memory: a read-only listener changes nothing, so nothing of
            // this exchange needs remembering.
            counters.readOnlyRefused &+= 1
            let exchange = ServerExchange(peer: peer, message: message, nowMs: nowMs, out: out, scope: scope)
            return suppressUnwanted(replyError(exchange, .forbidden, "read-only listener"), message: message, out: out)
        }
        if stateChanging, let answer = ledger.find(peer, messageID: message.messageID, nowMs: nowMs) {
            return recall(answer, message: message, out: out)
        }
        let exchange = ServerExchange(peer: peer, message: message, nowMs: nowMs, out: out, scope: scope)
        if stateChanging && P.sourceDuplicatePercent > 0 && ledger.wouldPushOther(peer: peer, cap: Server.ledgerShare, nowMs: nowMs) {
            // Its record would push another source's exchange out of duplicate detection (a late
            // retransmission of that one would be processed twice): refused before it takes
            // effect, nothing remembered; a NON is dropped.
            counters.sourceDuplicateShare &+= 1
            if message.type == .nonConfirmable { return 0 }
            var options = ServerResponseOptions()
            options.maxAgeS = UInt32(truncatingIfNeeded: DuplicateLedger.sliceMs / 1_000)
            return suppressUnwanted(replyError(exchange, .serviceUnavailable, "duplicate share used", options: options), message: message, out: out)
        }
        let responded = respond(exchange)
        if droppedOverShare { return 0 }  // unanswered and unremembered: a retransmission is judged afresh
        let length = suppressUnwanted(responded, message: message, out: out)
        let written = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<length])
        if message.type == .nonConfirmable {
            // Only the ledger: a duplicate NON is dropped, no bytes are needed.
            if stateChanging {
                ledger.insert(peer, messageID: message.messageID, nowMs: nowMs, answer: .drop)
                recordedInsertions &+= 1
            }
        } else {
            if P.sourceDuplicatePercent > 0 && duplicates.wouldPushOther(peer: peer, cap: Server.duplicateShare, nowMs: nowMs) {
                // Not cached: its entry would push out another source's. A POST that took effect
                // is still in the ledger below (its retransmission is recalled from there); a
                // GET or an error is simply answered afresh.
                counters.sourceDuplicateCacheShare &+= 1
            } else if length <= duplicates.responseBytes {
                duplicates.insert(peer, messageID: message.messageID, nowMs: nowMs, disposition: .cached, response: written)
                cachedInsertions &+= 1
            } else {
                // Only safe requests (GET) produce responses above the cache size: every POST answer is
                // written within `duplicateResponseBytes`, so readings are never processed twice.
                precondition(message.code == .get, "a non-idempotent response was too large to cache")
                duplicates.insert(peer, messageID: message.messageID, nowMs: nowMs, disposition: .reprocess, response: written)
                cachedInsertions &+= 1
            }
            // A 2.xx (or an empty ACK) means the request took effect: the ledger remembers it for
            // EXCHANGE_LIFETIME, after its cached bytes are gone. Errors changed nothing, so a late
            // retransmission of one is simply processed again.
            if stateChanging && length >= 4 {
                let code = CoAPCode(rawValue: out[1])
                if code == .empty {
                    ledger.insert(peer, messageID: message.messageID, nowMs: nowMs, answer: .emptyAcknowledgement)
                    recordedInsertions &+= 1
                } else if code.codeClass == 2 {
                    ledger.insert(peer, messageID: message.messageID, nowMs: nowMs, answer: .success(code))
                    recordedInsertions &+= 1
                }
            }
        }
        counters.duplicateEvictions = ledger.evictedEarly
        return length
    }

    /// Answers a retransmission the ledger recognised (its cached bytes were evicted), without
    /// processing it again: a NON is dropped; a CON gets an ACK with the recorded code, the
    /// request's token and its Block1 option echoed, which is what the first answer held (every
    /// 2.xx of `POST /readings` carries exactly those), or the empty ACK it got.
    mutating func recall(_ answer: DuplicateLedger.Answer, message: CoAPMessage, out: UnsafeMutableRawBufferPointer) -> Int {
        switch answer {
        case .drop:
            counters.duplicatesDropped &+= 1
            return 0
        case .emptyAcknowledgement:
            counters.duplicatesAnswered &+= 1
            counters.duplicatesRecalled &+= 1
            return sent(ServerResponse.empty(into: out, type: .acknowledgement, messageID: message.messageID))
        case .success(let code):
            counters.duplicatesAnswered &+= 1
            counters.duplicatesRecalled &+= 1
            var options = ServerResponseOptions()
            // The first answer echoed a well-formed Block1 option; a malformed one got a 4.00 and
            // was never recorded.
            options.block1 = try? message.block1()
            return sent(ServerResponse.write(
                into: out, type: .acknowledgement, code: code, messageID: message.messageID, token: message.token,
                options: options, payload: UnsafeRawBufferPointer(start: nil, count: 0)))
        }
    }

    /// Applies the request's No-Response option (RFC 7967 §2) to the response of `length` bytes
    /// in `out`: its class bit set in the option's mask means the client does not want it. A
    /// suppressed NON response becomes nothing, a suppressed piggybacked ACK an empty ACK.
    /// Telemetry sensors use it to skip the 2.04 they would only discard, which saves their radio
    /// time and the gateway one send per reading.
    /// - Complexity: O(n) in the size of the request's options.
    mutating func suppressUnwanted(_ length: Int, message: CoAPMessage, out: UnsafeMutableRawBufferPointer) -> Int {
        if length < 4 { return length }
        let mask = message.noResponseMask
        if mask == 0 { return length }
        // Class c (2, 4 or 5) is bit c - 1 of the mask: 2 for 2.xx, 8 for 4.xx, 16 for 5.xx.
        let codeClass = out[1] &>> 5
        if codeClass < 2 || codeClass > 5 || mask & (1 &<< (codeClass &- 1)) == 0 { return length }
        // Counted as suppressed, not as a response of its class (it was counted when written).
        counters.responsesSuppressed &+= 1
        counters.responses &-= 1
        switch codeClass {
        case 2: counters.success &-= 1
        case 4: counters.clientErrors &-= 1
        default: counters.serverErrors &-= 1
        }
        if message.type == .confirmable {
            return sent(ServerResponse.empty(into: out, type: .acknowledgement, messageID: message.messageID))
        }
        return 0
    }

    /// A datagram that is not a well-formed message: RST when it is recognisably a CON (§4.2),
    /// else dropped; version ≠ 1 is always silently ignored (§3).
    mutating func formatError(_ error: CoAPFormatError, datagram: UnsafeRawBufferPointer, out: UnsafeMutableRawBufferPointer) -> Int {
        if error != .unsupportedVersion && error != .truncatedHeader && (datagram[0] &>> 4) & 3 == CoAPType.confirmable.rawValue {
            counters.formatErrorsReset &+= 1
            let messageID = UInt16(datagram[2]) &<< 8 | UInt16(datagram[3])
            return sent(ServerResponse.empty(into: out, type: .reset, messageID: messageID))
        }
        counters.formatErrorsDropped &+= 1
        return 0
    }

    /// Rejects a well-formed message the server cannot take: RST for a CON, nothing for a NON.
    mutating func reject(_ message: CoAPMessage, out: UnsafeMutableRawBufferPointer) -> Int {
        if message.type == .confirmable {
            counters.formatErrorsReset &+= 1
            return sent(ServerResponse.empty(into: out, type: .reset, messageID: message.messageID))
        }
        counters.formatErrorsDropped &+= 1
        return 0
    }

    /// Counts a response of `length` bytes (0: none fit).
    mutating func sent(_ length: Int) -> Int {
        if length > 0 { counters.responses &+= 1 } else { counters.responseNoRoom &+= 1 }
        return length
    }

    /// Writes the response to `exchange` with `code`, counting it by class and detail.
    mutating func reply(
        _ exchange: ServerExchange, _ code: CoAPCode, options: ServerResponseOptions = ServerResponseOptions(),
        payload: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0),
        limit: Int = Int.max
    ) -> Int {
        count(code)
        let messageID = exchange.message.type == .confirmable ? exchange.message.messageID : takeMessageID()
        let buffer = limit < exchange.out.count
            ? UnsafeMutableRawBufferPointer(rebasing: exchange.out[0..<limit]) : exchange.out
        return sent(ServerResponse.write(
            into: buffer, type: exchange.responseType, code: code, messageID: messageID, token: exchange.message.token,
            options: options, payload: payload))
    }

    /// An error response with a short diagnostic payload (§5.5.2: no Content-Format).
    mutating func replyError(
        _ exchange: ServerExchange, _ code: CoAPCode, _ diagnostic: StaticString,
        options: ServerResponseOptions = ServerResponseOptions()
    ) -> Int {
        let text = UnsafeRawBufferPointer(start: diagnostic.utf8Start, count: diagnostic.utf8CodeUnitCount)
        return reply(exchange, code, options: options, payload: text, limit: P.duplicateResponseBytes)
    }

    mutating func count(_ code: CoAPCode) {
        switch code.codeClass {
        case 2: counters.success &+= 1
        case 4: counters.clientErrors &+= 1
        default: counters.serverErrors &+= 1
        }
        switch code {
        case .badRequest: counters.badRequests &+= 1
        case .badOption: counters.badOptions &+= 1
        case .notFound: counters.notFound &+= 1
        case .methodNotAllowed: counters.methodNotAllowed &+= 1
        case .notAcceptable: counters.notAcceptable &+= 1
        case .requestEntityIncomplete: counters.entityIncomplete &+= 1
        case .requestEntityTooLarge: counters.tooLarge &+= 1
        case .unsupportedContentFormat: counters.unsupportedFormat &+= 1
        default: break
        }
    }
}
