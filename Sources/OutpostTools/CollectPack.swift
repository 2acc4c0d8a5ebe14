import Foundation

/// A CBOR value decoded by the collector (Foundation-side, allocating: the collector runs on the host).
indirect enum CollectValue {
    case int(Int64)
    case unsigned(UInt64)
    case text(String)
    case bytes([UInt8])
    case float(Double)
    case bool(Bool)
    case null
    case array([CollectValue])
    case map([(CollectValue, CollectValue)])

    var number: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .unsigned(let v): return Double(v)
        case .float(let v): return v
        default: return nil
        }
    }

    var text: String? { if case .text(let t) = self { return t } else { return nil } }

    var sequence: UInt64? {
        switch self {
        case .unsigned(let v): return v
        case .int(let v) where v >= 0: return UInt64(v)
        default: return nil
        }
    }
}

/// The SenML-CBOR batch of docs/UPLINK_FORMAT.md, decoded and regrouped into log records.
enum CollectPack {
    struct Malformed: Error {
        var reason: String
    }

    /// One log record rebuilt from its SenML records (same `seq`).
    struct LogRecord {
        var node: String
        /// The pack's log id (`lid`, docs/UPLINK_FORMAT.md §2), 0 when the pack has none.
        var logID: UInt64
        var sequence: UInt64
        /// SenML records of the log record: resolved name (without the node), fields by label.
        var records: [(name: String, fields: [String: CollectValue])]
    }

    /// Decodes `bytes` and groups the records by (node, log id, seq), in order of first appearance.
    static func decode(_ bytes: [UInt8]) throws(Malformed) -> [LogRecord] {
        var at = 0
        let value: CollectValue
        do {
            value = try item(bytes, &at, depth: 0)
        } catch {
            throw error
        }
        if at != bytes.count { throw Malformed(reason: "trailing bytes after the pack") }
        guard case .array(let items) = value else { throw Malformed(reason: "the pack is not an array") }
        let labels: [Int64: String] = [-1: "bver", -2: "bn", -3: "bt", -4: "bu", -5: "bv", -6: "bs", 0: "n", 1: "u", 2: "v", 3: "vs", 4: "vb", 5: "s", 6: "t", 7: "ut", 8: "vd"]
        var baseName = ""
        var logID: UInt64 = 0
        var result: [LogRecord] = []
        var index: [String: Int] = [:]
        for item in items {
            guard case .map(let pairs) = item else { throw Malformed(reason: "a record is not a map") }
            var fields: [String: CollectValue] = [:]
            for (key, value) in pairs {
                switch key {
                case .int(let k): fields[labels[k] ?? "#\(k)"] = value
                case .unsigned(let k): fields[labels[Int64(clamping: k)] ?? "#\(k)"] = value
                case .text(let k):
                    if k.hasSuffix("_") { throw Malformed(reason: "must-understand label '\(k)'") }
                    fields[k] = value
                default: throw Malformed(reason: "a label is neither integer nor text")
                }
            }
            if let bn = fields["bn"]?.text { baseName = bn }
            // Like `bn`, the log id holds for the records after the one that carries it.
            if let lid = fields["lid"] {
                guard let value = lid.sequence, value != 0 else { throw Malformed(reason: "the log id 'lid' is not a positive integer") }
                logID = value
            }
            guard let name = fields["n"]?.text else { throw Malformed(reason: "a record has no name") }
            guard let sequence = fields["seq"]?.sequence else { throw Malformed(reason: "a record has no 'seq'") }
            guard baseName.hasSuffix("/"), baseName.count > 1 else { throw Malformed(reason: "the base name is not '<node>/'") }
            let node = String(baseName.dropLast())
            let key = node + "#" + String(logID) + "#" + String(sequence)
            if let i = index[key] {
                result[i].records.append((name, fields))
            } else {
                index[key] = result.count
                result.append(LogRecord(node: node, logID: logID, sequence: sequence, records: [(name, fields)]))
            }
        }
        return result
    }

