import OutpostCore
import OutpostProfiles
import XCTest

/// `/commands/<sensor>` on the CoAP server: GET, confirmation by POST, Observe with CON
/// notifications whose ACK delivers, retransmission, RST, line-mode routing, expiry.
final class ServerCommandTests: XCTestCase {
    typealias H = ServerHarness<ProfileTest>

    func harness() -> H {
        let h = H()
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("valve", 20), mid: 900), from: H.peer(99))?.code, .changed)
        return h
    }

    func enqueue(_ h: H, _ text: String, sensor: String = "valve", format: UInt16 = 0) -> SensorCommandEnqueueResult {
        let name = Array(sensor.utf8).withUnsafeBufferPointer { SensorName($0.span)! }
        return Array(text.utf8).withUnsafeBytes {
            h.server.enqueueCommand(sensor: name, payload: $0, contentFormat: format, origin: .other, nowMs: h.nowMs)
        }
    }

    func get(_ h: H, mid: UInt16, observe: UInt32? = nil, token: [UInt8] = [0xC1], peer: Int = 1) -> Reply? {
        let options = observe.map { [Request.uint(.observe, $0)] } ?? []
        return h.exchange(Request.make(.confirmable, .get, mid: mid, token: token, path: "commands/valve", options: options), from: H.peer(peer))
    }

    func confirm(_ h: H, _ id: String, mid: UInt16) -> Reply? {
        h.exchange(Request.make(.confirmable, .post, mid: mid, path: "commands/valve", payload: Array(id.utf8)), from: H.peer(1))
    }

    func ack(_ h: H, _ mid: UInt16, peer: Int = 1) {
        XCTAssertNil(h.send(Request.make(.acknowledgement, .empty, mid: mid, token: []), from: H.peer(peer)))
    }

    func testGetReturnsTheOldestAndAPostOfItsIdDelivers() throws {
        let h = harness()
        let empty = try XCTUnwrap(get(h, mid: 1))
        XCTAssertEqual(empty.code, .content)
        XCTAssertTrue(empty.payload.isEmpty)
        XCTAssertFalse(empty.has(.eTag))
        XCTAssertEqual(enqueue(h, "open", format: 0).id, 1)
        XCTAssertEqual(enqueue(h, "{\"x\":1}", format: 50).id, 2)
        XCTAssertEqual(enqueue(h, "x", sensor: "nobody").outcome, .unknown)
        let first = try XCTUnwrap(get(h, mid: 2))
        XCTAssertEqual(first.text, "open")
        XCTAssertEqual(first.uint(.eTag), 1)
        XCTAssertEqual(first.uint(.contentFormat), 0)
        XCTAssertEqual(h.server.commands.count, 2, "a GET alone delivers nothing")
        XCTAssertEqual(confirm(h, "2x", mid: 3)?.code, .badRequest)
        XCTAssertEqual(confirm(h, "77", mid: 4)?.code, .notFound)
        XCTAssertEqual(confirm(h, "1", mid: 5)?.code, .changed)
        XCTAssertEqual(confirm(h, "1", mid: 6)?.code, .notFound, "delivered once")
        let second = try XCTUnwrap(get(h, mid: 7))
        XCTAssertEqual(second.text, "{\"x\":1}")
        XCTAssertEqual(second.uint(.contentFormat), 50)
        let event = try XCTUnwrap(h.server.commands.event(sequence: 0))
        XCTAssertEqual(event.kind, .delivered)
        XCTAssertEqual(event.via, .confirm)
        XCTAssertEqual(event.id, 1)
        XCTAssertEqual(h.exchange(Request.make(.confirmable, .delete, mid: 8, path: "commands/valve"))?.code, .methodNotAllowed)
        XCTAssertEqual(h.exchange(Request.make(.confirmable, .get, mid: 9, path: "commands/nobody"))?.code, .notFound)
    }

    func testObserveNotifiesConAndTheAckDelivers() throws {
        let h = harness()
        let registered = try XCTUnwrap(get(h, mid: 1, observe: 0))
        XCTAssertNotNil(registered.uint(.observe))
        XCTAssertTrue(registered.payload.isEmpty)
        XCTAssertTrue(h.tick(advanceMs: 10).isEmpty, "nothing to notify")
        _ = enqueue(h, "open")
        _ = enqueue(h, "close")
        let notes = h.tick(advanceMs: 10)
        XCTAssertEqual(notes.count, 1, "one command at a time")
        let note = notes[0].1
        XCTAssertEqual(notes[0].0, H.peer(1))
        XCTAssertEqual(note.type, .confirmable)
        XCTAssertEqual(note.token, [0xC1])
        XCTAssertEqual(note.text, "open")
        XCTAssertEqual(note.uint(.eTag), 1)
        XCTAssertGreaterThan(try XCTUnwrap(note.uint(.observe)), try XCTUnwrap(registered.uint(.observe)))
        XCTAssertTrue(h.tick(advanceMs: 500).isEmpty, "no retransmission before ACK_TIMEOUT")
        let again = h.tick(advanceMs: 1_600)
        XCTAssertEqual(again.count, 1)
        XCTAssertEqual(again[0].1.messageID, note.messageID, "a retransmission keeps its message ID")
        ack(h, note.messageID)
        XCTAssertEqual(h.server.commands.event(sequence: 0)?.via, .observe)
        XCTAssertEqual(h.server.commands.count, 1)
        let next = h.tick(advanceMs: 10)
        XCTAssertEqual(next.map { $0.1.text }, ["close"])
        ack(h, next[0].1.messageID)
        XCTAssertEqual(h.server.commands.count, 0)
        XCTAssertEqual(h.server.commands.counters.delivered, 2)
        XCTAssertTrue(h.tick(advanceMs: 10).isEmpty)
    }

    func testUnansweredNotificationsEndTheObservationAndRstToo() throws {
        let h = harness()
        XCTAssertNotNil(get(h, mid: 1, observe: 0))
        _ = enqueue(h, "open")
        var sent = 0
        for _ in 0..<80 { sent += h.tick(advanceMs: 1_000).count }
        XCTAssertEqual(sent, 1 + Int(CommandObserverTable.maxRetransmit))
        XCTAssertEqual(h.server.commandObservers.count, 0)
        XCTAssertEqual(h.server.commands.count, 1, "the command stays pending")
        XCTAssertNotNil(get(h, mid: 2, observe: 0, token: [0xC2]))
        let note = try XCTUnwrap(h.tick(advanceMs: 10).first?.1)
        XCTAssertNil(h.send(Request.make(.reset, .empty, mid: note.messageID, token: []), from: H.peer(1)))
        XCTAssertEqual(h.server.commandObservers.count, 0)
        XCTAssertEqual(h.server.commands.count, 1)
    }

    func testDeliveredAnotherWayStopsRetransmissionAndExpiryEnds() throws {
        let h = harness()
        XCTAssertNotNil(get(h, mid: 1, observe: 0))
        _ = enqueue(h, "open")
        XCTAssertEqual(h.tick(advanceMs: 10).count, 1)
        XCTAssertEqual(confirm(h, "1", mid: 2)?.code, .changed)
        XCTAssertTrue(h.tick(advanceMs: 3_000).isEmpty, "nothing left to retransmit")
        h.server.commands.expiryMs = 60_000
        _ = enqueue(h, "late")
        let notes = h.tick(advanceMs: 10)
        XCTAssertEqual(notes.count, 1)
        h.nowMs += 60_000
        _ = h.tick()
        XCTAssertEqual(h.server.commands.count, 0)
        XCTAssertEqual(h.server.commands.event(sequence: 1)?.kind, .expired)
        XCTAssertEqual(h.server.counters.commandsExpired, 1)
        ack(h, notes[0].1.messageID)
        XCTAssertEqual(h.server.commands.counters.delivered, 1, "an ACK after expiry delivers nothing")
    }

    func testLineModeSensorsGetTheirCommandsWritten() throws {
        let h = harness()
        let line = Array("[{\"bn\":\"pump/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21}]".utf8)
        if case .accepted(let n) = line.withUnsafeBytes({ h.server.ingestLine($0, nowMs: h.nowMs) }) {
            h.server.routeCommands(line: 2, readings: n)
        } else {
            XCTFail("line not accepted")
        }
        XCTAssertEqual(enqueue(h, "\u{1}on", sensor: "pump", format: 42).id, 1)
        var sink = RecordingSink()
        h.server.tick(nowMs: h.nowMs + 10, into: &sink)
        XCTAssertEqual(sink.sent.count, 1)
        XCTAssertEqual(sink.sent.first?.0, Endpoint.serial(line: 2))
        XCTAssertEqual(sink.sent.first.map { String(decoding: $0.1, as: UTF8.self) }, "!command 1 pump 42 016f6e\n")
        XCTAssertEqual(h.server.commands.count, 0)
        XCTAssertEqual(h.server.commands.event(sequence: 0)?.via, .serialLine)
    }

    func testTheLowProfileHasNoCommands() throws {
        let h = ServerHarness<ProfileLow>()
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("valve", 20), mid: 900), from: H.peer(99))?.code, .changed)
        XCTAssertFalse(Server<ProfileLow>.commandsEnabled)
        let result = Array("open".utf8).withUnsafeBytes {
            h.server.enqueueCommand(sensor: SensorName("valve"), payload: $0, contentFormat: 0, origin: .mqtt, nowMs: h.nowMs)
        }
        XCTAssertEqual(result.outcome, .full)
        XCTAssertEqual(h.exchange(Request.make(.confirmable, .get, mid: 1, path: "commands/valve"))?.code, .notFound)
        XCTAssertEqual(h.server.commands.capacity, 0)
    }
}
