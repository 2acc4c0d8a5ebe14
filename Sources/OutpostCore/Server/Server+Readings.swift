// POST /readings: SenML packs (RFC 8428) in one datagram or in Block1 blocks (RFC 7959).

extension Server {
    /// Max-Age of a 5.03 when the outbox is full: it is drained every tick.
    static var outboxRetryS: UInt32 { 1 }
    /// Max-Age of a 5.03 when the sensor table is full: a slot comes back only when a sensor has
    /// been offline for the eviction time (`Pipeline.sensorEvictAfterMs`).
    static var sensorTableRetryS: UInt32 { 300 }

    /// Answers `POST /readings`. Every response is written within `duplicateResponseBytes`, so
    /// it is cached for retransmissions and the readings are processed exactly once.
    mutating func postReadings(_ exchange: ServerExchange) -> Int {
        let message = exchange.message
        guard let format = message.contentFormat,
            format == CoAPContentFormat.senmlJSON || format == CoAPContentFormat.senmlCBOR
        else {
            return replyError(exchange, .unsupportedContentFormat, "use senml+json (110) or senml+cbor (112)")
        }
        let block: CoAPBlock?
        do {
            block = try message.block1()
        } catch {
            return replyError(exchange, .badRequest, "malformed Block1 option")
        }
        if let size1 = message.size1, size1 > UInt32(truncatingIfNeeded: P.block1SlotBytes) {
            return tooLarge(exchange)
        }
        guard let block, block.number > 0 || block.more else {
            return ingestPack(exchange, payload: message.payload, format: format, block1: block)
        }
        if block.number == 0 && !exchange.peer.isAttached
            && block1.heldByOthersOfSource(exchange.peer, nowMs: exchange.nowMs) >= P.sourceBlock1Share {
            // One source holds at most its share of the slots; the others stay for other sources.
            counters.sourceBlock1Share &+= 1
            counters.busyBlock1 &+= 1
            var options = ServerResponseOptions()
            options.maxAgeS = UInt32(truncatingIfNeeded: Block1Reassembly.idleLimitMs / 1_000)
            return replyError(exchange, .serviceUnavailable, "Block1 share of this source used", options: options)
        }
        switch block1.accept(exchange.peer, block: block, contentFormat: format, payload: message.payload, nowMs: exchange.nowMs) {
        case .stored:
            var options = ServerResponseOptions()
            options.block1 = block
            return reply(exchange, .continue, options: options)
        case .complete(let slot):
            counters.block1Completed &+= 1
            let length = ingestPack(exchange, payload: block1.body(slot: slot), format: format, block1: block)
            block1.release(slot: slot)
            return length
        case .busy(let retryAfterS):
            counters.busyBlock1 &+= 1
            var options = ServerResponseOptions()
            options.maxAgeS = retryAfterS
            return replyError(exchange, .serviceUnavailable, "all Block1 slots busy", options: options)
        case .incomplete:
            return replyError(exchange, .requestEntityIncomplete, "block out of sequence")
        case .tooLarge:
            return tooLarge(exchange)
        case .badBlockSize:
            return replyError(exchange, .badRequest, "block payload does not match SZX")
        }
    }

    /// 4.13 with Size1: the largest body accepted.
    mutating func tooLarge(_ exchange: ServerExchange) -> Int {
        var options = ServerResponseOptions()
        options.size1 = UInt32(truncatingIfNeeded: P.block1SlotBytes)
        return replyError(exchange, .requestEntityTooLarge, "body too large", options: options)
    }

