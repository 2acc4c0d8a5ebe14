import CHAL
import Foundation
import OutpostCore

/// `outpost-tool fleet`: every gateway a broker has seen, from the retained messages the MQTT
/// upstream publishes (docs/MQTT.md §2, §4): `<prefix>/<node>/status` and `<prefix>/<node>/health`.
/// The broker is the fleet's registry; no server of ours is involved.
enum FleetCommand {
    static let help = """
        usage: outpost-tool fleet --broker mqtt://HOST:PORT|mqtts://HOST:PORT [options]

        Connects to the broker, subscribes to PREFIX/+/status and PREFIX/+/health (the retained
        messages every Outpost gateway keeps there) and prints one row per gateway:
          node  status  backlog  lag_ms  sensors  alerts_open  in_flight  acked  connects  health_age_s
          format  forward  sensor_list
        status is the retained online/offline (offline: the broker published the gateway's will);
        the rest is its last health message (age from its time_ms to now); sensor_list is the
        names the message lists, comma-separated, with +N for the ones it left out.

        options:
          --broker URL           mqtt://HOST:PORT or mqtts://HOST:PORT (HOST a.b.c.d, [IPv6] or localhost)
          --prefix P             topic prefix (default outpost)
          --wait-ms N            how long to collect messages before printing (default 1500)
          --watch SECONDS        print the table again every SECONDS (Ctrl-C stops)
          --count N              with --watch: stop after N tables
          --ca-file FILE         mqtts: CA bundle (default the system bundle)
          --cert-file FILE       mqtts: client certificate (mutual TLS; needs --key-file)
          --key-file FILE        mqtts: its private key
          --help                 this text

        """

