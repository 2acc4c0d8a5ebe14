import OutpostCore

/// A decoded CBOR value (tests only: it allocates).
indirect enum UplinkCBORValue: Equatable {
    case int(Int64)
    case text(String)
    case bytes([UInt8])
    case float(Double)
    case bool(Bool)
    case null
    case array([UplinkCBORValue])
    case map([(UplinkCBORValue, UplinkCBORValue)])

    static func == (a: UplinkCBORValue, b: UplinkCBORValue) -> Bool {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x == y
        case (.text(let x), .text(let y)): return x == y
        case (.bytes(let x), .bytes(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.null, .null): return true
        case (.array(let x), .array(let y)): return x == y
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// A number as a Double (int or float), else nil.
    var number: Double? {
        switch self {
        case .int(let v): return Double(v)
        case .float(let v): return v
        default: return nil
        }
    }

    struct DecodeError: Error {}

    /// Decodes one whole item (everything must be consumed).
    static func decode(_ bytes: [UInt8]) throws -> UplinkCBORValue {
        var at = 0
        let value = try item(bytes, &at)
        if at != bytes.count { throw DecodeError() }
        return value
    }

    static func item(_ b: [UInt8], _ at: inout Int) throws -> UplinkCBORValue {
        guard at < b.count else { throw DecodeError() }
        let initial = b[at]
        at += 1
        let major = initial >> 5
        let info = initial & 0x1F
        func argument() throws -> UInt64 {
            if info < 24 { return UInt64(info) }
            let size: Int
            switch info {
            case 24: size = 1
            case 25: size = 2
            case 26: size = 4
            case 27: size = 8
            default: throw DecodeError()
            }
            guard at + size <= b.count else { throw DecodeError() }
            var v: UInt64 = 0
            for i in 0..<size { v = v << 8 | UInt64(b[at + i]) }
            at += size
            return v
        }
        if info == 31 {
            switch major {
            case 4:
                var items: [UplinkCBORValue] = []
                while true {
                    guard at < b.count else { throw DecodeError() }
                    if b[at] == 0xFF { at += 1; return .array(items) }
                    items.append(try item(b, &at))
                }
            case 5:
                var pairs: [(UplinkCBORValue, UplinkCBORValue)] = []
                while true {
                    guard at < b.count else { throw DecodeError() }
                    if b[at] == 0xFF { at += 1; return .map(pairs) }
                    let k = try item(b, &at)
                    pairs.append((k, try item(b, &at)))
                }
            default: throw DecodeError()
            }
        }
        switch major {
        case 0: return .int(Int64(bitPattern: try argument()))
        case 1: return .int(-1 - Int64(try argument()))
        case 2, 3:
            let n = Int(try argument())
            guard at + n <= b.count else { throw DecodeError() }
            let slice = Array(b[at..<(at + n)])
            at += n
            return major == 2 ? .bytes(slice) : .text(String(decoding: slice, as: UTF8.self))
        case 4:
            let n = Int(try argument())
            return .array(try (0..<n).map { _ in try item(b, &at) })
        case 5:
            let n = Int(try argument())
            return .map(try (0..<n).map { _ in (try item(b, &at), try item(b, &at)) })
        case 7:
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 27: return .float(Double(bitPattern: try argument()))
            default: throw DecodeError()
            }
        default: throw DecodeError()
        }
    }
}

/// One SenML record of a decoded pack, keyed by label name (`bn`, `n`, `u`, `v`, `vs`, `t`, or the
/// extension's text).
struct UplinkPackRecord {
    var fields: [String: UplinkCBORValue]

    var name: String? { if case .text(let t)? = fields["n"] { return t } else { return nil } }
    var baseName: String? { if case .text(let t)? = fields["bn"] { return t } else { return nil } }
    var unit: String? { if case .text(let t)? = fields["u"] { return t } else { return nil } }
    var stringValue: String? { if case .text(let t)? = fields["vs"] { return t } else { return nil } }
    var value: Double? { fields["v"]?.number }
    var time: Double? { fields["t"]?.number }
    var sequence: UInt64? { if case .int(let s)? = fields["seq"] { return UInt64(bitPattern: s) } else { return nil } }

    /// The records of a SenML-CBOR pack.
    static func decodePack(_ bytes: [UInt8]) throws -> [UplinkPackRecord] {
        guard case .array(let items) = try UplinkCBORValue.decode(bytes) else { throw UplinkCBORValue.DecodeError() }
        let labels: [Int64: String] = [-1: "bver", -2: "bn", -3: "bt", -4: "bu", -5: "bv", 0: "n", 1: "u", 2: "v", 3: "vs", 4: "vb", 6: "t", 8: "vd"]
        return try items.map { item in
            guard case .map(let pairs) = item else { throw UplinkCBORValue.DecodeError() }
            var fields: [String: UplinkCBORValue] = [:]
            for (key, value) in pairs {
                switch key {
                case .int(let k): fields[labels[k] ?? "?\(k)"] = value
                case .text(let k): fields[k] = value
                default: throw UplinkCBORValue.DecodeError()
                }
            }
            return UplinkPackRecord(fields: fields)
        }
    }
}

/// Builds log records for tests.
enum TestRecords {
    static let startMs: Int64 = 1_767_225_600_000

    static func payload(_ record: inout LogRecord, _ encode: (UnsafeMutableRawBufferPointer) -> Int) {
        var bytes = record.payload
        record.payloadCount = withUnsafeMutableBytes(of: &bytes) { encode($0) }
        record.payload = bytes
    }

    /// A reading with the given features (core fixed point) and battery.
    static func reading(
        _ sensor: StaticString = "sensor-001", timestampMs: Int64 = startMs, features: [(Feature, Int32)] = [(.temperature, 21_500)],
        batteryMilliPercent: Int32? = nil
    ) -> LogRecord {
        var vector = FeatureVector()
        for (feature, value) in features { vector[feature] = value }
        let reading = ProcessedReading(
            sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: timestampMs, features: vector,
            batteryMilliPercent: batteryMilliPercent)
        let body = LogReadingPayload(name: SensorName(sensor), reading: reading)
        var record = LogRecord()
        record.type = .reading
        record.timestampMs = timestampMs
        payload(&record) { body.encode(into: $0) }
        return record
    }

    /// A value of a quantity not detected on (log record type 10).
    static func quantity(
        _ sensor: StaticString, name: SensorName, unit: SensorName?, valueMicro: Int64, timestampMs: Int64 = startMs
    ) -> LogRecord {
        let body = LogQuantityPayload(QuantityValue(sensor: SensorName(sensor), timestampMs: timestampMs, valueMicro: valueMicro, name: name, unit: unit))
        var record = LogRecord()
        record.type = .quantityValue
        record.timestampMs = timestampMs
        payload(&record) { body.encode(into: $0) }
        return record
    }

    static func alert(
        _ sensor: StaticString = "sensor-001", raised: Bool = true, kind: AlertKind = .threshold, severity: Severity = .major,
        feature: Feature? = .temperature, value: Int32 = 45_250, threshold: Int32 = 40_000, confidenceQ16: UInt16 = 0,
        timestampMs: Int64 = startMs
    ) -> LogRecord {
        let event = AlertEvent(
            raised: raised, kind: kind, severity: severity, sensorSlot: 0, feature: feature, value: value, threshold: threshold,
            confidenceQ16: confidenceQ16, timestampMs: timestampMs)
        let body = LogAlertPayload(name: SensorName(sensor), alert: event)
        var record = LogRecord()
        record.type = raised ? .alert : .alertCleared
        record.timestampMs = timestampMs
        payload(&record) { body.encode(into: $0) }
        return record
    }

    static func summary(_ sensor: StaticString = "sensor-001", span: WindowSpan = .oneMinute, timestampMs: Int64 = startMs, features: Int = 5) -> LogRecord {
        var summary = WindowSummary(span: span)
        summary.normalCount = 50
        summary.warningCount = 7
        summary.alertCount = 3
        summary.anomalyCount = 2
        for i in 0..<features {
            summary.features[i] = FeatureStats(
                count: 60, mean: 20_000 + Int32(i), standardDeviation: 1_250, minimum: -5_125, maximum: 40_001, saturated: i == 1)
        }
        let body = LogSummaryPayload(name: SensorName(sensor), summary: summary)
        var record = LogRecord()
        record.type = .windowSummary
        record.timestampMs = timestampMs
        payload(&record) { body.encode(into: $0) }
        return record
    }

    static func marker(code: UInt16 = LogMarkerPayload.readingsDropped, value: UInt64 = 12, timestampMs: Int64 = startMs) -> LogRecord {
        var record = LogRecord()
        record.type = .marker
        record.timestampMs = timestampMs
        payload(&record) { LogMarkerPayload(code: code, value: value).encode(into: $0) }
        return record
    }
}

/// What the fake upstream does with one request.
enum UpstreamAction {
    /// Answer with a piggybacked ACK of `code` (2.31 for non-final blocks is automatic with `.accept`).
    case accept
    /// Process the request but lose the answer (the uplink will retransmit or give up).
    case loseAnswer
    /// Drop the request unseen (link down).
    case drop
    /// Answer with this code (a refusal) and optional Max-Age.
    case refuse(CoAPCode, maxAgeS: UInt32?)
    /// Answer with RST.
    case reset
    /// Empty ACK now, then the response as a separate CON.
    case separate
}

/// An in-memory CoAP upstream: Block1 reassembly per token, SenML-CBOR decoding of whole packs,
/// counts of every sequence number received.
final class FakeUpstream {
    /// Decides what happens to each request (called with the request's parse).
    var policy: (Reply) -> UpstreamAction = { _ in .accept }
    var partial: [[UInt8]: [UInt8]] = [:]
    /// Completed packs in arrival order, and their decoded records.
    var packs: [[UplinkPackRecord]] = []
    var packBytes: [[UInt8]] = []
    /// Sequences whose pack completed but whose final answer was lost.
    var unacknowledgedSequences: Set<UInt64> = []
    var received: [UInt64: Int] = [:]
    var requests: [Reply] = []
    var nextMessageID: UInt16 = 0x7000

    /// Handles one request; returns the datagrams sent back.
    func handle(_ bytes: [UInt8]) -> [[UInt8]] {
        let request = Reply(bytes)
        if request.type == .acknowledgement || request.type == .reset { return [] }
        if request.code == .empty {
            // A CoAP ping (RFC 7252 §4.3): answered with RST unless the policy drops or loses it
            // (the link is down).
            pings.append(request)
            switch policy(request) {
            case .drop, .loseAnswer: return []
            default: return [Request.make(.reset, .empty, mid: request.messageID, token: [])]
            }
        }
        requests.append(request)
        let action = policy(request)
        if case .drop = action { return [] }
        // A retransmission (same message ID) gets the cached answer, processed once (RFC 7252 §4.5).
        if let cached = answered[request.messageID] {
            if case .loseAnswer = action { return [] }
            return cached
        }
        let answers = process(request, action)
        answered[request.messageID] = answers
        if case .loseAnswer = action { return [] }
        return answers
    }

    var answered: [UInt16: [[UInt8]]] = [:]
    /// Pings received (answered by RST unless `policy` says `.drop` or `.loseAnswer`).
    var pings: [Reply] = []

    func process(_ request: Reply, _ action: UpstreamAction) -> [[UInt8]] {
        if case .reset = action { return [Request.make(.reset, .empty, mid: request.messageID, token: [])] }
        if case .refuse(let code, let maxAge) = action {
            let options = maxAge.map { [Request.uint(.maxAge, $0)] } ?? []
            return [Request.make(.acknowledgement, code, mid: request.messageID, token: request.token, options: options)]
        }
        // Accepting: reassemble.
        var body = partial[request.token] ?? []
        var more = false
        if let value = request.uint(.block1) {
            let block = try! CoAPBlock(value: value)
            precondition(block.offsetBytes == body.count, "blocks out of order")
            more = block.more
        }
        body += request.payload
        var code = CoAPCode.changed
        var options: [(UInt16, [UInt8])] = []
        if more {
            partial[request.token] = body
            code = .continue
            options.append(Request.uint(.block1, request.uint(.block1)!))
        } else {
            partial[request.token] = nil
            let records = try! UplinkPackRecord.decodePack(body)
            packs.append(records)
            packBytes.append(body)
            for sequence in Set(records.compactMap(\.sequence)) {
                received[sequence, default: 0] += 1
                if case .loseAnswer = action { unacknowledgedSequences.insert(sequence) }
            }
            if let value = request.uint(.block1) { options.append(Request.uint(.block1, value)) }
        }
        switch action {
        case .separate:
            nextMessageID &+= 1
            return [
                Request.make(.acknowledgement, .empty, mid: request.messageID, token: []),
                Request.make(.confirmable, code, mid: nextMessageID, token: request.token, options: options),
            ]
        default:
            return [Request.make(.acknowledgement, code, mid: request.messageID, token: request.token, options: options)]
        }
    }
}

/// The uplink with a fake clock, an in-memory log ring and a fake upstream (tests allocate freely
/// here; `UplinkAllocationTests` uses its own allocation-free loop).
final class UplinkHarness {
    static let upstream = Endpoint.ipv4(127, 0, 0, 9, port: 5683)
    let memory: UnsafeMutableRawPointer
    let ring: UnsafeMutableBufferPointer<LogRecord>
    var source: UplinkMemorySource
    var uplink: Uplink
    var nowMs: Int64
    var sink = RecordingSink()
    let server = FakeUpstream()
    /// Every datagram the uplink sent: (time, message).
    var sent: [(ms: Int64, reply: Reply)] = []
    var cursorUpdates: [UInt64] = []
    /// When the uplink sent each CoAP ping.
    var pingsSent: [Int64] = []

    init(settings configure: (inout UplinkSettings) -> Void = { _ in }, ringCapacity: Int = 4096, cursor: UInt64 = 0) {
        var settings = UplinkSettings(upstream: UplinkHarness.upstream, path: UplinkPath("ingest/senml"), nodeId: SensorName("node-1"))
        settings.seed = 42
        configure(&settings)
        let bytes = Uplink.arenaBytes(after: 0, settings: settings)
        memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        var arena = Arena(base: memory, sizeBytes: bytes)
        nowMs = TestRecords.startMs
        uplink = Uplink(arena: &arena, settings: settings, cursor: cursor, nowMs: nowMs)
        ring = .allocate(capacity: ringCapacity)
        ring.initialize(repeating: LogRecord())
        source = UplinkMemorySource(records: ring)
    }

    deinit {
        memory.deallocate()
        ring.deallocate()
    }

    @discardableResult
    func append(_ record: LogRecord) -> UInt64 { source.append(record) }

    func appendReadings(_ count: Int, stepMs: Int64 = 1_000) {
        for _ in 0..<count {
            let at = TestRecords.startMs + Int64(source.uplinkLastSequence) * stepMs
            append(TestRecords.reading(timestampMs: at, features: [(.temperature, 21_000 + Int32(source.uplinkLastSequence))]))
        }
    }

    /// Delivers what the uplink sent to the upstream and the answers back, until quiet.
    func pump() {
        for _ in 0..<10_000 {
            let out = sink.sent
            sink.sent.removeAll()
            if out.isEmpty { break }
            for (peer, bytes) in out {
                precondition(peer == UplinkHarness.upstream)
                let reply = Reply(bytes)
                // Pings are kept apart, so the exchanges' timing reads as before.
                if reply.type == .confirmable && reply.code == .empty { pingsSent.append(nowMs) } else { sent.append((nowMs, reply)) }
                for answer in server.handle(bytes) {
                    answer.withUnsafeBytes { uplink.receive($0, from: UplinkHarness.upstream, nowMs: nowMs, source: &source, sink: &sink) }
                }
            }
        }
        if let cursor = uplink.takeCursorUpdate() { cursorUpdates.append(cursor) }
    }

    func tick() {
        uplink.tick(nowMs: nowMs, source: &source, sink: &sink)
        pump()
        recordRejection()
    }

    /// Sequences set aside, in the order their markers were appended (as the daemon does it).
    var markersAppended: [UInt64] = []
    /// False to act as a log that cannot take the marker now.
    var markerRoom = true

    /// Appends the *rejected by upstream* marker the uplink asks for, as the daemon does.
    func recordRejection() {
        guard markerRoom, let rejected = uplink.rejectionToRecord else { return }
        let marker = source.append(TestRecords.marker(code: LogMarkerPayload.rejectedByUpstream, value: rejected, timestampMs: nowMs))
        markersAppended.append(rejected)
        uplink.rejectionRecorded(markerSequence: marker)
    }

    /// Advances the clock to `targetMs`, ticking at every uplink deadline and at least every `stepMs`.
    func run(untilMs targetMs: Int64, stepMs: Int64 = 100, each: (() -> Void)? = nil) {
        tick()
        for _ in 0..<10_000_000 {
            if nowMs >= targetMs { break }
            var next = min(targetMs, nowMs + stepMs)
            if let deadline = uplink.wakeDeadlineMs(nowMs: nowMs), deadline > nowMs { next = min(next, deadline) }
            nowMs = next
            tick()
            each?()
        }
    }

    /// Runs until the cursor reaches `sequence` or `limitMs` passes; returns the time taken.
    @discardableResult
    func drain(to sequence: UInt64, limitMs: Int64 = 3_600_000, stepMs: Int64 = 100) -> Int64? {
        let start = nowMs
        tick()
        for _ in 0..<10_000_000 {
            if uplink.cursor >= sequence { return nowMs - start }
            if nowMs - start > limitMs { return nil }
            var next = nowMs + stepMs
            if let deadline = uplink.wakeDeadlineMs(nowMs: nowMs), deadline > nowMs { next = min(next, deadline) }
            nowMs = next
            tick()
        }
        return nil
    }

    /// Sequences the upstream saw, with their counts.
    var receivedSequences: [UInt64: Int] { server.received }
}
