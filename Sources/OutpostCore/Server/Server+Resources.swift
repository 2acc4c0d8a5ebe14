// Representations of /health, /sensors, /sensors/{id} and /alerts (docs/RESOURCES.md), written
// once for JSON and CBOR through `ResourceWriter`.

extension Server {
    /// `GET /health`.
    /// - Complexity: O(1)
    func renderHealth<W: ResourceWriter>(into w: inout W, nowMs: Int64) {
        let reasons = degradedReasons(nowMs: nowMs)
        w.beginMap()
        w.key("status")
        w.string(reasons == 0 ? "ok" : "degraded")
        w.key("reasons")
        w.beginArray()
        for bit in 0..<Server.reasonCount where reasons & (1 &<< UInt16(truncatingIfNeeded: bit)) != 0 {
            w.string(Server.reasonName(bit))
        }
        w.endArray()
        w.key("node_id")
        w.string(identity.nodeId)
        w.key("profile")
        w.string(identity.profile)
        w.key("version")
        w.string(identity.version)
        w.key("uptime_s")
        w.integer(Server.seconds(from: identity.startMs, to: nowMs))
        w.key("now_ms")
        w.integer(nowMs)
        w.key("last_tick_ms")
        w.integer(lastTickMs)
        w.key("sensors")
        w.integer(pipeline.sensors.count.wide)
        w.key("sensor_capacity")
        w.integer(pipeline.sensors.capacity.wide)
        w.key("observers")
        w.integer(observers.count.wide)
        renderModelStatus(into: &w, nowMs: nowMs)
        w.key("counters")
        w.beginMap()
        let c = counters
        let p = pipeline.counters
        counter(&w, "datagrams", c.datagrams)
        counter(&w, "requests", c.requests)
        counter(&w, "responses", c.responses)
        counter(&w, "responses_suppressed", c.responsesSuppressed)
        counter(&w, "readings_received", c.readingsReceived)
        counter(&w, "readings_accepted", p.readingsAccepted)
        counter(&w, "packs_accepted", c.packsAccepted)
        counter(&w, "invalid_packs", c.invalidPacks)
        counter(&w, "invalid_lines", c.invalidLines)
        counter(&w, "unknown_quantities", c.unknownQuantities)
        counter(&w, "duplicates", c.duplicatesAnswered &+ c.duplicatesReprocessed &+ c.duplicatesDropped)
        counter(&w, "duplicate_evictions", ledger.evictedEarly)
        counter(&w, "format_errors", c.formatErrorsReset &+ c.formatErrorsDropped)
        counter(&w, "client_errors", c.clientErrors)
        counter(&w, "server_errors", c.serverErrors)
        counter(&w, "busy", c.busyBlock1 &+ c.busyOutbox &+ c.busySensorTable &+ c.busyLog)
        counter(&w, "sensors_evicted", p.sensorsEvicted)
        if P.evictionNoticeCount > 0 { counter(&w, "sensors_reclaimed", c.sensorsReclaimed) }
        counter(&w, "busy_log", c.busyLog)
        if P.dtlsSessionCount > 0 { counter(&w, "forbidden_writes", c.forbiddenWrites) }
        counter(&w, "source_drops", c.sourceRequestRate &+ c.sourceReadingRate &+ c.sourceSensorShare
            &+ c.sourceBlock1Share &+ c.sourceObserverShare &+ c.sourceLogShare &+ c.amplificationLimited &+ c.readOnlyRefused &+ c.listenerRefused
            &+ c.sourceDuplicateShare &+ c.sourceDuplicateCacheShare)
        counter(&w, "anomalies", p.anomalies)
        counter(&w, "alerts_raised", p.alertsRaised)
        counter(&w, "alerts_cleared", p.alertsCleared)
        counter(&w, "clock_skew", p.clockSkew)
        counter(&w, "notifications", c.notificationsSent)
        w.endMap()
        renderStoreStatus(into: &w, nowMs: nowMs)
        renderSerialStatus(into: &w)
        renderDTLSStatus(into: &w)
        w.endMap()
    }

