// GET /metrics: the Prometheus text exposition format (version 0.0.4), Content-Format 0.

extension Server {
    /// Writes the metrics into the body scratch; returns the length (whole lines only).
    /// - Complexity: O(1)
    func renderMetrics(nowMs: Int64) -> Int {
        writeMetrics(into: body, nowMs: nowMs)
    }

    /// Writes the metrics into `buffer` (the CoAP body scratch, or an HTTP answer that adds more
    /// families after them); returns the length (whole lines only).
    /// - Complexity: O(1)
    func writeMetrics(into buffer: UnsafeMutableRawBufferPointer, nowMs: Int64) -> Int {
        var w = TextWriter(buffer: buffer)
        let c = counters
        let p = pipeline.counters
        family(&w, "outpost_datagrams_total", "counter", "CoAP datagrams received.")
        sample(&w, "outpost_datagrams_total", nil, nil, c.datagrams)
        family(&w, "outpost_readings_total", "counter", "Readings accepted by the pipeline.")
        sample(&w, "outpost_readings_total", nil, nil, p.readingsAccepted)
        family(&w, "outpost_packs_total", "counter", "SenML packs accepted.")
        sample(&w, "outpost_packs_total", nil, nil, c.packsAccepted)
        family(&w, "outpost_drops_total", "counter", "Datagrams, packs, lines or readings not taken, by reason.")
        sample(&w, "outpost_drops_total", "reason", "format_error", c.formatErrorsReset &+ c.formatErrorsDropped)
        sample(&w, "outpost_drops_total", "reason", "oversize", c.oversizeDatagrams)
        sample(&w, "outpost_drops_total", "reason", "invalid_senml", c.invalidPacks)
        sample(&w, "outpost_drops_total", "reason", "invalid_line", c.invalidLines)
        sample(&w, "outpost_drops_total", "reason", "unknown_quantity", c.unknownQuantities)
        sample(&w, "outpost_drops_total", "reason", "duplicate", c.duplicatesDropped)
        sample(&w, "outpost_drops_total", "reason", "busy_outbox", c.busyOutbox)
        sample(&w, "outpost_drops_total", "reason", "sensor_table_full", c.busySensorTable)
        sample(&w, "outpost_drops_total", "reason", "block1_busy", c.busyBlock1)
        // Only a profile with DTLS has identities to refuse (the low profile's body is full).
        if P.dtlsSessionCount > 0 { sample(&w, "outpost_drops_total", "reason", "forbidden", c.forbiddenWrites) }
        sample(&w, "outpost_drops_total", "reason", "block1_expired", c.block1Expired)
        sample(&w, "outpost_drops_total", "reason", "late_for_window", pipeline.windows.lateReadings)
        family(&w, "outpost_source_drops_total", "counter", "Sent by sources over their share, by reason.")
        sample(&w, "outpost_source_drops_total", "reason", "rate_requests", c.sourceRequestRate)
        sample(&w, "outpost_source_drops_total", "reason", "rate_readings", c.sourceReadingRate)
        sample(&w, "outpost_source_drops_total", "reason", "sensor_share", c.sourceSensorShare)
        sample(&w, "outpost_source_drops_total", "reason", "block1_share", c.sourceBlock1Share)
        sample(&w, "outpost_source_drops_total", "reason", "observe_share", c.sourceObserverShare)
        sample(&w, "outpost_source_drops_total", "reason", "log_share", c.sourceLogShare)
        sample(&w, "outpost_source_drops_total", "reason", "amplification", c.amplificationLimited)
        sample(&w, "outpost_source_drops_total", "reason", "read_only", c.readOnlyRefused)
        sample(&w, "outpost_source_drops_total", "reason", "not_allowed", c.listenerRefused)
        // (Profiles without the per-source duplicate cap, such as low, have neither.)
        if P.sourceDuplicatePercent > 0 {
            sample(&w, "outpost_source_drops_total", "reason", "duplicate_share", c.sourceDuplicateShare)
            sample(&w, "outpost_source_drops_total", "reason", "duplicate_cache_share", c.sourceDuplicateCacheShare)
        }
        // (The low profile's 4 KiB body holds the drops only.)
        if P.responseBodyBytes > 4_096 {
            family(&w, "outpost_sources", "gauge", "Traffic sources with their own token buckets.")
            sample(&w, "outpost_sources", nil, nil, UInt64(bitPattern: sources.count.wide))
            family(&w, "outpost_observers_expired_total", "counter", "Observe registrations ended because they were not renewed.")
            sample(&w, "outpost_observers_expired_total", nil, nil, c.observersExpired)
        }
        family(&w, "outpost_anomalies_total", "counter", "Readings the forest flagged.")
        sample(&w, "outpost_anomalies_total", nil, nil, p.anomalies)
        family(&w, "outpost_clock_skew_total", "counter", "Readings timestamped more than an hour from their arrival (taken as sent).")
        sample(&w, "outpost_clock_skew_total", nil, nil, p.clockSkew)
        family(&w, "outpost_alerts_total", "counter", "Alerts raised and cleared.")
        sample(&w, "outpost_alerts_total", "event", "raised", p.alertsRaised)
        sample(&w, "outpost_alerts_total", "event", "cleared", p.alertsCleared)
        family(&w, "outpost_duplicates_total", "counter", "Duplicate requests, by what was done.")
        sample(&w, "outpost_duplicates_total", "action", "answered", c.duplicatesAnswered &- c.duplicatesRecalled)
        sample(&w, "outpost_duplicates_total", "action", "recalled", c.duplicatesRecalled)
        sample(&w, "outpost_duplicates_total", "action", "reprocessed", c.duplicatesReprocessed)
        sample(&w, "outpost_duplicates_total", "action", "dropped", c.duplicatesDropped)
        family(&w, "outpost_duplicate_evictions_total", "counter", "Duplicate records dropped before EXCHANGE_LIFETIME (above the rated load).")
        sample(&w, "outpost_duplicate_evictions_total", nil, nil, ledger.evictedEarly)
        family(&w, "outpost_responses_total", "counter", "Responses by class.")
        sample(&w, "outpost_responses_total", "class", "2xx", c.success)
        sample(&w, "outpost_responses_total", "class", "4xx", c.clientErrors)
        sample(&w, "outpost_responses_total", "class", "5xx", c.serverErrors)
        family(&w, "outpost_responses_suppressed_total", "counter", "Responses not sent: the request's No-Response option declined them (RFC 7967).")
        sample(&w, "outpost_responses_suppressed_total", nil, nil, c.responsesSuppressed)
        family(&w, "outpost_block2_snapshots_total", "counter", "Block2 bodies copied at block 0 for the later blocks, or not (no slot, too large).")
        sample(&w, "outpost_block2_snapshots_total", "result", "taken", c.block2SnapshotsTaken)
        sample(&w, "outpost_block2_snapshots_total", "result", "refused", c.block2SnapshotsRefused)
        family(&w, "outpost_block2_later_blocks_total", "counter", "Block2 blocks after block 0, by where their body came from.")
        sample(&w, "outpost_block2_later_blocks_total", "source", "snapshot", c.block2BlocksFromSnapshot)
        sample(&w, "outpost_block2_later_blocks_total", "source", "fresh", c.block2BlocksFresh)
        family(&w, "outpost_notifications_total", "counter", "Observe notifications sent.")
        sample(&w, "outpost_notifications_total", nil, nil, c.notificationsSent)
        let serial = serialStatus
        if serial.lines > 0 {
            family(&w, "outpost_serial_errors_total", "counter", "Serial line errors, by kind.")
            sample(&w, "outpost_serial_errors_total", "kind", "bad_escape", serial.badEscapes)
            sample(&w, "outpost_serial_errors_total", "kind", "oversize_frame", serial.oversizeFrames)
            sample(&w, "outpost_serial_errors_total", "kind", "line_too_long", serial.linesTooLong)
            sample(&w, "outpost_serial_errors_total", "kind", "line_lost", serial.losses)
            sample(&w, "outpost_serial_errors_total", "kind", "open_failed", serial.openFailures)
            sample(&w, "outpost_serial_errors_total", "kind", "output_dropped", serial.outputDropped)
        }
        renderDTLSMetrics(into: &w)
        family(&w, "outpost_degraded", "gauge", "1 while /health says degraded (see its reasons).")
        sample(&w, "outpost_degraded", nil, nil, degradedReasons(nowMs: nowMs) == 0 ? 0 : 1)
        family(&w, "outpost_sensors", "gauge", "Sensors in the table.")
        sample(&w, "outpost_sensors", nil, nil, UInt64(bitPattern: (pipeline.sensors.count).wide))
        family(&w, "outpost_sensors_evicted_total", "counter", "Offline sensors forgotten so that a new sensor could take their slot.")
        sample(&w, "outpost_sensors_evicted_total", nil, nil, pipeline.counters.sensorsEvicted)
        if P.evictionNoticeCount > 0 {
            family(&w, "outpost_sensors_reclaimed_total", "counter", "Sensor slots taken back from sources over their sensor share (in sensors_evicted too).")
            sample(&w, "outpost_sensors_reclaimed_total", nil, nil, counters.sensorsReclaimed)
        }
        family(&w, "outpost_observers", "gauge", "Observers of /alerts.")
        sample(&w, "outpost_observers", nil, nil, UInt64(bitPattern: (observers.count).wide))
        // Folded away in a profile that only counts such records (`packQuantityCapacity` 0).
        if P.packQuantityCapacity > 0 {
            family(&w, "outpost_quantity_values_total", "counter", "Values of quantities not detected on, logged and forwarded, by quantity (_other: past the name table).")
            for i in 0..<quantityCounts.used {
                let entry = quantityCounts[i]
                w.text("outpost_quantity_values_total{quantity=\"")
                labelValue(&w, entry.name)
                w.text("\"} ")
                w.unsigned(entry.count)
                w.byte(0x0A)
            }
            sample(&w, "outpost_quantity_values_total", "quantity", "_other", quantityCounts.otherCount)
        }
        if storeStatus.uplinkEnabled {
            family(&w, "outpost_uplink_records_rejected_total", "counter", "Log records the upstream refused for good, set aside behind a marker.")
            sample(&w, "outpost_uplink_records_rejected_total", nil, nil, storeStatus.uplink.counters.recordsRejected)
        }
        // A constant branch: a profile without images (low) leaves these lines out.
        if P.imageTransferCount > 0 {
            family(&w, "outpost_image_bytes_total", "counter", "Image bytes accepted (POST /images, logged block by block).")
            sample(&w, "outpost_image_bytes_total", nil, nil, c.imageBytes)
            family(&w, "outpost_images_total", "counter", "Image transfers ended, by outcome (expired: of the aborted, for going idle).")
            sample(&w, "outpost_images_total", "outcome", "completed", c.imagesCompleted)
            sample(&w, "outpost_images_total", "outcome", "aborted", c.imagesAborted)
            sample(&w, "outpost_images_total", "outcome", "expired", c.imagesExpired)
        }
        family(&w, "outpost_tick_latency_seconds", "histogram", "Duration of one loop tick.")
        var cumulative: UInt64 = 0
        for i in 0...MetricsHistogram.bucketCount {
            cumulative &+= tickLatency.counts[i]
            let mark = w.count
            w.text("outpost_tick_latency_seconds_bucket{le=\"")
            if i < MetricsHistogram.bucketCount {
                w.fixed(Int64(bitPattern: MetricsHistogram.bound(i)), decimals: 9)
            } else {
                w.text("+Inf")
            }
            w.text("\"} ")
            w.unsigned(cumulative)
            w.byte(0x0A)
            if w.overflowed { return min(mark, w.wholeLinesCount) }
        }
        let mark = w.count
        w.text("outpost_tick_latency_seconds_sum ")
        w.fixed(Int64(bitPattern: tickLatency.sumNs & 0x7FFF_FFFF_FFFF_FFFF), decimals: 9)
        w.text("\noutpost_tick_latency_seconds_count ")
        w.unsigned(tickLatency.count)
        w.byte(0x0A)
        // A line that did not fit, here or earlier, is left out whole: the lines before it stand.
        return w.overflowed ? min(mark, w.wholeLinesCount) : w.count
    }

    /// `# HELP` and `# TYPE` lines of a metric family.
    func family(_ w: inout TextWriter, _ name: StaticString, _ type: StaticString, _ help: StaticString) {
        w.text("# HELP ")
        w.text(name)
        w.byte(0x20)
        w.text(help)
        w.text("\n# TYPE ")
        w.text(name)
        w.byte(0x20)
        w.text(type)
        w.byte(0x0A)
    }

    /// One sample line, with at most one label.
    func sample(_ w: inout TextWriter, _ name: StaticString, _ label: StaticString?, _ value: StaticString?, _ number: UInt64) {
        w.text(name)
        if let label, let value {
            w.byte(0x7B)
            w.text(label)
            w.text("=\"")
            w.text(value)
            w.text("\"}")
        }
        w.byte(0x20)
        w.unsigned(number)
        w.byte(0x0A)
    }
}
