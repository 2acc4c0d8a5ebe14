/// The HTTP/1.1 server's connections (docs/HTTP.md): a fixed table of slots, each with an input
/// and an output buffer carved once from the arena, driven by the daemon's loop through an
/// `HTTPTransport` (non-blocking reads and partial writes). Like the CoAP `Server`, it owns no
/// socket and never allocates.
///
/// Bounds and timeouts keep any client from holding the daemon:
/// - at most `capacity` connections; a new one when all are taken replaces the oldest connection
///   still sending its request (a slow or idle client), or is closed when none is;
/// - a request must arrive whole within `headerTimeoutMs` of its first byte (408, then close);
/// - an idle keep-alive connection is closed after `idleTimeoutMs`;
/// - output that makes no progress for `stallTimeoutMs` drops the connection (a slow reader,
///   an event stream that does not keep up);
/// - requests larger than `limits` are refused as soon as that is known (`HTTPRequestParser`).
///
/// A connection reads only while it waits for a request, and one request is answered at a
/// time, so a pipelining client cannot make it buffer more than one answer.
public struct HTTPServer {
    public let limits: HTTPLimits
    public let connections: UnsafeMutableBufferPointer<HTTPConnection>
    let inputs: UnsafeMutableRawBufferPointer
    let outputs: UnsafeMutableRawBufferPointer
    public let inputBytes: Int
    public let outputBytes: Int
    /// Most event streams open at once.
    public let eventStreamLimit: Int
    public var counters = HTTPCounters()
    public var headerTimeoutMs: Int64 = 10_000
    public var idleTimeoutMs: Int64 = 30_000
    public var stallTimeoutMs: Int64 = 10_000
    /// Longest a closing connection is read and discarded before it is closed.
    public var lingerMs: Int64 = 2_000
    /// How often an idle event stream gets a comment line.
    public var eventKeepAliveMs: Int64 = 15_000

    /// A server with `capacity` connection slots, each with `inputBytes` of request buffer and
    /// `outputBytes` of answer buffer, carved from `arena`.
    public init(arena: inout Arena, capacity: Int, inputBytes: Int, outputBytes: Int, eventStreams: Int) {
        precondition(capacity > 0 && capacity <= 1024, "HTTP connection count out of range")
        precondition(inputBytes >= 256 && outputBytes >= HTTPResponse.headRoom + 256, "HTTP buffers too small")
        connections = arena.carve(capacity, of: HTTPConnection())
        inputs = UnsafeMutableRawBufferPointer(arena.carve(capacity * inputBytes, of: UInt8(0)))
        outputs = UnsafeMutableRawBufferPointer(arena.carve(capacity * outputBytes, of: UInt8(0)))
        self.inputBytes = inputBytes
        self.outputBytes = outputBytes
        eventStreamLimit = max(0, min(eventStreams, capacity))
        // The head and a body fill the input buffer; the target takes at most a quarter of it.
        limits = HTTPLimits(targetBytes: inputBytes / 4, headBytes: inputBytes, headerLines: 32, bodyBytes: inputBytes / 2)
    }

