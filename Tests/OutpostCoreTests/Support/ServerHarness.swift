import OutpostCore

/// An in-memory CoAP peer world for `Server` tests: owns the arena, a fake clock, a response
/// buffer and a recording sink; no sockets.
final class ServerHarness<P: Profile> {
    let memory: UnsafeMutableRawPointer
    let arenaBytes: Int
    var server: Server<P>
    /// The fake clock, in ms since the epoch.
    var nowMs: Int64
    let response: UnsafeMutableRawBufferPointer
    var sink = RecordingSink()
    /// The log's room handed to every request (`Server.handle`'s argument).
    var room = LogRoom.unlimited

    init(startMs: Int64 = 1_767_225_600_000, nodeId: StaticString = "node-1") {
        arenaBytes = Server<P>.arenaBytes(after: 0)
        memory = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
        var arena = Arena(base: memory, sizeBytes: arenaBytes)
        nowMs = startMs
        server = Server<P>(arena: &arena, identity: ServerIdentity(nodeId: SensorName(nodeId), profile: P.name, startMs: startMs))
        response = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
        // Resource tests read whole bodies from loopback peers; the amplification limit (which
        // now holds CON GETs too) is tested where it is set again (SourceTableTests,
        // ServerSensorReclaimTests).
        server.fairness.amplificationFactor = 0
    }

    deinit {
        memory.deallocate()
        response.deallocate()
    }

    /// Sends `datagram` from `peer`; returns the response bytes, or nil when none.
    @discardableResult
    func send(_ datagram: [UInt8], from peer: Endpoint = ServerHarness.peer(1)) -> [UInt8]? {
        let length = datagram.withUnsafeBytes { server.handle(datagram: $0, from: peer, nowMs: nowMs, response: response, room: room) }
        precondition(length >= 0 && length <= P.maxDatagramBytes)
        return length == 0 ? nil : Array(UnsafeRawBufferPointer(rebasing: response[0..<length]))
    }

    /// Sends and parses the response (nil when none).
    func exchange(_ datagram: [UInt8], from peer: Endpoint = ServerHarness.peer(1)) -> Reply? {
        send(datagram, from: peer).map { Reply($0) }
    }

    /// Runs a tick; returns the datagrams the server sent on its own.
    @discardableResult
    func tick(advanceMs: Int64 = 0) -> [(Endpoint, Reply)] {
        nowMs += advanceMs
        sink.sent.removeAll()
        server.tick(nowMs: nowMs, into: &sink)
        return sink.sent.map { ($0.0, Reply($0.1)) }
    }

    /// Peer number `n` (127.0.0.x with a port from n).
    static func peer(_ n: Int) -> Endpoint {
        .ipv4(127, 0, UInt8(truncatingIfNeeded: n >> 8), UInt8(truncatingIfNeeded: n), port: UInt16(truncatingIfNeeded: 40_000 + n))
    }
}

/// A sink that records every datagram (tests only: it allocates).
struct RecordingSink: DatagramSink {
    var sent: [(Endpoint, [UInt8])] = []
    var limit = Int.max
    var hasRoom: Bool { sent.count < limit }
    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) { sent.append((peer, Array(bytes))) }
}

/// A parsed response, copied out of the server's buffer.
struct Reply {
    let bytes: [UInt8]
    let type: CoAPType
    let code: CoAPCode
    let messageID: UInt16
    let token: [UInt8]
    let options: [(number: UInt16, value: [UInt8])]
    let payload: [UInt8]

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        let parsed: (CoAPType, CoAPCode, UInt16, [UInt8], [(UInt16, [UInt8])], [UInt8]) = bytes.withUnsafeBytes { raw in
            guard let m = try? CoAPMessage(parsing: raw) else { fatalError("server sent a malformed message") }
            var options: [(UInt16, [UInt8])] = []
            var it = m.options
            while let o = it.next() { options.append((o.number.rawValue, Array(o.value))) }
            let token = (0..<m.token.count).map { m.token[$0] }
            return (m.type, m.code, m.messageID, token, options, Array(m.payload))
        }
        (type, code, messageID, token, _, payload) = parsed
        options = parsed.4.map { (number: $0.0, value: $0.1) }
    }

    /// The first option `number` as an unsigned integer.
    func uint(_ number: CoAPOptionNumber) -> UInt32? {
        guard let value = options.first(where: { $0.number == number.rawValue })?.value else { return nil }
        return value.reduce(0) { $0 << 8 | UInt32($1) }
    }

    func has(_ number: CoAPOptionNumber) -> Bool { options.contains { $0.number == number.rawValue } }

    var text: String { String(decoding: payload, as: UTF8.self) }
}

/// Builds request datagrams.
enum Request {
    static func make(
        _ type: CoAPType = .confirmable, _ code: CoAPCode = .get, mid: UInt16 = 1, token: [UInt8] = [0xA1, 0xB2],
        path: String = "", options extra: [(UInt16, [UInt8])] = [], payload: [UInt8] = []
    ) -> [UInt8] {
        var options: [(UInt16, [UInt8])] = extra
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            options.append((CoAPOptionNumber.uriPath.rawValue, Array(segment.utf8)))
        }
        options.sort { $0.0 < $1.0 }  // stable: path segments keep their order
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            let tokenValue = token.withUnsafeBytes { CoAPToken($0) }
            var writer = try! CoAPMessageWriter(buffer: raw, type: type, code: code, messageID: mid, token: tokenValue)
            for (number, value) in options {
                value.withUnsafeBytes { try! writer.appendOption(CoAPOptionNumber(rawValue: number), value: $0) }
            }
            payload.withUnsafeBytes { try! writer.appendPayload($0) }
            return writer.count
        }
        return Array(buffer[0..<count])
    }

    /// An option holding `value` as a minimal big-endian unsigned integer.
    static func uint(_ number: CoAPOptionNumber, _ value: UInt32) -> (UInt16, [UInt8]) {
        var bytes: [UInt8] = []
        var v = value
        while v > 0 {
            bytes.insert(UInt8(v & 0xFF), at: 0)
            v >>= 8
        }
        return (number.rawValue, bytes)
    }

    static func json(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// `POST /readings` with a SenML-JSON pack.
    static func post(_ pack: String, _ type: CoAPType = .confirmable, mid: UInt16 = 1, token: [UInt8] = [7]) -> [UInt8] {
        make(type, .post, mid: mid, token: token, path: "readings", options: [uint(.contentFormat, 110)], payload: json(pack))
    }

    /// A SenML-JSON pack of one temperature reading of `sensor`.
    static func temperature(_ sensor: String, _ celsius: Double) -> String {
        "[{\"bn\":\"\(sensor)/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":\(celsius)}]"
    }

    /// A SenML-CBOR pack: one record per (sensor, celsius), labels bn (-2), n (0), u (1), v (2).
    static func cborPack(_ records: [(String, Double)]) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            var w = CBORWriter(buffer: raw)
            w.head(major: 4, argument: UInt64(records.count))
            for (sensor, celsius) in records {
                w.head(major: 5, argument: 4)
                w.int(-2)
                Array((sensor + "/").utf8).withUnsafeBytes { w.text($0) }
                w.int(0)
                w.text("temperature")
                w.int(1)
                w.text("Cel")
                w.int(2)
                w.float64(celsius)
            }
            precondition(!w.overflowed)
            return w.count
        }
        return Array(buffer[0..<count])
    }
}
