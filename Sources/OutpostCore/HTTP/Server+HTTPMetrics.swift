// GET /metrics over HTTP: the CoAP /metrics families, then the log, the uplink, the sensors' last
// values, the HTTP server and the build (docs/HTTP.md, "Metrics"), in the Prometheus text format
// 0.0.4. Every line is written whole or not at all: when the answer buffer is full the last
// sensors are left out (`outpost_http_metrics_truncated` says so).

extension Server {
    /// Writes the HTTP metrics into `buffer`; returns the length.
    /// - Complexity: O(sensors × quantities)
    func writeHTTPMetrics(into buffer: UnsafeMutableRawBufferPointer, http: HTTPServer, site: HTTPSite, nowMs: Int64) -> Int {
        // The fixed families first, leaving room for the ones after the sensors.
        let tailReserve = 3072
        let base = writeMetrics(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<max(0, buffer.count - tailReserve)]), nowMs: nowMs)
        var w = TextWriter(buffer: UnsafeMutableRawBufferPointer(rebasing: buffer[base..<buffer.count]))
        writeStoreMetrics(&w, nowMs: nowMs)
        let truncated = writeSensorMetrics(&w, limit: max(0, w.freeBytes - tailReserve), nowMs: nowMs)
        family(&w, "outpost_http_connections", "gauge", "HTTP connections open (event streams included).")
        sample(&w, "outpost_http_connections", nil, nil, UInt64(bitPattern: http.openCount.wide))
        family(&w, "outpost_http_event_streams", "gauge", "Server-Sent Events streams open.")
        sample(&w, "outpost_http_event_streams", nil, nil, UInt64(bitPattern: http.eventStreamCount.wide))
        let c = http.counters
        family(&w, "outpost_http_responses_total", "counter", "HTTP answers by class.")
        sample(&w, "outpost_http_responses_total", "class", "2xx", c.responses2xx)
        sample(&w, "outpost_http_responses_total", "class", "4xx", c.responses4xx)
        sample(&w, "outpost_http_responses_total", "class", "5xx", c.responses5xx)
        family(&w, "outpost_http_closed_total", "counter", "HTTP connections closed by the server, by reason.")
        sample(&w, "outpost_http_closed_total", "reason", "refused", c.refused)
        sample(&w, "outpost_http_closed_total", "reason", "evicted", c.evicted)
        sample(&w, "outpost_http_closed_total", "reason", "header_timeout", c.headerTimeouts)
        sample(&w, "outpost_http_closed_total", "reason", "idle_timeout", c.idleTimeouts)
        sample(&w, "outpost_http_closed_total", "reason", "slow_client", c.slowClients)
        family(&w, "outpost_http_malformed_requests_total", "counter", "HTTP requests refused by the parser (400, 413, 414, 431, 505).")
        sample(&w, "outpost_http_malformed_requests_total", nil, nil, c.malformed)
        family(&w, "outpost_http_events_total", "counter", "Alert events written to event streams.")
        sample(&w, "outpost_http_events_total", nil, nil, c.eventsSent)
        family(&w, "outpost_commands_pending", "gauge", "Commands queued for sensors.")
        sample(&w, "outpost_commands_pending", nil, nil, UInt64(bitPattern: commands.count.wide))
        let q = commands.counters
        family(&w, "outpost_commands_total", "counter", "Commands by result.")
        sample(&w, "outpost_commands_total", "result", "accepted", q.accepted)
        sample(&w, "outpost_commands_total", "result", "full", q.refusedFull)
        sample(&w, "outpost_commands_total", "result", "refused", q.refusedOther)
        sample(&w, "outpost_commands_total", "result", "log_refusing", q.logRefusals)
        sample(&w, "outpost_commands_total", "result", "unauthorized", site.unauthorized)
        sample(&w, "outpost_commands_total", "result", "delivered", q.delivered)
        sample(&w, "outpost_commands_total", "result", "expired", q.expired)
        sample(&w, "outpost_commands_total", "result", "evicted", q.droppedEvicted)
        family(&w, "outpost_command_events_total", "counter", "Command end events (delivered or expired) since start.")
        sample(&w, "outpost_command_events_total", nil, nil, UInt64(bitPattern: commands.eventsTotal.wide))
        family(&w, "outpost_commands_restored", "gauge", "Commands put back from the log at start-up.")
        sample(&w, "outpost_commands_restored", nil, nil, q.restored)
        family(&w, "outpost_http_metrics_truncated", "gauge", "1 when this answer left sensors out (the answer buffer is full).")
        sample(&w, "outpost_http_metrics_truncated", nil, nil, truncated ? 1 : 0)
        family(&w, "outpost_build_info", "gauge", "The build: version, profile and node id (always 1).")
        w.text("outpost_build_info{version=\"")
        w.text(identity.version)
        w.text("\",profile=\"")
        w.text(identity.profile)
        w.text("\",node_id=\"")
        labelValue(&w, identity.nodeId)
        w.text("\"} 1\n")
        // The reserve is sized for these families: an overflow here is a sizing error, and the
        // answer then ends at the last whole line before it.
        return base + (w.overflowed ? w.wholeLinesCount : w.count)
    }

    /// The log and uplink families (only those the daemon enabled).
    func writeStoreMetrics(_ w: inout TextWriter, nowMs: Int64) {
        let s = storeStatus
        if s.logEnabled {
            family(&w, "outpost_log_ready", "gauge", "1 while the log takes records (ready or full), 0 when unavailable, out of space or failed.")
            sample(&w, "outpost_log_ready", nil, nil, Server.same(s.logState, "ready") || Server.same(s.logState, "full") ? 1 : 0)
            family(&w, "outpost_log_free_bytes", "gauge", "Record bytes the log can append without erasing anything.")
            sample(&w, "outpost_log_free_bytes", nil, nil, UInt64(bitPattern: max(0, s.freeBytes)))
            family(&w, "outpost_log_last_sequence", "gauge", "Sequence number of the last record written.")
            sample(&w, "outpost_log_last_sequence", nil, nil, s.lastSequence)
            family(&w, "outpost_log_durable_sequence", "gauge", "Sequence number of the last record synced to disk.")
            sample(&w, "outpost_log_durable_sequence", nil, nil, s.durableSequence)
            family(&w, "outpost_log_refusing", "gauge", "1 while new readings are answered 5.03 because the log cannot take them.")
            sample(&w, "outpost_log_refusing", nil, nil, s.refusing ? 1 : 0)
            family(&w, "outpost_log_dropped_readings_total", "counter", "Unforwarded readings lost to drop-oldest.")
            sample(&w, "outpost_log_dropped_readings_total", nil, nil, s.droppedReadings)
            family(&w, "outpost_log_not_logged_total", "counter", "Outbox events the log could not keep.")
            sample(&w, "outpost_log_not_logged_total", nil, nil, s.notLogged)
            family(&w, "outpost_log_commit_failures_total", "counter", "Ticks whose commit did not complete (answers withheld).")
            sample(&w, "outpost_log_commit_failures_total", nil, nil, s.commitFailures)
        }
        if s.uplinkEnabled {
            let u = s.uplink
            family(&w, "outpost_uplink_up", "gauge", "1 while the uplink is up, 0 while down or backing off.")
            sample(&w, "outpost_uplink_up", nil, nil, u.state == .up ? 1 : 0)
            family(&w, "outpost_uplink_backlog_records", "gauge", "Log records not yet forwarded.")
            sample(&w, "outpost_uplink_backlog_records", nil, nil, u.backlogRecords)
            family(&w, "outpost_uplink_forward_lag_seconds", "gauge", "Age of the oldest record not yet forwarded.")
            w.text("outpost_uplink_forward_lag_seconds ")
            w.fixed(max(0, u.forwardLagMs), decimals: 3)
            w.byte(0x0A)
            family(&w, "outpost_uplink_records_forwarded_total", "counter", "Log records the upstream acknowledged.")
            sample(&w, "outpost_uplink_records_forwarded_total", nil, nil, u.counters.recordsForwarded)
            family(&w, "outpost_uplink_retransmissions_total", "counter", "Uplink retransmissions.")
            sample(&w, "outpost_uplink_retransmissions_total", nil, nil, u.counters.retransmissions)
            family(&w, "outpost_uplink_timeouts_total", "counter", "Uplink exchanges given up after their last retransmission.")
            sample(&w, "outpost_uplink_timeouts_total", nil, nil, u.counters.timeouts)
        }
    }

    /// Per-sensor families: last value of each quantity, online, last seen. Stops before
    /// `limit` bytes; returns true when sensors were left out.
    /// - Complexity: O(sensors × quantities)
    func writeSensorMetrics(_ w: inout TextWriter, limit: Int, nowMs: Int64) -> Bool {
        let start = w.count
        let sensors = pipeline.sensors.count
        family(&w, "outpost_sensor_value", "gauge", "Last value of each quantity of each sensor, in its unit (docs/RESOURCES.md).")
        for index in 0..<sensors {
            let record = sensorRecords[index]
            if !record.hasReading { continue }
            let name = pipeline.sensors.name(at: index)
            for f in 0..<Feature.count {
                guard let feature = Feature.at(f), let value = record.reading.features[feature] else { continue }
                let mark = w.count
                w.text("outpost_sensor_value{sensor=\"")
                labelValue(&w, name)
                w.text("\",quantity=\"")
                w.text(feature.name)
                w.text("\"} ")
                w.fixed(value.wide, decimals: feature.decimals)
                w.byte(0x0A)
                if w.count - start > limit || w.overflowed {
                    w.rewind(to: mark)
                    return true
                }
            }
        }
        family(&w, "outpost_sensor_online", "gauge", "1 while the sensor is online, 0 after its offline alert.")
        for index in 0..<sensors {
            let mark = w.count
            w.text("outpost_sensor_online{sensor=\"")
            labelValue(&w, pipeline.sensors.name(at: index))
            w.text("\"} ")
            w.byte(pipeline.alerts.state(sensor: index).isActive(.offline) ? 0x30 : 0x31)
            w.byte(0x0A)
            if w.count - start > limit || w.overflowed {
                w.rewind(to: mark)
                return true
            }
        }
        family(&w, "outpost_sensor_last_seen_timestamp_seconds", "gauge", "When the sensor's last reading arrived (Unix time).")
        for index in 0..<sensors where sensorRecords[index].hasReading {
            let mark = w.count
            w.text("outpost_sensor_last_seen_timestamp_seconds{sensor=\"")
            labelValue(&w, pipeline.sensors.name(at: index))
            w.text("\"} ")
            w.fixed(sensorRecords[index].lastReceivedMs, decimals: 3)
            w.byte(0x0A)
            if w.count - start > limit || w.overflowed {
                w.rewind(to: mark)
                return true
            }
        }
        return false
    }

    /// A sensor name as a label value: backslash, quote and line feed escaped (the text format's
    /// rule; sensor names hold no quotes or line feeds, but the rule costs nothing).
    func labelValue(_ w: inout TextWriter, _ name: SensorName) {
        for i in 0..<Int(name.count) {
            let b = name[i]
            if b == 0x5C || b == 0x22 {
                w.byte(0x5C)
                w.byte(b)
            } else if b == 0x0A {
                w.byte(0x5C)
                w.byte(0x6E)
            } else {
                w.byte(b)
            }
        }
    }
}