    /// Decodes a whole pack and feeds it to the pipeline, all or nothing.
    mutating func ingestPack(_ exchange: ServerExchange, payload: UnsafeRawBufferPointer, format: UInt16, block1: CoAPBlock?) -> Int {
        var options = ServerResponseOptions()
        options.block1 = block1
        let result: SenMLDecodeResult
        do {
            // Folded per profile: without room for them, the decoder is built only counting them.
            let taken = P.packQuantityCapacity > 0
                ? try SenMLDecoder.decode(
                    payload, contentFormat: format, nowMs: exchange.nowMs, into: packReadings, quantities: packQuantities,
                    keeping: SenMLKeepsQuantities.self)
                : try SenMLDecoder.decode(
                    payload, contentFormat: format, nowMs: exchange.nowMs, into: packReadings, quantities: packQuantities,
                    keeping: SenMLCountsQuantities.self)
            guard let decoded = taken else {
                return replyError(exchange, .unsupportedContentFormat, "use senml+json (110) or senml+cbor (112)")
            }
            result = decoded
        } catch {
            counters.invalidPacks &+= 1
            // The decoder's diagnostic, `senml: offset N: reason`, as the 4.00 payload.
            let diagnostic = UnsafeMutableRawBufferPointer(rebasing: body[0..<64])
            let length = error.write(into: diagnostic)
            let code: CoAPCode = error.reason == .tooManyReadings ? .requestEntityTooLarge : .badRequest
            return reply(
                exchange, code, options: options, payload: UnsafeRawBufferPointer(rebasing: diagnostic[0..<length]),
                limit: P.duplicateResponseBytes)
        }
        // (A profile without DTLS has no scoped requests: it compiles no check.)
        for i in 0..<result.readingCount where P.dtlsSessionCount > 0 && !exchange.scope.permits(packReadings[i].sensor) {
            // A DTLS identity writing a sensor outside its patterns: nothing of the pack is taken.
            counters.forbiddenWrites &+= 1
            options.block1 = nil
            return replyError(exchange, .forbidden, "identity may not write this sensor", options: options)
        }
        for i in 0..<result.quantityValueCount where P.dtlsSessionCount > 0 && !exchange.scope.permits(packQuantities[i].sensor) {
            counters.forbiddenWrites &+= 1
            options.block1 = nil
            return replyError(exchange, .forbidden, "identity may not write this sensor", options: options)
        }
        if sourceIndex >= 0 {
            // An authenticated DTLS session is held to its request bucket and its identity's
            // sensors, not to the reading rate: its throughput is the point of the session.
            // A value of a quantity not detected on is a log record like a reading: it pays the
            // same token, or a pack of such values alone would fill the log at no cost.
            let recordCount = result.readingCount + result.quantityValueCount
            if sources.contended && !exchange.peer.isAttached && !sources.takeReadings(sourceIndex, count: recordCount) {
                // Above its reading rate while others compete: dropped, not refused, so it costs
                // no answer; a CON sensor's retransmission is judged afresh.
                counters.sourceReadingRate &+= 1
                droppedOverShare = true
                return 0
            }
            if logPressure && sources.contended && sources.overShare(sourceIndex, settings: fairness) {
                // Its readings would push other sources' unforwarded records out of the log.
                counters.sourceLogShare &+= 1
                options.block1 = nil
                options.maxAgeS = Server.outboxRetryS
                return replyError(exchange, .serviceUnavailable, "log share used: retry", options: options)
            }
            if !admitsNewSensors(count: result.readingCount) {
                counters.sourceSensorShare &+= 1
                counters.busySensorTable &+= 1
                options.block1 = nil
                options.maxAgeS = Server.sensorTableRetryS
                return replyError(exchange, .serviceUnavailable, "sensor table full", options: options)
            }
        }
        let sensorsBefore = pipeline.sensors.count
        let evictedBefore = pipeline.counters.sensorsEvicted
        if let refusal = ingest(count: result.readingCount, quantityCount: result.quantityValueCount, nowMs: exchange.nowMs) {
            options.block1 = nil
            switch refusal {
            case .logFull:
                // The log cannot keep them all: refused before anything is acknowledged.
                counters.busyLog &+= 1
                options.maxAgeS = roomRetryS
                return replyError(exchange, .serviceUnavailable, "log full: retry", options: options)
            case .outboxFull:
                counters.busyOutbox &+= 1
                options.maxAgeS = Server.outboxRetryS
                return replyError(exchange, .serviceUnavailable, "busy: retry", options: options)
            case .sensorTableFull:
                counters.busySensorTable &+= 1
                options.maxAgeS = Server.sensorTableRetryS
                return replyError(exchange, .serviceUnavailable, "sensor table full", options: options)
            }
        }
        counters.packsAccepted &+= 1
        if sourceIndex >= 0 {
            // A sensor that took an evicted sensor's slot is new to this source too.
            let reused = Int(truncatingIfNeeded: pipeline.counters.sensorsEvicted &- evictedBefore)
            sources.addSensors(sourceIndex, count: pipeline.sensors.count - sensorsBefore + reused)
        }
        counters.unknownQuantities &+= UInt64(bitPattern: (result.unknownQuantityCount).wide)
        return reply(exchange, .changed, options: options, limit: P.duplicateResponseBytes)
    }