    /// Arena bytes the server takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, capacity: Int, inputBytes: Int, outputBytes: Int) -> Int {
        var end = offset + Arena.bytes(after: offset, capacity, of: HTTPConnection.self)
        end += Arena.bytes(after: end, capacity * inputBytes, of: UInt8.self)
        end += Arena.bytes(after: end, capacity * outputBytes, of: UInt8.self)
        return end - offset
    }

    public var capacity: Int { connections.count }

    /// Connections open now, and event streams among them.
    public var openCount: Int {
        var n = 0
        for i in 0..<connections.count where connections[i].phase != .free { n += 1 }
        return n
    }

    public var eventStreamCount: Int {
        var n = 0
        for i in 0..<connections.count where connections[i].phase == .streaming { n += 1 }
        return n
    }

    func input(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: inputs[(slot * inputBytes)..<((slot + 1) * inputBytes)])
    }

    func output(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: outputs[(slot * outputBytes)..<((slot + 1) * outputBytes)])
    }

    /// The request input held by `slot` (what the request offsets refer to).
    public func requestBytes(_ slot: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: input(slot)[0..<connections[slot].inputCount])
    }

    /// Whether `slot` waits to read (poll for input) and to write (poll for output).
    public func wants(_ slot: Int) -> (read: Bool, write: Bool) {
        let c = connections[slot]
        switch c.phase {
        case .free: return (false, false)
        case .reading: return (true, false)
        case .ready: return (false, false)
        // An event stream also reads, to see the client go away (it sends nothing else).
        case .streaming: return (true, c.pendingOutput > 0)
        case .writing: return (false, true)
        case .closing: return (true, false)
        }
    }

    // MARK: accepting

    /// Takes the new connection `fd`: into a free slot, else in place of the oldest connection
    /// still reading a request, else it is closed at once (counted in `refused`).
    /// Returns the slot, or nil when refused.
    /// - Complexity: O(capacity)
    public mutating func accept<T: HTTPTransport>(_ fd: Int32, nowMs: Int64, transport: inout T) -> Int? {
        var slot = -1
        var victim = -1
        for i in 0..<connections.count {
            let c = connections[i]
            if c.phase == .free {
                slot = i
                break
            }
            // A closing connection goes first, then the oldest still reading a request.
            let candidate = c.phase == .closing || c.phase == .reading
            if candidate && (victim < 0 || (c.phase == .closing && connections[victim].phase != .closing)
                || (c.phase == connections[victim].phase && c.openedMs < connections[victim].openedMs)) { victim = i }
        }
        if slot < 0 {
            if victim < 0 {
                counters.refused &+= 1
                transport.close(fd)
                return nil
            }
            counters.evicted &+= 1
            release(victim, transport: &transport)
            slot = victim
        }
        var c = HTTPConnection()
        c.fd = fd
        c.phase = .reading
        c.openedMs = nowMs
        c.lastInputMs = nowMs
        c.lastProgressMs = nowMs
        connections[slot] = c
        counters.accepted &+= 1
        return slot
    }

    /// Closes `slot`'s connection and frees the slot.
    public mutating func release<T: HTTPTransport>(_ slot: Int, transport: inout T) {
        if connections[slot].phase == .free { return }
        transport.close(connections[slot].fd)
        connections[slot] = HTTPConnection()
    }

    // MARK: reading and writing

    /// Reads what `slot`'s connection has and parses it; a parse error is answered at once.
    /// After this the slot may be `ready` (a request to answer), `writing`, or free (closed).
    /// - Complexity: O(input buffer) (one receive, one parse).
    public mutating func readable<T: HTTPTransport>(_ slot: Int, nowMs: Int64, transport: inout T) {
        let c = connections[slot]
        if c.phase == .closing {
            // Bounded: the linger timer closes it whatever the client sends.
            let n = transport.receive(c.fd, into: input(slot))
            if n == 0 || (n < 0 && n != HTTPTransportResult.wouldBlock) { release(slot, transport: &transport) }
            return
        }
        if c.phase == .streaming {
            // The client sends nothing on an event stream: anything read is discarded, and the
            // end of the stream (or an error) means it went away.
            let n = transport.receive(c.fd, into: input(slot))
            if n == 0 || (n < 0 && n != HTTPTransportResult.wouldBlock) { release(slot, transport: &transport) }
            return
        }
        if c.phase != .reading { return }
        let buffer = input(slot)
        let free = UnsafeMutableRawBufferPointer(rebasing: buffer[c.inputCount..<buffer.count])
        if free.count == 0 {
            // Full without a whole request: the parser refuses it (431 or 413) below.
            parse(slot, nowMs: nowMs)
            return
        }
        let n = transport.receive(c.fd, into: free)
        if n == HTTPTransportResult.wouldBlock { return }
        if n <= 0 {
            release(slot, transport: &transport)
            return
        }
        if c.inputCount == 0 { connections[slot].requestStartMs = nowMs }
        connections[slot].inputCount += min(n, free.count)
        connections[slot].lastInputMs = nowMs
        parse(slot, nowMs: nowMs)
    }

    /// Parses `slot`'s input: a whole request makes it `ready`, a refused one is answered.
    mutating func parse(_ slot: Int, nowMs: Int64) {
        if connections[slot].inputCount == 0 { return }
        switch HTTPRequestParser.parse(requestBytes(slot), limits: limits) {
        case .incomplete:
            return
        case .complete(let request):
            connections[slot].request = request
            connections[slot].phase = .ready
        case .failed(let error):
            counters.malformed &+= 1
            var response = beginResponse(slot)
            response.message(error.status, error.message)
            response.close = true
            finish(slot, response, nowMs: nowMs)
        }
    }

    /// Sends what `slot` has pending; when the answer is out, the connection reads its next
    /// request (keep-alive), closes, or (event stream) waits for more events.
    /// - Complexity: O(pending bytes) (at most two sends).
    public mutating func writable<T: HTTPTransport>(_ slot: Int, nowMs: Int64, transport: inout T) {
        var c = connections[slot]
        if c.phase != .writing && c.phase != .streaming { return }
        if c.outputEnd > c.outputStart {
            let bytes = UnsafeRawBufferPointer(rebasing: output(slot)[c.outputStart..<c.outputEnd])
            let n = transport.send(c.fd, bytes)
            if n < 0 {
                release(slot, transport: &transport)
                return
            }
            if n > 0 { c.lastProgressMs = nowMs }
            c.outputStart += min(n, bytes.count)
            if c.outputStart == c.outputEnd {
                c.outputStart = 0
                c.outputEnd = 0
            }
        }
        if c.outputEnd == c.outputStart, let base = c.staticBody, c.staticSent < c.staticCount {
            let rest = UnsafeRawBufferPointer(start: base + c.staticSent, count: c.staticCount - c.staticSent)
            let n = transport.send(c.fd, rest)
            if n < 0 {
                release(slot, transport: &transport)
                return
            }
            if n > 0 { c.lastProgressMs = nowMs }
            c.staticSent += min(n, rest.count)
        }
        connections[slot] = c
        if c.pendingOutput > 0 || c.phase == .streaming { return }
        if c.closeAfterWrite {
            transport.shutdownSend(c.fd)
            connections[slot].phase = .closing
            connections[slot].lastProgressMs = nowMs
            return
        }
        // Keep-alive: drop the answered request's bytes and look at what followed it.
        let used = min(c.request.length, c.inputCount)
        let buffer = input(slot)
        let rest = c.inputCount - used
        if rest > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + used, byteCount: rest) }
        c.inputCount = rest
        c.staticBody = nil
        c.staticCount = 0
        c.staticSent = 0
        c.request = HTTPRequest()
        c.phase = .reading
        c.requestStartMs = rest > 0 ? nowMs : -1
        c.lastInputMs = nowMs
        connections[slot] = c
        parse(slot, nowMs: nowMs)
    }

    // MARK: answering

    /// An answer for `slot`, rendered into its output buffer.
    public func beginResponse(_ slot: Int) -> HTTPResponse {
        HTTPResponse(buffer: output(slot))
    }

    /// Writes the head before `response`'s body and queues both; the connection goes `writing`
    /// (or `streaming` for an event stream). The caller (or the loop's next poll) sends it.
    /// - Complexity: O(head bytes)
    public mutating func finish(_ slot: Int, _ response: HTTPResponse, nowMs: Int64) {
        var c = connections[slot]
        let headOnly = c.phase == .ready && c.request.method == .head
        let keepAlive = !response.close && c.phase == .ready && c.request.keepAlive
        let buffer = output(slot)
        var head = TextWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<HTTPResponse.headRoom]))
        head.text("HTTP/1.1 ")
        head.unsigned(UInt64(bitPattern: response.status.wide))
        head.byte(0x20)
        head.text(HTTPResponse.reason(response.status))
        head.text("\r\nContent-Type: ")
        head.text(response.contentType)
        let bodyLength = response.staticBody?.count ?? response.bodyCount
        if !response.startsEventStream {
            head.text("\r\nContent-Length: ")
            head.unsigned(UInt64(bitPattern: bodyLength.wide))
        }
        head.text("\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff")
        if let extra = response.extraHeader {
            head.text("\r\n")
            head.text(extra)
        }
        let closing = !(keepAlive || response.startsEventStream)
        head.text(closing ? "\r\nConnection: close\r\n\r\n" : "\r\nConnection: keep-alive\r\n\r\n")
        precondition(!head.overflowed, "HTTP head larger than its room")
        // Move the head next to the body (it was written at the start of the room).
        let headStart = HTTPResponse.headRoom - head.count
        if headStart > 0 {
            let base = buffer.baseAddress!
            // Backwards, as the regions may overlap.
            var i = head.count
            while i > 0 {
                i -= 1
                base.storeBytes(of: base.load(fromByteOffset: i, as: UInt8.self), toByteOffset: headStart + i, as: UInt8.self)
            }
        }
        c.outputStart = headStart
        c.outputEnd = HTTPResponse.headRoom + (headOnly || response.staticBody != nil ? 0 : response.bodyCount)
        if let staticBody = response.staticBody, !headOnly {
            c.staticBody = staticBody.baseAddress
            c.staticCount = staticBody.count
        } else {
            c.staticBody = nil
            c.staticCount = 0
        }
        c.staticSent = 0
        c.closeAfterWrite = closing
        c.lastProgressMs = nowMs
        c.requests &+= 1
        if response.status < 300 {
            counters.responses2xx &+= 1
        } else if response.status < 500 {
            counters.responses4xx &+= 1
        } else {
            counters.responses5xx &+= 1
        }
        if response.startsEventStream {
            c.phase = .streaming
            c.lastEventWriteMs = nowMs
            counters.eventStreams &+= 1
        } else {
            c.phase = .writing
        }
        connections[slot] = c
    }

    /// Free bytes at the end of a streaming `slot`'s output after moving what is pending to the
    /// front, for the next event.
    public mutating func streamSpace(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        var c = connections[slot]
        let buffer = output(slot)
        if c.outputStart > 0 {
            let pending = c.outputEnd - c.outputStart
            if pending > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + c.outputStart, byteCount: pending) }
            c.outputStart = 0
            c.outputEnd = pending
            connections[slot] = c
        }
        return UnsafeMutableRawBufferPointer(rebasing: buffer[c.outputEnd..<buffer.count])
    }

    /// Queues `count` bytes written into `streamSpace(slot)`.
    public mutating func streamWrote(_ slot: Int, count: Int, nowMs: Int64) {
        precondition(connections[slot].outputEnd + count <= outputBytes, "stream write beyond the buffer")
        if count > 0 && connections[slot].pendingOutput == 0 { connections[slot].lastProgressMs = nowMs }
        connections[slot].outputEnd += count
        connections[slot].lastEventWriteMs = nowMs
    }

    // MARK: timers

    /// Closes connections whose timers ran out (see the type's documentation); an event stream
    /// idle for `eventKeepAliveMs` gets a comment line.
    /// - Complexity: O(capacity)
    public mutating func expire<T: HTTPTransport>(nowMs: Int64, transport: inout T) {
        for slot in 0..<connections.count {
            let c = connections[slot]
            switch c.phase {
            case .free, .ready:
                continue
            case .closing:
                if nowMs - c.lastProgressMs >= lingerMs { release(slot, transport: &transport) }
            case .reading:
                if c.inputCount > 0 && c.requestStartMs >= 0 && nowMs - c.requestStartMs >= headerTimeoutMs {
                    counters.headerTimeouts &+= 1
                    var response = beginResponse(slot)
                    response.message(408, "request not received whole within the header timeout")
                    response.close = true
                    finish(slot, response, nowMs: nowMs)
                    // One try to say why; a slow sender gets the rest of the linger time to read it.
                    writable(slot, nowMs: nowMs, transport: &transport)
                } else if c.inputCount == 0 && nowMs - c.lastInputMs >= idleTimeoutMs {
                    counters.idleTimeouts &+= 1
                    release(slot, transport: &transport)
                }
            case .writing, .streaming:
                if c.pendingOutput > 0 && nowMs - c.lastProgressMs >= stallTimeoutMs {
                    counters.slowClients &+= 1
                    release(slot, transport: &transport)
                } else if c.phase == .streaming && c.pendingOutput == 0 && nowMs - c.lastEventWriteMs >= eventKeepAliveMs {
                    let space = streamSpace(slot)
                    var w = TextWriter(buffer: space)
                    w.text(": keep-alive\n\n")
                    if !w.overflowed { streamWrote(slot, count: w.count, nowMs: nowMs) }
                }
            }
        }
    }

    /// Closes every connection (at exit).
    public mutating func closeAll<T: HTTPTransport>(transport: inout T) {
        for slot in 0..<connections.count { release(slot, transport: &transport) }
    }
}
