// Commands to sensors (docs/RESOURCES.md §Commands): the one entry point every front end calls,
// the `/commands/<sensor>` resource (GET, Observe, POST of an id), notifications, line-mode
// delivery, expiry, and recovery from the log.

extension Server {
    /// Queues `payload` (Content-Format `contentFormat`) for the sensor called `name`: the entry
    /// point of every front end (HTTP, an MQTT subscription). The command's *accepted* record is
    /// appended to the log by the gateway before the tick's (or, for HTTP, the answer's) commit, so
    /// an `accepted` outcome is durable once the caller's acknowledgement leaves after that commit.
    /// - Complexity: O(commandSlotCount)
    public mutating func enqueueCommand(
        sensor name: SensorName, payload: UnsafeRawBufferPointer, contentFormat: UInt16, origin: SensorCommandOrigin, nowMs: Int64
    ) -> SensorCommandEnqueueResult {
        if !Server.commandsEnabled { return SensorCommandEnqueueResult(outcome: .full) }
        guard let index = pipeline.sensors.find(name) else { return SensorCommandEnqueueResult(outcome: .unknown) }
        if commands.journaling && !commandLogReady {
            // A record the log cannot keep now must not be acknowledged.
            commands.countLogRefusal()
            return SensorCommandEnqueueResult(outcome: .logRefusing)
        }
        return commands.enqueue(sensorIndex: index, sensorName: name, payload: payload, contentFormat: contentFormat, origin: origin, nowMs: nowMs)
    }

    /// End event `sequence` of the command ring with its sensor's name (an upstream's acks: read
    /// from its own cursor up to `commands.eventsTotal`), or nil when the ring no longer holds it.
    /// The name is the one the event kept, not the index's current sensor: an evicted sensor's
    /// index may name a newcomer by now.
    /// - Complexity: O(1)
    public func commandEvent(sequence: UInt32) -> (event: SensorCommandEvent, sensor: SensorName)? {
        guard let event = commands.event(sequence: sequence) else { return nil }
        return (event, event.sensorName)
    }

    /// A request to `/commands/<sensor>` (sensor at dense index `index`).
    mutating func commandRequest(_ index: Int, _ exchange: ServerExchange) -> Int {
        if !Server.commandsEnabled { return replyError(exchange, .notFound, "no commands in this profile") }
        let message = exchange.message
        if message.code == .post { return confirmCommand(index, exchange) }
        if message.code != .get { return replyError(exchange, .methodNotAllowed, "GET or POST only") }
        var observeValue: UInt32? = nil
        if let request = message.observe {
            if request == 0 {
                let value = commandObserveBase(nowMs: exchange.nowMs)
                if commandObservers.register(exchange.peer, token: message.token, sensor: index, observeValue: value) {
                    counters.observersAdded &+= 1
                    observeValue = value
                } else {
                    counters.observersRejected &+= 1
                }
            } else if request == 1 {
                if commandObservers.deregister(exchange.peer, token: message.token) { counters.observersRemoved &+= 1 }
            }
        }
        var options = ServerResponseOptions()
        options.observe = observeValue
        guard let slot = commands.oldest(sensorIndex: index) else {
            return reply(exchange, .content, options: options)
        }
        let command = commands.command(at: slot)
        options.eTag = command.id
        options.contentFormat = command.contentFormat
        return reply(exchange, .content, options: options, payload: commands.payload(at: slot))
    }

