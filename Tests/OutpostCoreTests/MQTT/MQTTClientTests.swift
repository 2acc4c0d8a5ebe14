import Foundation
import XCTest
@testable import OutpostCore

/// An in-memory link: what the client writes is parsed into packets; what the test queues is read.
final class MemoryLinkState {
    var openResult: Int32 = 0
    var isOpen = false
    var opens = 0
    var written: [UInt8] = []
    var toRead: [UInt8] = []
    var closeOnRead = false
}

struct MemoryLink: MQTTLink {
    let state: MemoryLinkState
    mutating func open() -> Int32 {
        state.opens += 1
        if state.openResult == 0 { state.isOpen = true }
        return state.openResult
    }
    mutating func progress() -> Int32 { state.isOpen ? 0 : -111 }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if state.closeOnRead { return 0 }
        if state.toRead.isEmpty { return MQTTLinkResult.wouldBlock }
        let n = min(buffer.count, state.toRead.count)
        for i in 0..<n { buffer[i] = state.toRead[i] }
        state.toRead.removeFirst(n)
        return n
    }
    mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        state.written += bytes
        return bytes.count
    }
    mutating func close() { state.isOpen = false }
}

/// A command sink that keeps what it got; with `later` it acknowledges nothing itself (the test
/// plays the host that commits, then calls `acknowledgeCommand`).
struct KeptCommands: MQTTCommandSink {
    var got: [(String, String)] = []
    var ids: [(UInt16?, UInt64)] = []
    var accept = true
    var later = false
    mutating func mqttCommand(
        sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, packetID: UInt16?, connection: UInt64, nowMs: Int64
    ) -> MQTTCommandTake {
        if !accept { return .refused }
        got.append((String(decoding: sensor, as: UTF8.self), String(decoding: payload, as: UTF8.self)))
        ids.append((packetID, connection))
        return later ? .acknowledgeLater : .acknowledgeNow
    }
}

/// A packet the client sent, decoded by the test.
struct SentPacket {
    var type: UInt8
    var flags: UInt8
    var topic = ""
    var packetID: UInt16 = 0
    var payload: [UInt8] = []
    var dup: Bool { flags & 8 != 0 }
    var retain: Bool { flags & 1 != 0 }
}

final class MQTTClientTests: XCTestCase {
    var arenaMemory: UnsafeMutableRawBufferPointer!
    var records: UnsafeMutableBufferPointer<LogRecord>!
    let node = SensorName("gw1")
    let clientID: StaticString = "gw1"
    let prefix: StaticString = "outpost"

    override func setUp() {
        arenaMemory = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        records = UnsafeMutableBufferPointer<LogRecord>.allocate(capacity: 256)
        records.initialize(repeating: LogRecord())
    }

    override func tearDown() {
        arenaMemory.deallocate()
        records.deallocate()
    }