    /// The `model` member of `/health` (profiles with a forest): the running forest's origin (none, baked, file,
    /// learned), its identity (CRC-32C trailer and counts), when it was taken and its age, the model files taken
    /// or refused, and in a profile that learns on the board the learner's state and counts.
    /// - Complexity: O(1)
    func renderModelStatus<W: ResourceWriter>(into w: inout W, nowMs: Int64) {
        // A profile without a forest (low) has no model to show, and links none of this.
        if !Pipeline<P>.forestPossible { return }
        let m = pipeline.model
        let forest = pipeline.forest
        w.key("model")
        w.beginMap()
        w.key("origin")
        w.string(pipeline.modelOrigin.name)
        w.key("crc32c")
        w.integer((forest?.checksum ?? 0).wide)
        w.key("trees")
        w.integer((forest?.treeCount ?? 0).wide)
        w.key("nodes")
        w.integer((forest?.nodeCount ?? 0).wide)
        w.key("features")
        w.integer((forest?.featureCount ?? 0).wide)
        w.key("loaded_s")
        w.integer(m.loadedS.wide)
        // The baked model runs since start-up.
        w.key("age_ms")
        w.integer(Server.milliseconds(from: m.installedMs == 0 ? identity.startMs : m.installedMs, to: nowMs))
        counter(&w, "files_taken", UInt64(bitPattern: m.filesTaken.wide))
        counter(&w, "files_refused", UInt64(bitPattern: m.filesRefused.wide))
        // Folded at compile time: only a profile that learns on the board shows the learner.
        if P.retrainSampleCount > 0 {
            w.key("learn")
            w.string(m.learnState.name)
            counter(&w, "learned_samples", UInt64(bitPattern: m.learnedSamples.wide))
            counter(&w, "learned_models", UInt64(bitPattern: m.learnedModels.wide))
            counter(&w, "learn_skipped", UInt64(bitPattern: m.learnSkipped.wide))
            counter(&w, "sample_rows", UInt64(bitPattern: pipeline.retrainSample.count.wide))
        }
        w.endMap()
    }

    /// The `serial` member of `/health` (only when the daemon has serial lines).
    /// - Complexity: O(1)
    func renderSerialStatus<W: ResourceWriter>(into w: inout W) {
        let s = serialStatus
        if s.lines == 0 { return }
        w.key("serial")
        w.beginMap()
        w.key("lines")
        w.integer(s.lines.wide)
        w.key("open")
        w.integer(s.open.wide)
        counter(&w, "bad_escapes", s.badEscapes)
        counter(&w, "oversize_frames", s.oversizeFrames)
        counter(&w, "lines_too_long", s.linesTooLong)
        counter(&w, "losses", s.losses)
        counter(&w, "open_failures", s.openFailures)
        counter(&w, "output_dropped", s.outputDropped)
        w.endMap()
    }

    /// The `log` and `uplink` members of `/health` (only those the daemon enabled).
    /// - Complexity: O(1)
    func renderStoreStatus<W: ResourceWriter>(into w: inout W, nowMs: Int64) {
        let s = storeStatus
        if s.logEnabled {
            w.key("log")
            w.beginMap()
            w.key("state")
            w.string(s.logState)
            w.key("durability")
            w.string(s.durability)
            w.key("when_full")
            w.string(s.whenFull)
            w.key("refusing")
            w.bool(s.refusing)
            counter(&w, "oldest_sequence", s.oldestSequence)
            counter(&w, "last_sequence", s.lastSequence)
            counter(&w, "durable_sequence", s.durableSequence)
            w.key("free_bytes")
            w.integer(s.freeBytes)
            counter(&w, "dropped_readings", s.droppedReadings)
            counter(&w, "not_logged", s.notLogged)
            counter(&w, "commit_failures", s.commitFailures)
            w.endMap()
        }
        if s.uplinkEnabled {
            let u = s.uplink
            w.key("uplink")
            w.beginMap()
            w.key("state")
            w.string(u.state.name)
            w.key("mode")
            w.string(u.mode.name)
            counter(&w, "cursor", u.cursor)
            counter(&w, "backlog", u.backlogRecords)
            w.key("forward_lag_ms")
            w.integer(u.forwardLagMs)
            w.key("in_flight")
            w.bool(u.inFlight)
            w.key("down_ms")
            if let since = healthWatch.uplinkNotUpSinceMs { w.integer(Server.milliseconds(from: since, to: nowMs)) } else { w.integer(0) }
            counter(&w, "records_rejected", s.recordsRejected)
            counter(&w, "records_forwarded", u.counters.recordsForwarded)
            counter(&w, "batches_acknowledged", u.counters.batchesAcknowledged)
            counter(&w, "retransmissions", u.counters.retransmissions)
            counter(&w, "timeouts", u.counters.timeouts)
            w.endMap()
        }
    }

    func counter<W: ResourceWriter>(_ w: inout W, _ name: StaticString, _ value: UInt64) {
        w.key(name)
        w.integer(Int64(bitPattern: value & 0x7FFF_FFFF_FFFF_FFFF))
    }