    /// An Observe value that grows across registrations (24 bits, RFC 7641 §4.4): seconds since
    /// the server started, so a new registration's first value is newer than an old one's.
    func commandObserveBase(nowMs: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: Server.seconds(from: identity.startMs, to: nowMs)) & 0xFF_FFFF
    }

    /// `POST /commands/<sensor>` with the decimal id of a command the sensor got from a GET: the
    /// command is delivered (2.04). 4.04 when no such command is pending for this sensor.
    mutating func confirmCommand(_ index: Int, _ exchange: ServerExchange) -> Int {
        let payload = exchange.message.payload
        if payload.count == 0 || payload.count > 10 { return replyError(exchange, .badRequest, "payload: the command id in decimal") }
        // At most 10 digits: a UInt64 holds any of them; compared as UInt64 (same type).
        var id: UInt64 = 0
        for byte in payload {
            if byte < 0x30 || byte > 0x39 { return replyError(exchange, .badRequest, "payload: the command id in decimal") }
            id = id &* 10 &+ UInt64(_truncatingBits: UInt(byte &- 0x30))
        }
        let idMax = UInt64(_truncatingBits: UInt(UInt32.max))
        if id == 0 || id > idMax { return replyError(exchange, .badRequest, "command id out of range") }
        guard let slot = commands.slot(id: UInt32(truncatingIfNeeded: id)), Int(commands.command(at: slot).sensor) == index else {
            return replyError(exchange, .notFound, "no such pending command for this sensor")
        }
        if !commands.finish(slot: slot, kind: .delivered, via: .confirm, nowMs: exchange.nowMs) {
            var options = ServerResponseOptions()
            options.maxAgeS = 1
            return replyError(exchange, .serviceUnavailable, "command not logged yet; try again", options: options)
        }
        return reply(exchange, .changed)
    }

    /// An empty ACK from `peer`: when it answers a command notification, that command is delivered.
    /// Returns true when it matched one.
    mutating func commandAcknowledged(from peer: Endpoint, messageID: UInt16, nowMs: Int64) -> Bool {
        if !Server.commandsEnabled { return false }
        guard let index = commandObservers.pending(from: peer, messageID: messageID) else { return false }
        var observer = commandObservers[index]
        if let slot = commands.slot(id: observer.pendingCommand) {
            // A ring without room: the notification is sent again and its next ACK delivers it.
            if !commands.finish(slot: slot, kind: .delivered, via: .observe, nowMs: nowMs) {
                return true
            }
        }
        observer.pendingCommand = 0
        commandObservers[index] = observer
        return true
    }

    /// A RST from `peer`: removes the command observer whose notification it answers.
    mutating func commandReset(from peer: Endpoint, messageID: UInt16) -> Bool {
        if !Server.commandsEnabled { return false }
        guard let index = commandObservers.pending(from: peer, messageID: messageID) else { return false }
        commandObservers.remove(at: index)
        return true
    }

    /// The tick's command work: expiry, then a notification for each observer with a command
    /// waiting (or a retransmission that is due), then line-mode delivery.
    /// - Complexity: O(command observers × slots + slots × sensors routed)
    mutating func tickCommands<Sink: DatagramSink>(nowMs: Int64, into sink: inout Sink) {
        if !Server.commandsEnabled { return }
        counters.commandsExpired &+= UInt64(bitPattern: commands.expire(nowMs: nowMs).wide)
        if commandObservers.count > 0 { notifyCommands(nowMs: nowMs, into: &sink) }
        deliverToLines(nowMs: nowMs, into: &sink)
    }

    mutating func notifyCommands<Sink: DatagramSink>(nowMs: Int64, into sink: inout Sink) {
        for i in 0..<commandObservers.capacity {
            var observer = commandObservers[i]
            if !observer.inUse { continue }
            if observer.pendingCommand != 0 {
                guard let slot = commands.slot(id: observer.pendingCommand) else {
                    // Delivered another way or expired meanwhile: the next command may go.
                    observer.pendingCommand = 0
                    commandObservers[i] = observer
                    continue
                }
                if nowMs < observer.dueMs || !sink.hasRoom { continue }
                if observer.retries >= CommandObserverTable.maxRetransmit {
                    commandObservers.remove(at: i)
                    counters.observersRemoved &+= 1
                    continue
                }
                observer.retries &+= 1
                sendCommandNotification(slot, to: &observer, messageID: observer.pendingMessageID, nowMs: nowMs, into: &sink)
                commandObservers[i] = observer
                continue
            }
            guard sink.hasRoom, let slot = commands.oldest(sensorIndex: Int(observer.sensor)) else { continue }
            if !commands.command(at: slot).logged { continue }
            observer.retries = 0
            observer.observeValue = (observer.observeValue &+ 1) & 0xFF_FFFF
            observer.pendingCommand = commands.command(at: slot).id
            sendCommandNotification(slot, to: &observer, messageID: takeMessageID(), nowMs: nowMs, into: &sink)
            commandObservers[i] = observer
        }
    }

    /// One CON notification carrying the command in `slot`; schedules its retransmission.
    mutating func sendCommandNotification<Sink: DatagramSink>(
        _ slot: Int, to observer: inout CommandObserver, messageID: UInt16, nowMs: Int64, into sink: inout Sink
    ) {
        let command = commands.command(at: slot)
        var options = ServerResponseOptions()
        options.eTag = command.id
        options.observe = observer.observeValue
        options.contentFormat = command.contentFormat
        let message = UnsafeMutableRawBufferPointer(rebasing: body[0..<P.maxDatagramBytes])
        let written = ServerResponse.write(
            into: message, type: .confirmable, code: .content, messageID: messageID, token: observer.token, options: options,
            payload: commands.payload(at: slot))
        observer.pendingMessageID = messageID
        observer.dueMs = nowMs + CommandObserverTable.ackTimeoutMs &<< observer.retries.wide
        if written == 0 { return }
        sink.send(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[0..<written]), to: observer.peer)
        counters.notificationsSent &+= 1
        counters.commandNotifications &+= 1
    }

    /// Writes each logged command of a sensor last heard on a line-mode serial line onto that
    /// line (docs/WIRE_FORMAT.md §3.1) and counts it delivered.
    mutating func deliverToLines<Sink: DatagramSink>(nowMs: Int64, into sink: inout Sink) {
        if commands.count == 0 || linesRouted == 0 { return }
        for slot in 0..<commands.capacity {
            let command = commands.command(at: slot)
            if command.sensor < 0 || !command.logged || !sink.hasRoom || !commands.canFinish { continue }
            let line = sensorRecords[Int(command.sensor)].commandLine
            if line < 0 { continue }
            let name = pipeline.sensors.name(at: Int(command.sensor))
            let out = UnsafeMutableRawBufferPointer(rebasing: body[0..<P.maxDatagramBytes])
            let length = Server.commandLine(command, name: name, payload: commands.payload(at: slot), into: out)
            if length == 0 { continue }
            sink.send(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<length]), to: .serial(line: UInt32(truncatingIfNeeded: line)))
            commands.finish(slot: slot, kind: .delivered, via: .serialLine, nowMs: nowMs)
        }
    }

    /// The line-mode framing of a command: `!command <id> <sensor> <content-format> <hex>\n`
    /// (docs/WIRE_FORMAT.md §3.1). Returns its length, 0 when `out` is too small.
    static func commandLine(_ command: SensorCommand, name: SensorName, payload: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        var w = TextWriter(buffer: out)
        w.text("!command ")
        w.integer(command.id.wide)
        w.text(" ")
        w.name(name)
        w.text(" ")
        w.integer(command.contentFormat.wide)
        w.text(" ")
        let digits: StaticString = "0123456789abcdef"
        for byte in payload {
            w.byte(digits.utf8Start[Int(byte &>> 4)])
            w.byte(digits.utf8Start[Int(byte & 0x0F)])
        }
        w.text("\n")
        return w.overflowed ? 0 : w.count
    }

    /// Sensors whose readings arrived on line-mode serial line `line` (dense indices in
    /// `packReadings[0..<count]`, just ingested) get their commands written on that line.
    /// - Complexity: O(readings × sensor lookup)
    public mutating func routeCommands(line: UInt32, readings count: Int) {
        if !Server.commandsEnabled { return }
        for i in 0..<min(count, packReadings.count) {
            guard let index = pipeline.sensors.find(packReadings[i].sensor) else { continue }
            if sensorRecords[index].commandLine < 0 { linesRouted += 1 }
            sensorRecords[index].commandLine = Int8(truncatingIfNeeded: line)
        }
    }

    /// Applies a command record read at start-up: an *accepted* one is queued again, a
    /// *delivered* / *expired* one removes its command. Writes nothing, emits nothing.
    mutating func restoreCommand(_ record: LogRecord, nowMs: Int64) {
        if !Server.commandsEnabled { return }
        if let end = record.commandEnd {
            commands.restoreEnded(id: end.id)
            return
        }
        guard let payload = record.command else {
            counters.restoreSkipped &+= 1
            return
        }
        guard let index = restoredSensor(payload.name, nowMs: nowMs) else { return }
        record.withPayload { bytes in
            _ = commands.restore(
                id: payload.id, sensorIndex: index, sensorName: payload.name,
                payload: UnsafeRawBufferPointer(rebasing: bytes[payload.bytesOffset..<(payload.bytesOffset + payload.bytesCount)]),
                contentFormat: payload.contentFormat, origin: payload.origin, enqueuedMs: record.timestampMs)
        }
    }
}