    func raw(_ s: StaticString) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount) }

    func makeClient(_ configure: (inout MQTTSettings) -> Void = { _ in }) -> MQTTClient {
        var settings = MQTTSettings(nodeId: node, clientID: raw(clientID), prefix: raw(prefix))
        settings.keepAliveS = 10
        configure(&settings)
        var arena = Arena(base: arenaMemory.baseAddress!, sizeBytes: arenaMemory.count)
        return MQTTClient(arena: &arena, settings: settings, cursor: 0, nowMs: 0)
    }

    /// Splits what the client wrote into packets (and clears it).
    func takeSent(_ link: MemoryLinkState) -> [SentPacket] {
        var out: [SentPacket] = []
        var bytes = link.written
        link.written = []
        while !bytes.isEmpty {
            let length = try! bytes.withUnsafeBytes { raw throws(MQTTError) in try MQTTReader.frameLength(raw) }!
            let frame = Array(bytes[0..<length])
            bytes.removeFirst(length)
            var packet = SentPacket(type: frame[0] >> 4, flags: frame[0] & 0xF)
            if packet.type == 3 {
                let decoded = try! frame.withUnsafeBytes { raw throws(MQTTError) in try MQTTReader.decode(raw) }
                packet.topic = String(decoding: frame[decoded.topicStart..<(decoded.topicStart + decoded.topicCount)], as: UTF8.self)
                packet.packetID = decoded.packetID
                packet.payload = Array(frame[decoded.payloadStart..<(decoded.payloadStart + decoded.payloadCount)])
            } else if packet.type == 4 {
                packet.packetID = UInt16(frame[2]) << 8 | UInt16(frame[3])
            } else if packet.type == 8 {
                packet.packetID = UInt16(frame[2]) << 8 | UInt16(frame[3])
                packet.topic = String(decoding: frame[6..<(frame.count - 1)], as: UTF8.self)
            } else if packet.type == 1 {
                packet.payload = frame
            }
            out.append(packet)
        }
        return out
    }

    func puback(_ id: UInt16) -> [UInt8] { [0x40, 2, UInt8(id >> 8), UInt8(id & 0xFF)] }

    /// Connects the client and returns the packets after CONNACK (SUBSCRIBE, status, health, …).
    func connect(_ client: inout MQTTClient, _ link: MemoryLinkState, source: inout UplinkMemorySource, at nowMs: Int64) -> [SentPacket] {
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: nowMs, source: &source, link: &l, commands: &sink)
        let connect = takeSent(link)
        XCTAssertEqual(connect.first?.type, 1, "CONNECT first")
        link.toRead += [0x20, 2, 0, 0]
        client.tick(nowMs: nowMs, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.phase, .connected)
        return takeSent(link)
    }

    func testConnectCarriesPersistentSessionWillAndCredentials() {
        var client = makeClient { settings in
            settings.userName = UnsafeRawBufferPointer(start: StaticString("u").utf8Start, count: 1)
            settings.password = UnsafeRawBufferPointer(start: StaticString("pw").utf8Start, count: 2)
        }
        let link = MemoryLinkState()
        var l = MemoryLink(state: link)
        var source = UplinkMemorySource(records: records)
        var sink = KeptCommands()
        client.tick(nowMs: 1_000, source: &source, link: &l, commands: &sink)
        let sent = takeSent(link)
        XCTAssertEqual(sent.count, 1)
        let frame = sent[0].payload
        // Connect flags: user, password, will retain, will QoS 1, will flag; clean session 0.
        XCTAssertEqual(frame[9], 0xEC)
        XCTAssertEqual(Array(frame[10..<12]), [0, 10], "keep alive")
        let text = String(decoding: frame, as: UTF8.self)
        XCTAssertTrue(text.contains("outpost/gw1/status"))
        XCTAssertTrue(text.contains("offline"))
        // CONNACK accepted: SUBSCRIBE to the command filter, retained online, retained health.
        link.toRead += [0x20, 2, 1, 0]
        client.tick(nowMs: 1_010, source: &source, link: &l, commands: &sink)
        let after = takeSent(link)
        XCTAssertTrue(client.sessionPresent)
        XCTAssertEqual(after.first?.type, 8)
        XCTAssertEqual(after.first?.topic, "outpost/gw1/command/+")
        let status = after.first { $0.type == 3 && $0.topic == "outpost/gw1/status" }
        XCTAssertEqual(status.map { String(decoding: $0.payload, as: UTF8.self) }, "online")
        XCTAssertEqual(status?.retain, true)
        XCTAssertGreaterThanOrEqual(status?.packetID ?? 0, 0x8000, "control ids never collide with record ids")
        let health = after.first { $0.topic == "outpost/gw1/health" }
        XCTAssertEqual(health?.retain, true)
        XCTAssertTrue(String(decoding: health?.payload ?? [], as: UTF8.self).contains("\"backlog\":0"))
    }

    func testWindowCursorAdvancesOnlyOverContiguousAcks() {
        var client = makeClient { $0.window = 4 }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        source.uplinkLogID = 77
        for i in 0..<6 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1000)) }
        let early = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        let sent = (early + takeSent(link)).filter { $0.topic == "outpost/gw1/readings" }
        XCTAssertEqual(sent.count, 4, "the window bounds the publishes in flight")
        XCTAssertTrue(sent.allSatisfy { $0.flags == 0x02 }, "QoS 1, no DUP, no retain")
        // Payload: SenML-JSON with bn, lid and seq.
        let json = String(decoding: sent[0].payload, as: UTF8.self)
        XCTAssertEqual(json, "[{\"bn\":\"gw1/\",\"lid\":77,\"n\":\"sensor-001/temperature\",\"u\":\"Cel\",\"v\":21.5,\"t\":1767225600,\"seq\":1}]")
        // Acks of 2 and 3 first: the cursor stays (1 is not acknowledged).
        link.toRead += puback(sent[1].packetID) + puback(sent[2].packetID)
        client.tick(nowMs: 20, source: &source, link: &l, commands: &sink)
        XCTAssertNil(client.takeCursorUpdate())
        link.toRead += puback(sent[0].packetID)
        client.tick(nowMs: 30, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 3)
        // Three slots freed: records 5 and 6 went out.
        let next = takeSent(link).filter { $0.topic == "outpost/gw1/readings" }
        XCTAssertEqual(next.count, 2)
        link.toRead += puback(sent[3].packetID) + puback(next[0].packetID) + puback(next[1].packetID)
        client.tick(nowMs: 40, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 6)
        XCTAssertEqual(client.counters.acked, 6)
    }

    func testReconnectResendsUnacknowledgedWithDupAndSamePacketIDs() {
        var client = makeClient { $0.window = 3 }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        for i in 0..<3 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1000)) }
        let early = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        let first = (early + takeSent(link)).filter { $0.topic.hasSuffix("/readings") }
        XCTAssertEqual(first.count, 3)
        link.toRead += puback(first[0].packetID)
        client.tick(nowMs: 20, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 1)
        // The broker goes away: the read sees the stream closed.
        link.closeOnRead = true
        client.tick(nowMs: 30, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.phase, .down)
        XCTAssertEqual(client.counters.disconnects, 1)
        // A lost connection is retried within the probe interval, not after a long backoff.
        let retryAt = client.wakeDeadlineMs(nowMs: 30)!
        XCTAssertLessThanOrEqual(retryAt - 30, 1_000)
        link.closeOnRead = false
        _ = takeSent(link)
        client.tick(nowMs: retryAt, source: &source, link: &l, commands: &sink)
        link.toRead += [0x20, 2, 1, 0]
        client.tick(nowMs: retryAt + 1, source: &source, link: &l, commands: &sink)
        let again = takeSent(link).filter { $0.topic.hasSuffix("/readings") }
        XCTAssertEqual(again.map(\.packetID), [first[1].packetID, first[2].packetID])
        XCTAssertTrue(again.allSatisfy(\.dup), "re-sent with DUP")
        XCTAssertEqual(again.map(\.payload), [first[1].payload, first[2].payload])
        link.toRead += puback(again[0].packetID) + puback(again[1].packetID)
        client.tick(nowMs: retryAt + 2, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 3)
        XCTAssertEqual(client.counters.resent, 2)
    }

    func testUnreachableBrokerIsProbedEveryOneToTwoSeconds() {
        var client = makeClient()
        let link = MemoryLinkState()
        link.openResult = -111  // ECONNREFUSED
        var l = MemoryLink(state: link)
        var source = UplinkMemorySource(records: records)
        var sink = KeptCommands()
        var now: Int64 = 0
        for _ in 0..<20 {
            client.tick(nowMs: now, source: &source, link: &l, commands: &sink)
            let next = client.wakeDeadlineMs(nowMs: now)!
            XCTAssertGreaterThanOrEqual(next - now, 1_000)
            XCTAssertLessThanOrEqual(next - now, 2_000)
            now = next
        }
        XCTAssertEqual(link.opens, 20)
        XCTAssertEqual(client.counters.connectFailures, 20)
    }

    func testRefusedConnackBacksOffExponentially() {
        var client = makeClient()
        let link = MemoryLinkState()
        var l = MemoryLink(state: link)
        var source = UplinkMemorySource(records: records)
        var sink = KeptCommands()
        var now: Int64 = 0
        var delays: [Int64] = []
        for _ in 0..<6 {
            client.tick(nowMs: now, source: &source, link: &l, commands: &sink)
            link.toRead += [0x20, 2, 0, 5]  // not authorised
            client.tick(nowMs: now, source: &source, link: &l, commands: &sink)
            XCTAssertEqual(client.phase, .down)
            let next = client.wakeDeadlineMs(nowMs: now)!
            delays.append(next - now)
            now = next
        }
        XCTAssertEqual(client.counters.lastRefusal, 5)
        XCTAssertGreaterThanOrEqual(delays[5], 16_000, "the backoff doubles: \(delays)")
        XCTAssertLessThanOrEqual(delays[5], 32_000)
    }

    func testKeepAlivePingsAndDropsASilentBroker() {
        var client = makeClient()
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        _ = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10_000, source: &source, link: &l, commands: &sink)
        XCTAssertTrue(takeSent(link).contains { $0.type == 12 }, "PINGREQ after keep alive")
        link.toRead += [0xD0, 0]
        client.tick(nowMs: 10_100, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.phase, .connected)
        client.tick(nowMs: 20_100, source: &source, link: &l, commands: &sink)
        XCTAssertTrue(takeSent(link).contains { $0.type == 12 })
        // No PINGRESP this time.
        client.tick(nowMs: 30_200, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.phase, .down, "\(client.counters)")
        XCTAssertEqual(client.counters.keepaliveTimeouts, 1)
    }

    func testCommandsAreHandedToTheSinkAndAcknowledged() {
        var client = makeClient()
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        _ = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        func publish(_ topic: String, _ body: String, id: UInt16) -> [UInt8] {
            let t = Array(topic.utf8), b = Array(body.utf8)
            return [0x32, UInt8(2 + t.count + 2 + b.count), 0, UInt8(t.count)] + t + [UInt8(id >> 8), UInt8(id & 0xFF)] + b
        }
        link.toRead += publish("outpost/gw1/command/s1", "{\"led\":1}", id: 5)
        link.toRead += publish("outpost/gw1/command/s1/ack", "x", id: 6)
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(sink.got.map(\.0), ["s1"])
        XCTAssertEqual(sink.got.map(\.1), ["{\"led\":1}"])
        let acks = link.written
        XCTAssertTrue(acks.starts(with: puback(5)) || takeSent(link).contains { $0.type == 4 })
        // A full queue: not acknowledged, so the broker delivers it again later.
        sink.accept = false
        link.written = []
        link.toRead += publish("outpost/gw1/command/s2", "x", id: 7)
        client.tick(nowMs: 20, source: &source, link: &l, commands: &sink)
        XCTAssertFalse(takeSent(link).contains { $0.type == 4 })
        XCTAssertEqual(client.counters.commandsRefused, 1)
    }

    /// A command kept for the host gets no PUBACK from the tick: only `acknowledgeCommand` (the
    /// host calls it after the commit) sends it, and only on the connection the command came on.
    func testACommandKeptForTheHostIsAcknowledgedOnlyByTheHost() {
        var client = makeClient()
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        _ = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        sink.later = true
        func publish(_ topic: String, _ body: String, id: UInt16) -> [UInt8] {
            let t = Array(topic.utf8), b = Array(body.utf8)
            return [0x32, UInt8(2 + t.count + 2 + b.count), 0, UInt8(t.count)] + t + [UInt8(id >> 8), UInt8(id & 0xFF)] + b
        }
        _ = takeSent(link)
        link.toRead += publish("outpost/gw1/command/s1", "a", id: 11)
        link.toRead += publish("outpost/gw1/command/s2", "b", id: 12)
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(sink.got.map(\.0), ["s1", "s2"])
        XCTAssertEqual(sink.ids.map(\.0), [11, 12])
        XCTAssertFalse(takeSent(link).contains { $0.type == 4 }, "no PUBACK before the host committed")
        let connection = sink.ids[0].1
        XCTAssertEqual(connection, client.connection)
        XCTAssertTrue(client.acknowledgeCommand(packetID: 11, connection: connection))
        XCTAssertTrue(client.acknowledgeCommand(packetID: 12, connection: connection))
        client.tick(nowMs: 20, source: &source, link: &l, commands: &sink)
        let pubacks = takeSent(link).filter { $0.type == 4 }.map(\.packetID)
        XCTAssertEqual(pubacks, [11, 12])
        XCTAssertEqual(client.counters.commandsAcknowledged, 2)
        // On a later connection the old packet id means nothing: the broker re-delivers instead.
        XCTAssertFalse(client.acknowledgeCommand(packetID: 13, connection: connection &+ 1))
    }

    func testMalformedBrokerPacketEndsTheConnection() {
        var client = makeClient()
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        _ = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        link.toRead += [0x40, 3, 0, 1, 0]  // PUBACK with a wrong length
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.phase, .down)
        XCTAssertEqual(client.counters.protocolErrors, 1)
    }

    func testAlertsGoAheadOfReadingsAndAreNotSentTwice() {
        var client = makeClient { $0.window = 2 }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        for i in 0..<4 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i))) }
        source.append(TestRecords.alert())
        var pending = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        var topics: [String] = []
        var seqs: [UInt64] = []
        // Ack everything as it comes until the backlog is gone.
        for step in 0..<10 {
            pending += takeSent(link)
            let sent = pending.filter { $0.topic.hasSuffix("/readings") || $0.topic.hasSuffix("/alerts") }
            for p in sent {
                topics.append(String(p.topic.split(separator: "/").last!))
                let text = String(decoding: p.payload, as: UTF8.self)
                let seq = text.components(separatedBy: "\"seq\":")[1].prefix { $0.isNumber }
                seqs.append(UInt64(seq)!)
                link.toRead += puback(p.packetID)
            }
            pending = []
            client.tick(nowMs: 20 + Int64(step), source: &source, link: &l, commands: &sink)
        }
        XCTAssertEqual(topics.first, "alerts")
        XCTAssertEqual(seqs.sorted(), [1, 2, 3, 4, 5], "every record once")
        XCTAssertEqual(client.cursor, 5)
    }

    func testInfluxLineProtocol() throws {
        var client = makeClient { $0.format = .influx }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        source.uplinkLogID = 9
        source.append(TestRecords.reading(timestampMs: TestRecords.startMs + 250, features: [(.temperature, 21_500), (.humidity, 40_000)]))
        let early = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        let sent = (early + takeSent(link)).first { $0.topic.hasSuffix("/readings") }!
        XCTAssertEqual(
            String(decoding: sent.payload, as: UTF8.self),
            "outpost,node=gw1,lid=9,name=sensor-001/temperature,unit=Cel value=21.5,seq=1i 1767225600250000000\n"
                + "outpost,node=gw1,lid=9,name=sensor-001/humidity,unit=%RH value=40,seq=1i 1767225600250000000\n")
    }
}