    /// `GET /sensors`: one short entry per sensor, as many as fit (then `"truncated": true`).
    /// - Complexity: O(sensors)
    func renderSensors<W: ResourceWriter>(into w: inout W, nowMs: Int64) {
        w.beginMap()
        w.key("count")
        w.integer(pipeline.sensors.count.wide)
        w.key("capacity")
        w.integer(pipeline.sensors.capacity.wide)
        w.key("sensors")
        w.beginArray()
        var truncated = false
        for index in 0..<pipeline.sensors.count {
            let mark = w.mark
            let record = sensorRecords[index]
            let state = pipeline.alerts.state(sensor: index)
            w.beginMap()
            w.key("id")
            w.string(pipeline.sensors.name(at: index))
            w.key("online")
            w.bool(!state.isActive(.offline))
            w.key("status")
            w.string(record.reading.status.name)
            w.key("last_seen_ms")
            w.integer(record.lastReceivedMs)
            w.key("active_alerts")
            w.integer(state.activeMask.nonzeroBitCount.wide)
            w.endMap()
            if w.overflowed {
                w.rewind(to: mark)
                truncated = true
                break
            }
        }
        w.useReserve()
        w.endArray()
        w.key("truncated")
        w.bool(truncated)
        w.endMap()
    }

    /// `GET /sensors/{id}`: state, last values, the statistics of every window of the profile
    /// and the active alerts. Windows are summarised as of the later of the server clock and the
    /// sensor's newest reading.
    /// - Complexity: O(windows × buckets × features)
    func renderSensor<W: ResourceWriter>(_ index: Int, into w: inout W, nowMs: Int64) {
        let record = sensorRecords[index]
        let reading = record.reading
        let state = pipeline.alerts.state(sensor: index)
        w.beginMap()
        w.key("id")
        w.string(pipeline.sensors.name(at: index))
        w.key("online")
        w.bool(!state.isActive(.offline))
        w.key("status")
        w.string(reading.status.name)
        w.key("anomaly")
        w.bool(reading.anomaly)
        w.key("score")
        w.fixed(Server.thousandths(q16: reading.scoreQ16), decimals: 3)
        w.key("last_seen_ms")
        w.integer(record.lastReceivedMs)
        if Server.commandsEnabled {
            w.key("commands_pending")
            w.integer(commands.pending(sensorIndex: index).wide)
        }
        w.key("last_reading_ms")
        w.integer(reading.timestampMs)
        w.key("values")
        w.beginMap()
        for f in 0..<Feature.count {
            guard let feature = Feature.at(f), let value = reading.features[feature] else { continue }
            w.key(feature.name)
            w.fixed(value.wide, decimals: feature.decimals)
        }
        w.endMap()
        w.key("battery")
        if let battery = reading.batteryMilliPercent { w.fixed(battery.wide, decimals: 3) } else { w.null() }
        w.key("location")
        if let location = record.location {
            w.beginMap()
            w.key("lat")
            w.fixed(location.latitudeE7.wide, decimals: 7)
            w.key("lon")
            w.fixed(location.longitudeE7.wide, decimals: 7)
            w.endMap()
        } else {
            w.null()
        }
        w.key("windows")
        w.beginArray()
        let asOfMs = reading.timestampMs > nowMs ? reading.timestampMs : nowMs
        for s in 0..<WindowSpan.count {
            guard let span = WindowSpan.at(s), pipeline.windows.windows.contains(span) else { continue }
            renderWindow(pipeline.windows.summary(sensor: index, span: span, nowMs: asOfMs), into: &w)
        }
        w.endArray()
        w.key("alerts")
        w.beginArray()
        for k in 0..<AlertKind.count {
            guard let kind = AlertKind(rawValue: UInt8(truncatingIfNeeded: k)), state.isActive(kind) else { continue }
            w.string(kind.name)
        }
        w.endArray()
        w.endMap()
    }

    func renderWindow<W: ResourceWriter>(_ summary: WindowSummary, into w: inout W) {
        w.beginMap()
        w.key("window_s")
        w.integer(summary.span.seconds.wide)
        w.key("readings")
        w.integer(summary.readingCount.wide)
        w.key("normal")
        w.integer(summary.normalCount.wide)
        w.key("warning")
        w.integer(summary.warningCount.wide)
        w.key("alert")
        w.integer(summary.alertCount.wide)
        w.key("anomalies")
        w.integer(summary.anomalyCount.wide)
        w.key("features")
        w.beginMap()
        for f in 0..<Feature.count {
            guard let feature = Feature.at(f) else { continue }
            let stats = summary.features[f]
            if stats.count == 0 { continue }
            w.key(feature.name)
            w.beginMap()
            w.key("count")
            w.integer(stats.count.wide)
            w.key("mean")
            w.fixed(stats.mean.wide, decimals: feature.decimals)
            w.key("std")
            w.fixed(stats.standardDeviation.wide, decimals: feature.decimals)
            w.key("min")
            w.fixed(stats.minimum.wide, decimals: feature.decimals)
            w.key("max")
            w.fixed(stats.maximum.wide, decimals: feature.decimals)
            w.endMap()
        }
        w.endMap()
        w.endMap()
    }

