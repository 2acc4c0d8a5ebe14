// State after a restart: the sensors' last readings and the open alerts, rebuilt from the log.

extension Server {
    /// Which records a restore pass applies. Alerts a full log copied forward (drop-oldest keeps
    /// unforwarded alerts) are older than every record that was not copied, although they sit
    /// later in the log: the daemon replays the copies first, then the rest, so each sensor's
    /// alert events are applied in the order they happened.
    public enum RestorePass: Sendable {
        case copiedAlerts
        case originals
    }

    /// Applies one log record read at start-up (`nowMs`) to the server's state, writing nothing
    /// and emitting nothing: a reading becomes its sensor's last reading (`/sensors`), an alert
    /// event updates the sensor's open alerts (the alert engine) and the recent alerts
    /// (`/alerts`). Sensors are registered in the order they appear; when the table is full the
    /// rest are skipped (counted in `restoreSkipped`). Other record types are ignored.
    /// - Complexity: O(1) expected (one sensor lookup).
    public mutating func restore(_ record: LogRecord, pass: RestorePass, nowMs: Int64) {
        switch record.type {
        case .imageChunk:
            if pass != .originals || P.imageTransferCount == 0 { return }
            guard let chunk = record.imageChunk else {
                counters.restoreSkipped &+= 1
                return
            }
            images.restore(chunk)
        case .reading:
            if pass != .originals { return }
            guard let payload = record.reading else {
                counters.restoreSkipped &+= 1
                return
            }
            guard let index = restoredSensor(payload.name, nowMs: nowMs) else { return }
            var reading = payload.reading
            reading.sensorSlot = UInt16(truncatingIfNeeded: index)
            var entry = sensorRecords[index]
            if !entry.hasReading || reading.timestampMs >= entry.reading.timestampMs {
                entry.reading = reading
                entry.hasReading = true
            }
            // The log keeps the reading's time, not its arrival: the best estimate of when it came.
            if reading.timestampMs > entry.lastReceivedMs { entry.lastReceivedMs = reading.timestampMs }
            sensorRecords[index] = entry
            counters.restoredReadings &+= 1
        case .alert, .alertCleared:
            if record.isCopied != (pass == .copiedAlerts) { return }
            guard let payload = record.alert else {
                counters.restoreSkipped &+= 1
                return
            }
            if payload.alert.kind == .uplinkRejected {
                // The gateway's own alert: no sensor; whether it is still open.
                var event = payload.alert
                event.sensorSlot = AlertEvent.gatewaySlot
                uplinkRejectionOpen = event.raised
                alertHistory.append(event)
                counters.restoredAlerts &+= 1
                return
            }
            guard let index = restoredSensor(payload.name, nowMs: nowMs) else { return }
            var event = payload.alert
            event.sensorSlot = UInt16(truncatingIfNeeded: index)
            pipeline.alerts.restore(sensor: index, event: event)
            alertHistory.append(event)
            counters.restoredAlerts &+= 1
        case .command, .commandDelivered, .commandExpired:
            if pass == .originals { restoreCommand(record, nowMs: nowMs) }
        default:
            return
        }
    }

    /// The index of `name`, registered when new (nil and counted when the table is full).
    mutating func restoredSensor(_ name: SensorName, nowMs: Int64) -> Int? {
        if name.count == 0 {
            counters.restoreSkipped &+= 1
            return nil
        }
        switch pipeline.sensors.findOrInsert(name) {
        case .found(let index):
            return index
        case .inserted(let index):
            pipeline.alerts.restoreSeen(sensor: index, atMs: nowMs)
            // The threshold rules were set before the log was read: resolve them for it too.
            pipeline.detector.resolve(sensor: index, name: name)
            return index
        case .full:
            counters.restoreSkipped &+= 1
            return nil
        }
    }
}