    /// The JSON line of one log record (docs/UPLINK_FORMAT.md §3.5 tells the kinds apart).
    static func jsonLine(_ record: LogRecord) -> String {
        var out = "{\"node\":" + json(unescapeName(record.node)) + ",\"log_id\":" + String(record.logID) + ",\"seq\":" + String(record.sequence)
        let first = record.records[0]
        let time = first.fields["t"]?.number.map(number) ?? "null"
        let parts = first.name.split(separator: "/").map(String.init)
        if let mark = first.fields["mark"] {
            out += ",\"type\":\"marker\",\"time\":" + time + ",\"code\":" + json(parts.last ?? "")
            out += ",\"code_number\":" + (mark.number.map(number) ?? "null")
            out += ",\"value\":" + (first.fields["v"]?.number.map(number) ?? "null")
            // An eviction marker is named `<sensor>/log/sensor_evicted` (UPLINK_FORMAT.md §3.5).
            if parts.count >= 3 { out += ",\"sensor\":" + json(unescapeName(parts[..<(parts.count - 2)].joined(separator: "/"))) }
            return out + "}"
        }
        // An image chunk carries its transfer id (`xfer`): a quantity value a sensor named `image`
        // has none and stays a reading.
        if parts.count >= 2, first.fields["xfer"] != nil,
            parts.last == "image" || (parts.last == "aborted" && parts[parts.count - 2] == "image")
        {
            let aborted = parts.last == "aborted"
            let camera = unescapeName(parts.dropLast(aborted ? 2 : 1).joined(separator: "/"))
            out += ",\"camera\":" + json(camera) + ",\"type\":\"" + (aborted ? "image_aborted" : "image_chunk") + "\",\"time\":" + time
            out += ",\"transfer\":" + (first.fields["xfer"]?.number.map(number) ?? "null")
            out += ",\"chunk\":" + (first.fields["chunk"]?.number.map(number) ?? "null")
            if aborted { return out + ",\"bytes_received\":" + (first.fields["v"]?.number.map(number) ?? "null") + "}" }
            var count = 0
            if case .bytes(let data) = first.fields["vd"] { count = data.count }
            out += ",\"offset\":" + (first.fields["off"]?.number.map(number) ?? "null")
            out += ",\"content_format\":" + (first.fields["cf"]?.number.map(number) ?? "null")
            out += ",\"bytes\":" + String(count)
            if case .bool(true) = first.fields["last"] { out += ",\"last\":true" } else { out += ",\"last\":false" }
            return out + "}"
        }
        if let state = first.fields["vs"]?.text, let alertAt = parts.lastIndex(of: "alert") {
            let sensor = unescapeName(parts[..<alertAt].joined(separator: "/"))
            let pieces = state.split(separator: ":").map(String.init)
            // Uplink format 2: the value, unit and threshold are in the `<kind>/value` record (format
            // 1 had them in the state record itself).
            let valueFields = record.records.first { $0.name == first.name + "/value" }?.fields ?? first.fields
            out += ",\"sensor\":" + json(sensor) + ",\"type\":\"alert\",\"time\":" + time
            out += ",\"kind\":" + json(parts.last ?? "") + ",\"state\":" + json(pieces.first ?? "")
            out += ",\"severity\":" + json(pieces.count > 1 ? pieces[1] : "")
            out += ",\"value\":" + (valueFields["v"]?.number.map(number) ?? "null")
            out += ",\"unit\":" + (valueFields["u"]?.text.map(json) ?? "null")
            out += ",\"threshold\":" + (valueFields["thr"]?.number.map(number) ?? "null")
            if let feature = first.fields["feat"]?.text { out += ",\"feature\":" + json(feature) }
            if let confidence = first.fields["conf"]?.number { out += ",\"confidence\":" + number(confidence) }
            return out + "}"
        }
        if let window = first.fields["win"] {
            let sensor = unescapeName(parts.dropLast(2).joined(separator: "/"))
            out += ",\"sensor\":" + json(sensor) + ",\"type\":\"summary\",\"time\":" + time
            out += ",\"window_s\":" + (window.number.map(number) ?? "null")
            var stats: [(String, [(String, String)])] = []
            var status: [(String, String)] = []
            for (name, fields) in record.records {
                let segments = name.split(separator: "/").map(String.init)
                guard segments.count >= 2 else { continue }
                let group = segments[segments.count - 2]
                let statistic = segments[segments.count - 1]
                let value = fields["v"]?.number.map(number) ?? "null"
                if group == "status" {
                    status.append((statistic, value))
                } else if let i = stats.firstIndex(where: { $0.0 == group }) {
                    stats[i].1.append((statistic, value))
                } else {
                    stats.append((group, [(statistic, value)]))
                }
            }
            out += ",\"stats\":{" + stats.map { json($0.0) + ":{" + $0.1.map { json($0.0) + ":" + $0.1 }.joined(separator: ",") + "}" }.joined(separator: ",") + "}"
            out += ",\"status\":{" + status.map { json($0.0) + ":" + $0.1 }.joined(separator: ",") + "}}"
            return out
        }
        let sensor = unescapeName(parts.dropLast().joined(separator: "/"))
        out += ",\"sensor\":" + json(sensor) + ",\"type\":\"reading\",\"time\":" + time + ",\"values\":{"
        out += record.records.map { name, fields in
            json(String(name.split(separator: "/").last ?? "")) + ":" + (fields["v"]?.number.map(number) ?? "null")
        }.joined(separator: ",")
        return out + "}}"
    }

