// Once per loop tick: time-driven pipeline work, draining the outbox, expiry, notifications.

extension Server {
    /// Most duplicate-table entries expired per tick (the rest go on later ticks).
    static var expiryPerTick: Int { 256 }
    /// Most ledger records expired per tick: well above any rated load at 10 ticks a second.
    static var ledgerExpiryPerTick: Int { 1_024 }

    /// Runs the time-driven work once per tick, after the batch was handled, discarding the
    /// outbox's events except the alerts (kept for `/alerts` and notified to observers).
    public mutating func tick<Sink: DatagramSink>(nowMs: Int64, into sink: inout Sink) {
        var consumer = DiscardingOutboxConsumer()
        tick(nowMs: nowMs, into: &sink, consumer: &consumer)
    }

    /// Runs the time-driven work: the pipeline's tick (offline detection), then drains the outbox
    /// into `consumer` (every event, in order) and the alert history, expires duplicate entries,
    /// Block1 uploads, Block2 snapshots and silent observers, and sends observers a notification for every alert
    /// raised or cleared since the last call, while `sink.hasRoom` (the rest on later ticks).
    /// - Complexity: O(outbox + expiryPerTick + observers × notifications sent).
    public mutating func tick<Sink: DatagramSink, Consumer: OutboxConsumer>(
        nowMs: Int64, into sink: inout Sink, consumer: inout Consumer
    ) {
        lastTickMs = nowMs
        pipeline.tick(nowMs: nowMs)
        drainOutbox(into: &consumer)
        duplicates.expire(nowMs: nowMs, limit: Server.expiryPerTick)
        ledger.expire(nowMs: nowMs, limit: Server.ledgerExpiryPerTick)
        counters.block1Expired &+= UInt64(bitPattern: (block1.expire(nowMs: nowMs)).wide)
        if P.imageTransferCount > 0 {
            counters.imagesExpired &+= UInt64(bitPattern: images.expire(nowMs: nowMs).wide)
        }
        snapshots.expire(nowMs: nowMs)
        counters.observersRemoved &+= UInt64(bitPattern: (observers.expire(nowMs: nowMs)).wide)
        if observers.count > 0 {
            let expired = observers.expireLeases(nowMs: nowMs, leaseMs: fairness.observeLeaseS.wide &* 1_000)
            counters.observersExpired &+= UInt64(bitPattern: expired.wide)
        }
        notify(nowMs: nowMs, into: &sink)
        tickCommands(nowMs: nowMs, into: &sink)
    }

    /// Moves every outbox event to `consumer`, keeping alert events in the history.
    /// - Complexity: O(outbox capacity)
    public mutating func drainOutbox<Consumer: OutboxConsumer>(into consumer: inout Consumer) {
        // Evictions first: the new sensor's events that follow name the slot's new owner.
        drainEvictions(into: &consumer)
        // Values of quantities not detected on first: they were admitted with the readings queued
        // in the outbox, and neither order says more than the other (each record has its time).
        for _ in 0..<Server.quantityQueueCount {
            guard let value = quantityQueue.popFirst() else { break }
            consumer.consume(quantity: value)
        }
        if P.imageTransferCount > 0 { drainImages(into: &consumer) }
        for _ in 0..<P.Outbox.capacityEvents {
            guard let event = pipeline.outbox.popFirst() else { return }
            let slot: Int
            switch event {
            case .reading(let reading): slot = Int(reading.sensorSlot)
            case .alert(let alert):
                alertHistory.append(alert)
                if alert.sensorSlot == AlertEvent.gatewaySlot {
                    // The gateway's own alert is logged under its node id.
                    consumer.consume(event, sensor: identity.nodeId)
                    continue
                }
                slot = Int(alert.sensorSlot)
            }
            consumer.consume(event, sensor: pipeline.sensors.name(at: slot))
        }
    }

    /// Sends each observer the events it has not had yet, oldest first.
    mutating func notify<Sink: DatagramSink>(nowMs: Int64, into sink: inout Sink) {
        if observers.count == 0 { return }
        for index in 0..<observers.capacity {
            var observer = observers[index]
            if !observer.inUse { continue }
            let oldest = alertHistory.oldestSequence
            if observer.nextSequence &- oldest > alertHistory.total &- oldest {
                // Further back than the history holds (or a sequence from the future): skip ahead.
                counters.notificationsSkipped &+= UInt64(bitPattern: (oldest &- observer.nextSequence).wide)
                observer.nextSequence = oldest
            }
            // Bounded by the history size per observer and by the sink.
            for _ in 0..<alertHistory.capacity {
                guard observer.nextSequence != alertHistory.total, sink.hasRoom,
                    let event = alertHistory.event(sequence: observer.nextSequence)
                else { break }
                sendNotification(event, sequence: observer.nextSequence, to: &observer, nowMs: nowMs, into: &sink)
                observer.nextSequence &+= 1
            }
            observers[index] = observer
        }
    }

    /// One notification (RFC 7641 §4.2): the alert event in the observer's format, with the
    /// event's sequence number + 1 as the Observe value; NON, or CON every `confirmableEvery`-th.
    mutating func sendNotification<Sink: DatagramSink>(
        _ event: AlertEvent, sequence: UInt32, to observer: inout Observer, nowMs: Int64, into sink: inout Sink
    ) {
        let payloadArea = UnsafeMutableRawBufferPointer(rebasing: body[P.maxDatagramBytes..<body.count])
        var writer = ResourceFormatWriter(buffer: payloadArea, cbor: observer.contentFormat == CoAPContentFormat.cbor)
        renderAlert(event, sequence: sequence, into: &writer)
        let length = writer.overflowed ? 0 : writer.count
        let confirmable = observer.pendingSinceMs == Int64.min
            && observer.sentCount % ObserverTable.confirmableEvery == ObserverTable.confirmableEvery - 1
        let messageID = takeMessageID()
        var options = ServerResponseOptions()
        // Event `sequence` is announced as Observe `sequence + 1`: the registration answered with
        // Observe = the number of events so far, and a client (RFC 7641 §3.4) drops a notification
        // whose value is not newer than the last one it saw, so the first would be lost.
        options.observe = (sequence &+ 1) & 0xFF_FFFF
        options.contentFormat = observer.contentFormat
        let message = UnsafeMutableRawBufferPointer(rebasing: body[0..<P.maxDatagramBytes])
        let written = ServerResponse.write(
            into: message, type: confirmable ? .confirmable : .nonConfirmable, code: .content, messageID: messageID,
            token: observer.token, options: options,
            payload: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(payloadArea)[0..<length]))
        if written == 0 { return }
        sink.send(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(message)[0..<written]), to: observer.peer)
        counters.notificationsSent &+= 1
        observer.sentCount &+= 1
        observer.lastMessageID = messageID
        if confirmable {
            observer.pendingMessageID = messageID
            observer.pendingSinceMs = nowMs
        }
    }
}