    /// `GET /alerts`: the recent alert events, newest first, as many as fit.
    /// - Complexity: O(recentAlertCount + sensors)
    func renderAlerts<W: ResourceWriter>(into w: inout W) {
        var active = 0
        for index in 0..<pipeline.sensors.count {
            active += pipeline.alerts.state(sensor: index).activeMask.nonzeroBitCount
        }
        if uplinkRejectionOpen { active += 1 }
        w.beginMap()
        w.key("sequence")
        w.integer(alertHistory.total.wide)
        w.key("active")
        w.integer(active.wide)
        w.key("alerts")
        w.beginArray()
        var truncated = false
        var sequence = alertHistory.total
        for _ in 0..<alertHistory.count {
            sequence &-= 1
            guard let event = alertHistory.event(sequence: sequence) else { break }
            let mark = w.mark
            renderAlert(event, sequence: sequence, into: &w)
            if w.overflowed {
                w.rewind(to: mark)
                truncated = true
                break
            }
        }
        w.useReserve()
        w.endArray()
        w.key("truncated")
        w.bool(truncated)
        w.endMap()
    }

    /// One alert event: an element of `/alerts` and the payload of a notification.
    func renderAlert<W: ResourceWriter>(_ event: AlertEvent, sequence: UInt32, into w: inout W) {
        w.beginMap()
        w.key("seq")
        w.integer(sequence.wide)
        w.key("event")
        w.string(event.raised ? "raised" : "cleared")
        w.key("kind")
        w.string(event.kind.name)
        w.key("severity")
        w.string(event.severity.name)
        w.key("sensor")
        let slot = Int(event.sensorSlot)
        if event.sensorSlot == AlertEvent.gatewaySlot {
            w.string(identity.nodeId)
        } else if slot < pipeline.sensors.count {
            w.string(pipeline.sensors.name(at: slot))
        } else {
            w.null()
        }
        w.key("feature")
        if let feature = event.feature { w.string(feature.name) } else { w.null() }
        w.key("value")
        alertQuantity(event.value, event, into: &w)
        w.key("threshold")
        alertQuantity(event.threshold, event, into: &w)
        w.key("confidence")
        w.fixed(Server.thousandths(q16: event.confidenceQ16), decimals: 3)
        w.key("t_ms")
        w.integer(event.timestampMs)
        w.endMap()
    }

    /// `value`/`threshold` in the unit of what they measure: the feature's unit, seconds
    /// (offline), a fraction (anomaly rate, forest score or confidence) or percent (battery).
    func alertQuantity<W: ResourceWriter>(_ value: Int32, _ event: AlertEvent, into w: inout W) {
        switch event.kind {
        case .offline, .uplinkRejected: w.integer(value.wide)
        case .anomalyRate, .lowBattery: w.fixed(value.wide, decimals: 3)
        case .threshold, .critical, .anomaly:
            if let feature = event.feature {
                w.fixed(value.wide, decimals: feature.decimals)
            } else {
                w.fixed(Server.thousandths(q16: UInt16(truncatingIfNeeded: value)), decimals: 3)
            }
        }
    }

    /// A Q16 fraction in thousandths, rounded.
    static func thousandths(q16: UInt16) -> Int64 { (q16.wide * 1000 + 32_768) / 65_536 }

    /// Milliseconds from `startMs` to `endMs` (0 when negative).
    static func milliseconds(from startMs: Int64, to endMs: Int64) -> Int64 {
        let (elapsedMs, overflow) = endMs.subtractingReportingOverflow(startMs)
        return overflow || elapsedMs < 0 ? 0 : elapsedMs
    }

    /// Whole seconds from `startMs` to `endMs` (0 when negative).
    static func seconds(from startMs: Int64, to endMs: Int64) -> Int64 {
        let (elapsedMs, overflow) = endMs.subtractingReportingOverflow(startMs)
        return overflow || elapsedMs < 0 ? 0 : elapsedMs / 1000
    }
}