    /// A node id or sensor name as the node has it: `:` and two hex digits stand for a byte
    /// outside the SenML name characters (docs/UPLINK_FORMAT.md §2); anything else is kept.
    static func unescapeName(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x3A, i + 2 < bytes.count, let byte = UInt8(String(decoding: bytes[(i + 1)...(i + 2)], as: UTF8.self), radix: 16) {
                out.append(byte)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A JSON string literal.
    static func json(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    /// A JSON number: integers without a fraction, others in Swift's shortest round-trip form.
    static func number(_ value: Double) -> String {
        if !value.isFinite { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    // MARK: - CBOR

    static func item(_ b: [UInt8], _ at: inout Int, depth: Int) throws(Malformed) -> CollectValue {
        if depth > 16 { throw Malformed(reason: "nested too deeply") }
        guard at < b.count else { throw Malformed(reason: "truncated") }
        let initial = b[at]
        at += 1
        let major = initial >> 5
        let info = initial & 0x1F
        if info == 31 {
            switch major {
            case 4, 5:
                var items: [CollectValue] = []
                while true {
                    guard at < b.count else { throw Malformed(reason: "truncated") }
                    if b[at] == 0xFF { at += 1; break }
                    items.append(try item(b, &at, depth: depth + 1))
                }
                if major == 4 { return .array(items) }
                if items.count % 2 != 0 { throw Malformed(reason: "odd map") }
                return .map(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
            default: throw Malformed(reason: "unsupported indefinite item")
            }
        }
        let argument = try readArgument(b, &at, info)
        switch major {
        case 0: return argument <= UInt64(Int64.max) ? .int(Int64(argument)) : .unsigned(argument)
        case 1:
            if argument > UInt64(Int64.max) { throw Malformed(reason: "negative integer out of range") }
            return .int(-1 - Int64(argument))
        case 2, 3:
            guard argument <= UInt64(b.count - at) else { throw Malformed(reason: "truncated string") }
            let slice = Array(b[at..<(at + Int(argument))])
            at += Int(argument)
            return major == 2 ? .bytes(slice) : .text(String(decoding: slice, as: UTF8.self))
        case 4, 5:
            guard argument <= UInt64(b.count - at) else { throw Malformed(reason: "truncated container") }
            var items: [CollectValue] = []
            for _ in 0..<(Int(argument) * (major == 5 ? 2 : 1)) { items.append(try item(b, &at, depth: depth + 1)) }
            if major == 4 { return .array(items) }
            return .map(stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) })
        case 6: return try item(b, &at, depth: depth + 1)  // tags are ignored
        default:
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22, 23: return .null
            case 25: return .float(Double(Float16(bitPattern: UInt16(argument))))
            case 26: return .float(Double(Float(bitPattern: UInt32(argument))))
            case 27: return .float(Double(bitPattern: argument))
            default: throw Malformed(reason: "unsupported simple value")
            }
        }
    }

    static func readArgument(_ b: [UInt8], _ at: inout Int, _ info: UInt8) throws(Malformed) -> UInt64 {
        if info < 24 { return UInt64(info) }
        let size: Int
        switch info {
        case 24: size = 1
        case 25: size = 2
        case 26: size = 4
        case 27: size = 8
        default: throw Malformed(reason: "reserved additional information")
        }
        guard at + size <= b.count else { throw Malformed(reason: "truncated") }
        var value: UInt64 = 0
        for i in 0..<size { value = value << 8 | UInt64(b[at + i]) }
        at += size
        return value
    }
}