    /// Runs `packReadings[0..<count]` through the pipeline if it can take all of them now: the
    /// one admission check of a pack, before anything is acknowledged. The log's room (`room`,
    /// the request's argument), the outbox's room and the sensor table's room are checked first,
    /// so a pack is never half taken.
    /// - Returns: nil when taken, else why not.
    /// - Complexity: O(count) lookups, O(count²) name comparisons for new sensors only.
    mutating func ingest(count: Int, quantityCount: Int = 0, nowMs: Int64) -> RefusalReason? {
        precondition(count >= 0 && count <= packReadings.count, "pack count out of range")
        precondition(quantityCount >= 0 && quantityCount <= packQuantities.count, "pack quantity count out of range")
        let needed = count * Pipeline<P>.outboxRoomPerReading
        // (Without room for quantity values in the profile, `quantityCount` is 0: folded away.)
        let values = P.packQuantityCapacity > 0 ? quantityCount : 0
        if roomRecords >= 0 && needed + values > Int(roomRecords) { return .logFull }
        if P.Outbox.capacityEvents - pipeline.outbox.count < needed { return .outboxFull }
        if P.packQuantityCapacity > 0 && quantityQueue.free < values { return .outboxFull }
        let newSensors = newSensorCount(count: count)
        let free = pipeline.sensors.capacity - pipeline.sensors.count
        if newSensors > free && P.evictionNoticeCount > 0 {
            // A full table takes them in slots of sources over their share (for a source within
            // its own), then of sensors offline past the eviction time; all given out before
            // any reading is processed, so the pack is still taken whole or not at all.
            let short = newSensors - free
            let share = reclaimShare(newSensors: newSensors)
            let reclaimable = share.map { reclaimableCount(share: $0, limit: short, nowMs: nowMs) } ?? 0
            if short - reclaimable > pipeline.evictableCount(nowMs: nowMs, limit: short - reclaimable) { return .sensorTableFull }
            assignSlots(count: count, short: short, share: share, nowMs: nowMs)
        } else if newSensors > free && newSensors - free > pipeline.evictableCount(nowMs: nowMs, limit: newSensors - free) {
            // A full table may still take them in the slots of sensors offline past the eviction time.
            return .sensorTableFull
        }
        for i in 0..<count {
            let reading = packReadings[i]
            let evictedBefore = pipeline.counters.sensorsEvicted
            switch pipeline.process(reading, arrivalMs: nowMs) {
            case .accepted(let processed):
                if pipeline.counters.sensorsEvicted != evictedBefore { forgetSensor(Int(processed.sensorSlot), nowMs: nowMs) }
                remember(processed, location: reading.location, nowMs: nowMs)
                takeOwnership(Int(processed.sensorSlot))
            case .refused:
                preconditionFailure("the pipeline refused a reading after its room was checked")
            }
        }
        counters.readingsReceived &+= UInt64(bitPattern: (count).wide)
        for i in 0..<values {
            let queued = quantityQueue.tryAppend(packQuantities[i])
            precondition(queued, "quantity queue room was checked above")
            quantityCounts.count(packQuantities[i].name)
        }
        return nil
    }

    /// Whether the request's source may register the new sensors of `packReadings[0..<count]`
    /// (`SourceTable.mayRegister`: the last `sensorReserve` places are for sources holding
    /// fewer than `sourceSensorShareMin`). `ingestPack` counts the places it took.
    /// - Complexity: O(count) lookups, O(count²) name comparisons for new sensors only.
    mutating func admitsNewSensors(count: Int) -> Bool {
        let free = pipeline.sensors.capacity - pipeline.sensors.count
        if free >= P.sensorReserve + count { return true }  // cannot reach the reserve: no count needed
        let fresh = newSensorCount(count: count)
        if !sources.mayRegister(sourceIndex, newSensors: fresh, free: free, reserve: P.sensorReserve, shareMin: P.sourceSensorShareMin) {
            return false
        }
        return true
    }

    /// Distinct sensors of `packReadings[0..<count]` the table does not know yet.
    /// - Complexity: O(count) lookups, O(count²) name comparisons for new sensors only.
    func newSensorCount(count: Int) -> Int {
        var newSensors = 0
        for i in 0..<count where pipeline.sensors.find(packReadings[i].sensor) == nil {
            var repeated = false
            for j in 0..<i where packReadings[j].sensor == packReadings[i].sensor {
                repeated = true
                break
            }
            if !repeated { newSensors += 1 }
        }
        return newSensors
    }

    /// Keeps the newest reading of its sensor for `/sensors/{id}`.
    mutating func remember(_ processed: ProcessedReading, location: Location?, nowMs: Int64) {
        let index = Int(processed.sensorSlot)
        var record = sensorRecords[index]
        record.lastReceivedMs = nowMs
        if !record.hasReading || processed.timestampMs >= record.reading.timestampMs {
            record.reading = processed
            if let location { record.location = location }
            record.hasReading = true
        }
        sensorRecords[index] = record
    }

    /// Resets what the server keeps per sensor index after the pipeline gave index `index` to a
    /// new sensor: its last reading, the alert history's events of the old sensor, which are
    /// re-tagged `AlertEvent.evictedSlot` (shown with a null sensor) rather than renamed, and the
    /// old sensor's pending commands, which end as expired (`SensorCommandQueue.dropSensor`) so the
    /// newcomer never receives them.
    /// - Complexity: O(alert history capacity + command capacity).
    mutating func forgetSensor(_ index: Int, nowMs: Int64) {
        precondition(index >= 0 && index < pipeline.sensors.count, "sensor index out of range")
        // The source that held the old sensor holds it no more.
        if P.evictionNoticeCount > 0 { sources.moveHeld(from: Int(sensorRecords[index].owner), to: -1) }
        sensorRecords[index] = ServerSensorRecord.empty
        alertHistory.retag(slot: UInt16(truncatingIfNeeded: index), as: AlertEvent.evictedSlot)
        commands.dropSensor(sensorIndex: index, nowMs: nowMs)
    }
}
