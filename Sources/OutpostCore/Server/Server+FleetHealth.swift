// The server's part of an upstream's health message (docs/MQTT.md §4): the sensors it knows and
// the alerts open now, for a fleet view read from the broker (`outpost-tool fleet`).

extension Server {
    /// Writes `"sensor_count":N,"sensors":[…],"sensors_omitted":K,"alerts_open":M,"alerts":[…],
    /// "alerts_omitted":J` (JSON members, no braces) into `out`: at most `sensorsMax` sensor
    /// names (table order) and `alertsMax` open alerts (`{"sensor":…,"kind":…}`, the gateway's
    /// own alert named by the node id), and how many of each were left out, so the message
    /// stays bounded whatever the table holds. Returns the sensor count and the open alerts (a
    /// change is worth a health message before its interval).
    /// - Complexity: O(sensors × alert kinds)
    @discardableResult
    public func writeFleetHealth(into out: inout TextWriter, sensorsMax: Int, alertsMax: Int) -> (sensors: Int, alertsOpen: Int) {
        precondition(sensorsMax >= 0 && alertsMax >= 0, "list caps are counts")
        let sensorCount = pipeline.sensors.count
        out.text("\"sensor_count\":")
        out.integer(sensorCount.wide)
        out.text(",\"sensors\":[")
        let listed = min(sensorCount, sensorsMax)
        for index in 0..<listed {
            if index > 0 { out.byte(0x2C) }
            Server.jsonName(pipeline.sensors.name(at: index), into: &out)
        }
        out.text("],\"sensors_omitted\":")
        out.integer((sensorCount - listed).wide)
        var open = uplinkRejectionOpen ? 1 : 0
        for index in 0..<sensorCount {
            open += pipeline.alerts.state(sensor: index).activeMask.nonzeroBitCount
        }
        out.text(",\"alerts_open\":")
        out.integer(open.wide)
        out.text(",\"alerts\":[")
        var written = 0
        if uplinkRejectionOpen && written < alertsMax {
            Server.jsonAlert(identity.nodeId, AlertKind.uplinkRejected, first: true, into: &out)
            written += 1
        }
        // Stops at the cap: at most sensors × kinds passes.
        for index in 0..<sensorCount where written < alertsMax {
            let state = pipeline.alerts.state(sensor: index)
            if state.activeMask == 0 { continue }
            for raw in 0..<UInt8(AlertKind.count) where written < alertsMax {
                guard let kind = AlertKind(rawValue: raw), state.isActive(kind) else { continue }
                Server.jsonAlert(pipeline.sensors.name(at: index), kind, first: written == 0, into: &out)
                written += 1
            }
        }
        out.text("],\"alerts_omitted\":")
        out.integer((open - written).wide)
        return (sensorCount, open)
    }

    /// `{"sensor":"<name>","kind":"<kind>"}`, after a comma unless it is the first.
    static func jsonAlert(_ name: SensorName, _ kind: AlertKind, first: Bool, into out: inout TextWriter) {
        if !first { out.byte(0x2C) }
        out.text("{\"sensor\":")
        jsonName(name, into: &out)
        out.text(",\"kind\":\"")
        out.text(kind.name)
        out.text("\"}")
    }

    /// A sensor name as a JSON string: names are printable ASCII, so only `"` and `\` need escaping.
    static func jsonName(_ name: SensorName, into out: inout TextWriter) {
        out.byte(0x22)
        for i in 0..<Int(name.count) {
            let byte = name[i]
            if byte == 0x22 || byte == 0x5C { out.byte(0x5C) }
            out.byte(byte)
        }
        out.byte(0x22)
    }
}