    /// What the broker told about one gateway.
    struct Gateway {
        var status = "?"
        var health: [String: Any] = [:]
    }

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(
            command: "fleet", arguments: arguments,
            valueOptions: ["broker", "prefix", "wait-ms", "watch", "count", "ca-file", "cert-file", "key-file"])
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        guard let broker = parsed.values["broker"] else { throw ToolError("fleet: --broker mqtt://HOST:PORT is required") }
        let prefix = parsed.values["prefix"] ?? "outpost"
        if prefix.isEmpty || prefix.contains("+") || prefix.contains("#") {
            throw ToolError("fleet: --prefix wants a topic prefix without + or #")
        }
        let waitMs = try number(parsed.values["wait-ms"] ?? "1500", "--wait-ms", 1...600_000)
        let watchS = try parsed.values["watch"].map { (text: String) throws(ToolError) in try number(text, "--watch", 1...86_400) }
        let count = try parsed.values["count"].map { (text: String) throws(ToolError) in try number(text, "--count", 1...1_000_000) }
        if (parsed.values["cert-file"] == nil) != (parsed.values["key-file"] == nil) {
            throw ToolError("fleet: --cert-file and --key-file go together")
        }
        var connection = try FleetConnection(
            url: broker, caFile: parsed.values["ca-file"], certFile: parsed.values["cert-file"], keyFile: parsed.values["key-file"])
        defer { connection.close() }
        try connection.subscribe(prefix + "/+/status", id: 1)
        try connection.subscribe(prefix + "/+/health", id: 2)
        var gateways: [String: Gateway] = [:]
        var tables = 0
        // Bounded by --count, or by the user (Ctrl-C) with --watch alone; once without --watch.
        while true {
            let wait = tables == 0 ? waitMs : (watchS ?? 1) * 1_000
            try connection.collect(forMs: wait) { topic, payload in
                let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
                guard levels.count >= 3, let node = levels.dropLast().last.map(String.init) else { return }
                let text = String(decoding: payload, as: UTF8.self)
                if topic.hasSuffix("/status") {
                    gateways[node, default: Gateway()].status = text.isEmpty ? "?" : text
                } else if topic.hasSuffix("/health"),
                    let object = try? JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any]
                {
                    gateways[node, default: Gateway()].health = object
                }
            }
            stdout.write(table(gateways, nowMs: Int64(Date().timeIntervalSince1970 * 1_000)))
            try stdout.flush()
            tables += 1
            guard watchS != nil else { break }
            if let count, tables >= count { break }
        }
    }

    static func number(_ text: String, _ option: String, _ range: ClosedRange<Int>) throws(ToolError) -> Int {
        guard let value = Int(text), range.contains(value) else {
            throw ToolError("fleet: \(option) wants a whole number, \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// The health message's sensor names, comma-separated, `+N` for those it left out; `-` without a list.
    static func sensorList(_ health: [String: Any]) -> String {
        guard let names = health["sensors"] as? [String] else { return "-" }
        var parts = names
        if let omitted = (health["sensors_omitted"] as? NSNumber)?.intValue, omitted > 0 { parts.append("+\(omitted)") }
        return parts.isEmpty ? "-" : parts.joined(separator: ",")
    }

    /// The table, one row per gateway, sorted by node.
    static func table(_ gateways: [String: Gateway], nowMs: Int64) -> String {
        let header = [
            "node", "status", "backlog", "lag_ms", "sensors", "alerts_open", "in_flight", "acked", "connects", "health_age_s", "format",
            "forward", "sensor_list",
        ]
        var rows = [header]
        for node in gateways.keys.sorted() {
            let g = gateways[node]!
            func field(_ name: String) -> String {
                guard let value = g.health[name] else { return "-" }
                if let number = value as? NSNumber { return number.stringValue }
                return "\(value)"
            }
            var age = "-"
            if let time = g.health["time_ms"] as? NSNumber {
                age = String(format: "%.1f", Double(nowMs - time.int64Value) / 1_000)
            }
            rows.append([node, g.status, field("backlog"), field("forward_lag_ms"), field("sensor_count"), field("alerts_open"),
                         field("in_flight"), field("acked"), field("connects"), age, field("format"), field("forward"),
                         sensorList(g.health)])
        }
        var widths = [Int](repeating: 0, count: header.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var text = ""
        for row in rows {
            let cells = row.enumerated().map { $0.element + String(repeating: " ", count: widths[$0.offset] - $0.element.count) }
            text += cells.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        text += "\(gateways.count) gateway\(gateways.count == 1 ? "" : "s")\n"
        return text
    }
}

/// A small MQTT 3.1.1 subscriber over CHAL (TCP, TLS for mqtts://) with the core's codec: clean
/// session, QoS 0 subscriptions, blocking with time limits (a host tool, not the daemon's loop).
struct FleetConnection {
    var fd: Int32 = -1
    var tls: Int32 = -1
    var input = [UInt8](repeating: 0, count: 1 << 20)
    var inputCount = 0

    init(url: String, caFile: String?, certFile: String?, keyFile: String?) throws(ToolError) {
        let secure: Bool
        let rest: Substring
        if url.hasPrefix("mqtts://") {
            secure = true
            rest = url.dropFirst(8)
        } else if url.hasPrefix("mqtt://") {
            secure = false
            rest = url.dropFirst(7)
        } else {
            throw ToolError("fleet: --broker wants mqtt://HOST:PORT or mqtts://HOST:PORT")
        }
        var address = chal_address()
        let hostPort = Array(rest.utf8)
        if hostPort.isEmpty || chal_address_parse(hostPort, Int64(hostPort.count), &address) != 0 || address.port == 0 {
            throw ToolError("fleet: --broker wants mqtt://HOST:PORT or mqtts://HOST:PORT (HOST a.b.c.d, [IPv6] or localhost)")
        }
        let socket = chal_tcp_connect(&address)
        if socket < 0 { throw ToolError.io("fleet: cannot connect to \(url): error \(socket)") }
        fd = socket
        try waitFor(Int16(truncatingIfNeeded: CHAL_POLL_OUT), ms: 5_000, what: "connecting")
        let status = chal_tcp_connect_status(fd)
        if status != 0 { throw ToolError.io("fleet: cannot connect to \(url): error \(status)") }
        if secure {
            var host = String(rest[..<(rest.lastIndex(of: ":") ?? rest.endIndex)])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            try startTLS(host: host, caFile: caFile, certFile: certFile, keyFile: keyFile)
        }
        let id = Array("outpost-fleet-\(getpid())".utf8)
        var packet = [UInt8](repeating: 0, count: 256)
        let length = id.withUnsafeBytes { idBytes in
            packet.withUnsafeMutableBytes { out in
                try? MQTTWriter.connect(MQTTConnectOptions(clientID: idBytes, cleanSession: true, keepAliveS: 60), into: out)
            }
        }
        try send(Array(packet[0..<(length ?? 0)]))
        guard let connack = try next(deadline: Date().addingTimeInterval(10)), connack.packet.type == .connack else {
            throw ToolError.io("fleet: no CONNACK from \(url)")
        }
        if connack.packet.returnCode != 0 { throw ToolError.io("fleet: the broker refused the connection (return code \(connack.packet.returnCode))") }
    }

    mutating func startTLS(host: String, caFile: String?, certFile: String?, keyFile: String?) throws(ToolError) {
        let ca = caFile.map { Array($0.utf8) + [0] }
        let cert = certFile.map { Array($0.utf8) + [0] }
        let key = keyFile.map { Array($0.utf8) + [0] }
        let name = Array(host.utf8) + [0]
        var config = chal_tls_client_config()
        let handle: Int32 = ca.withOptionalPointer { caPointer in
            cert.withOptionalPointer { certPointer in
                key.withOptionalPointer { keyPointer in
                    config.ca_file = caPointer
                    config.cert_file = certPointer
                    config.key_file = keyPointer
                    return chal_tls_client_open(&config, fd, name)
                }
            }
        }
        if handle < 0 { throw ToolError.io("fleet: TLS: " + Self.tlsText(-1)) }
        tls = handle
        let deadline = Date().addingTimeInterval(10)
        while true {
            let step = chal_tls_handshake(tls)
            if step == 0 { return }
            if step != CHAL_EAGAIN { throw ToolError.io("fleet: TLS: " + Self.tlsText(tls)) }
            if Date() > deadline { throw ToolError.io("fleet: TLS handshake did not finish in 10 s") }
            try waitFor(Int16(truncatingIfNeeded: chal_tls_poll_events(tls)), ms: 1_000, what: nil)
        }
    }

    static func tlsText(_ handle: Int32) -> String {
        var text = [UInt8](repeating: 0, count: 300)
        let n = chal_tls_error_text(handle, &text, Int32(text.count))
        return String(decoding: text[0..<max(0, Int(n))], as: UTF8.self)
    }

    func waitFor(_ events: Int16, ms: Int32, what: String?) throws(ToolError) {
        var entry = chal_pollfd(fd: fd, events: events, revents: 0)
        let ready = chal_poll(&entry, 1, ms)
        if ready <= 0, let what { throw ToolError.io("fleet: timed out \(what)") }
    }

    func send(_ bytes: [UInt8]) throws(ToolError) {
        var at = 0
        let deadline = Date().addingTimeInterval(10)
        // Bounded by the deadline: each pass writes some bytes or waits.
        while at < bytes.count {
            if Date() > deadline { throw ToolError.io("fleet: the broker does not take our bytes") }
            let written: Int64 = bytes[at...].withUnsafeBufferPointer { b in
                tls >= 0 ? Int64(chal_tls_write(tls, b.baseAddress!, Int32(b.count))) : chal_write_some(fd, b.baseAddress!, Int64(b.count))
            }
            if written == Int64(CHAL_EAGAIN) {
                try waitFor(Int16(truncatingIfNeeded: CHAL_POLL_OUT), ms: 1_000, what: nil)
                continue
            }
            if written <= 0 { throw ToolError.io("fleet: write to the broker failed (error \(written))") }
            at += Int(written)
        }
    }

    func subscribe(_ filter: String, id: UInt16) throws(ToolError) {
        var packet = [UInt8](repeating: 0, count: 512)
        let bytes = Array(filter.utf8)
        let length = bytes.withUnsafeBytes { f in
            packet.withUnsafeMutableBytes { out in try? MQTTWriter.subscribe(packetID: id, filter: f, qos: 0, into: out) }
        }
        guard let length else { throw ToolError("fleet: topic filter too long") }
        try send(Array(packet[0..<length]))
    }

    /// Reads packets until `forMs` passed, handing every PUBLISH's topic and payload to `body`.
    mutating func collect(forMs: Int, _ body: (String, [UInt8]) -> Void) throws(ToolError) {
        let deadline = Date().addingTimeInterval(Double(forMs) / 1_000)
        // Bounded by the deadline.
        while let (packet, frame) = try next(deadline: deadline) {
            if packet.type == .publish {
                let topic = String(decoding: frame[packet.topicStart..<(packet.topicStart + packet.topicCount)], as: UTF8.self)
                body(topic, Array(frame[packet.payloadStart..<(packet.payloadStart + packet.payloadCount)]))
            }
        }
    }

    /// The next whole packet and its frame, or nil when `deadline` passed first.
    mutating func next(deadline: Date) throws(ToolError) -> (packet: MQTTPacket, frame: [UInt8])? {
        // Bounded by the deadline and the input buffer.
        while true {
            let length: Int?
            do {
                length = try input.withUnsafeBytes { b throws(MQTTError) in try MQTTReader.frameLength(UnsafeRawBufferPointer(rebasing: b[0..<inputCount])) }
            } catch {
                throw ToolError.io("fleet: the broker sent a malformed packet")
            }
            if let length, length <= inputCount {
                let frame = Array(input[0..<length])
                input.replaceSubrange(0..<inputCount, with: input[length..<inputCount] + [UInt8](repeating: 0, count: length))
                inputCount -= length
                do {
                    let packet = try frame.withUnsafeBytes { b throws(MQTTError) in try MQTTReader.decode(b) }
                    return (packet, frame)
                } catch {
                    throw ToolError.io("fleet: the broker sent a malformed packet")
                }
            }
            if inputCount == input.count { throw ToolError.io("fleet: a packet larger than 1 MiB") }
            let leftMs = Int32(max(0, min(1_000, deadline.timeIntervalSinceNow * 1_000)))
            if leftMs <= 0 && deadline.timeIntervalSinceNow <= 0 { return nil }
            let pending = tls >= 0 && (chal_tls_poll_events(tls) & Int32(CHAL_POLL_IN)) != 0
            if !pending { try waitFor(Int16(truncatingIfNeeded: CHAL_POLL_IN), ms: leftMs, what: nil) }
            let read: Int64 = input.withUnsafeMutableBufferPointer { b in
                let base = b.baseAddress! + inputCount
                let room = b.count - inputCount
                return tls >= 0 ? Int64(chal_tls_read(tls, base, Int32(room))) : chal_read_some(fd, base, Int64(room))
            }
            if read == Int64(CHAL_EAGAIN) { continue }
            if read <= 0 { throw ToolError.io("fleet: the broker closed the connection") }
            inputCount += Int(read)
        }
    }

    mutating func close() {
        if tls >= 0 { _ = chal_tls_close(tls) }
        if fd >= 0 { _ = chal_close(fd) }
        tls = -1
        fd = -1
    }
}

extension Optional where Wrapped == [UInt8] {
    /// Calls `body` with a pointer to the bytes, or nil.
    func withOptionalPointer<R>(_ body: (UnsafePointer<UInt8>?) -> R) -> R {
        switch self {
        case .some(let bytes): return bytes.withUnsafeBufferPointer { body($0.baseAddress) }
        case .none: return body(nil)
        }
    }
}
