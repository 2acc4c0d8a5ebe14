import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// The message-layer rules of RFC 7252 as the server applies them, plus request-level errors.
final class ServerMessageTests: XCTestCase {
    func json(_ reply: Reply) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any], reply.text)
    }

    func testConfirmableGetGetsPiggybackedAckWithSameIdAndToken() throws {
        let h = ServerHarness<ProfileTest>()
        let reply = try XCTUnwrap(h.exchange(Request.make(.confirmable, .get, mid: 0x1234, token: [1, 2, 3], path: "health")))
        XCTAssertEqual(reply.type, .acknowledgement)
        XCTAssertEqual(reply.code, .content)
        XCTAssertEqual(reply.messageID, 0x1234)
        XCTAssertEqual(reply.token, [1, 2, 3])
        XCTAssertEqual(reply.uint(.contentFormat), 50)
        let health = try json(reply)
        XCTAssertEqual(health["status"] as? String, "ok")
        XCTAssertEqual(health["node_id"] as? String, "node-1")
        XCTAssertEqual(health["profile"] as? String, "test")
        XCTAssertNotNil(health["counters"] as? [String: Any])
    }

    func testNonConfirmableGetGetsNonResponseWithNewIdSameToken() throws {
        let h = ServerHarness<ProfileTest>()
        let first = try XCTUnwrap(h.exchange(Request.make(.nonConfirmable, .get, mid: 77, token: [9], path: "health")))
        let second = try XCTUnwrap(h.exchange(Request.make(.nonConfirmable, .get, mid: 78, token: [8], path: "health")))
        XCTAssertEqual(first.type, .nonConfirmable)
        XCTAssertEqual(first.token, [9])
        XCTAssertEqual(second.token, [8])
        XCTAssertNotEqual(first.messageID, second.messageID, "each NON response gets its own message ID")
        XCTAssertEqual(second.messageID, first.messageID &+ 1)
    }

    func testEmptyConfirmableIsAnsweredWithReset() throws {
        let h = ServerHarness<ProfileTest>()
        let reply = try XCTUnwrap(h.send([0x40, 0x00, 0xBE, 0xEF]))
        XCTAssertEqual(reply, [0x70, 0x00, 0xBE, 0xEF])
        XCTAssertEqual(h.server.counters.pings, 1)
        // An empty NON is malformed: dropped.
        XCTAssertNil(h.send([0x50, 0x00, 0x00, 0x01]))
        XCTAssertEqual(h.server.counters.formatErrorsDropped, 1)
    }

    func testFormatErrorsAreResetForConAndDroppedOtherwise() throws {
        let h = ServerHarness<ProfileTest>()
        // CON with token length 9: RST with the message ID.
        XCTAssertEqual(h.send([0x49, 0x01, 0x00, 0x05]), [0x70, 0x00, 0x00, 0x05])
        // CON with a truncated option: RST.
        XCTAssertEqual(h.send([0x40, 0x01, 0x00, 0x06, 0xBD]), [0x70, 0x00, 0x00, 0x06])
        // CON with a payload marker and no payload: RST.
        XCTAssertEqual(h.send([0x40, 0x01, 0x00, 0x07, 0xFF]), [0x70, 0x00, 0x00, 0x07])
        XCTAssertEqual(h.server.counters.formatErrorsReset, 3)
        // The same errors in NON messages are dropped silently.
        XCTAssertNil(h.send([0x59, 0x01, 0x00, 0x05]))
        XCTAssertNil(h.send([0x50, 0x01, 0x00, 0x07, 0xFF]))
        // Version 2 and short datagrams: ignored whatever the type.
        XCTAssertNil(h.send([0x80, 0x01, 0x00, 0x08]))
        XCTAssertNil(h.send([0x40, 0x01]))
        XCTAssertNil(h.send([]))
        XCTAssertEqual(h.server.counters.formatErrorsDropped, 5)
        XCTAssertEqual(h.server.counters.datagrams, 8)
    }

    func testResponseCodesSentToTheServerAreRejected() throws {
        let h = ServerHarness<ProfileTest>()
        let con = try XCTUnwrap(h.exchange(Request.make(.confirmable, .content, mid: 11, path: "health")))
        XCTAssertEqual(con.type, .reset)
        XCTAssertEqual(con.messageID, 11)
        XCTAssertNil(h.send(Request.make(.nonConfirmable, .content, mid: 12, path: "health")))
        // Reserved class 1 (0x21 = 1.01).
        XCTAssertEqual(h.exchange(Request.make(.confirmable, CoAPCode(rawValue: 0x21), mid: 13))?.type, .reset)
        // A stray ACK or RST gets no answer.
        XCTAssertNil(h.send([0x60, 0x00, 0x00, 0x20]))
        XCTAssertNil(h.send([0x70, 0x00, 0x00, 0x21]))
        XCTAssertEqual(h.server.counters.acks, 1)
        XCTAssertEqual(h.server.counters.resets, 1)
    }

    func testUnknownCriticalOptionIs402AndUnknownElectiveIsIgnored() throws {
        let h = ServerHarness<ProfileTest>()
        let critical = try XCTUnwrap(h.exchange(Request.make(path: "health", options: [(9, [1])])))
        XCTAssertEqual(critical.code, .badOption)
        XCTAssertFalse(critical.text.isEmpty, "4.02 carries a diagnostic")
        XCTAssertNil(critical.uint(.contentFormat), "a diagnostic payload has no Content-Format")
        let elective = try XCTUnwrap(h.exchange(Request.make(mid: 2, path: "health", options: [(2048, [1])])))
        XCTAssertEqual(elective.code, .content)
        let conditional = try XCTUnwrap(h.exchange(Request.make(mid: 3, path: "health", options: [(1, [1])])))
        XCTAssertEqual(conditional.code, .badOption)
        let proxy = try XCTUnwrap(h.exchange(Request.make(mid: 4, path: "health", options: [(35, Array("coap://x/".utf8))])))
        XCTAssertEqual(proxy.code, .proxyingNotSupported)
        XCTAssertEqual(h.server.counters.badOptions, 2)
    }

    func testMethodsAndPaths() throws {
        let h = ServerHarness<ProfileTest>()
        XCTAssertEqual(h.exchange(Request.make(.confirmable, .put, mid: 1, path: "readings"))?.code, .methodNotAllowed)
        XCTAssertEqual(h.exchange(Request.make(.confirmable, .get, mid: 2, path: "readings"))?.code, .methodNotAllowed)
        XCTAssertEqual(h.exchange(Request.make(.confirmable, .post, mid: 3, path: "health"))?.code, .methodNotAllowed)
        XCTAssertEqual(h.exchange(Request.make(.confirmable, .delete, mid: 4, path: "alerts"))?.code, .methodNotAllowed)
        XCTAssertEqual(h.exchange(Request.make(mid: 5, path: "nothing"))?.code, .notFound)
        XCTAssertEqual(h.exchange(Request.make(mid: 6, path: ""))?.code, .notFound)
        XCTAssertEqual(h.exchange(Request.make(mid: 7, path: "sensors/unknown"))?.code, .notFound)
        XCTAssertEqual(h.exchange(Request.make(mid: 8, path: "sensors/a/b"))?.code, .notFound)
        XCTAssertEqual(h.exchange(Request.make(mid: 9, path: "sensors/bad\"name"))?.code, .notFound)
        XCTAssertEqual(h.server.counters.methodNotAllowed, 4)
        XCTAssertEqual(h.server.counters.notFound, 5)
    }

    func testPostReadingsSuccessIsChangedAndReachesThePipeline() throws {
        let h = ServerHarness<ProfileTest>()
        let reply = try XCTUnwrap(h.exchange(Request.post(Request.temperature("s1", 21.5), mid: 40, token: [4])))
        XCTAssertEqual(reply.code, .changed)
        XCTAssertEqual(reply.type, .acknowledgement)
        XCTAssertEqual(reply.token, [4])
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        XCTAssertEqual(h.server.counters.packsAccepted, 1)
        let cbor = Request.cborPack([("s2", 20.0), ("s3", 22.25)])
        let cborReply = try XCTUnwrap(h.exchange(Request.make(
            .nonConfirmable, .post, mid: 41, path: "readings", options: [Request.uint(.contentFormat, 112)], payload: cbor)))
        XCTAssertEqual(cborReply.code, .changed)
        XCTAssertEqual(cborReply.type, .nonConfirmable)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)
        XCTAssertEqual(h.server.pipeline.sensors.count, 3)
    }

    func testContentFormatAndSenMLErrors() throws {
        let h = ServerHarness<ProfileTest>()
        let pack = Request.json(Request.temperature("s1", 21))
        let missing = try XCTUnwrap(h.exchange(Request.make(.confirmable, .post, mid: 1, path: "readings", payload: pack)))
        XCTAssertEqual(missing.code, .unsupportedContentFormat)
        let plainJSON = try XCTUnwrap(h.exchange(Request.make(
            .confirmable, .post, mid: 2, path: "readings", options: [Request.uint(.contentFormat, 50)], payload: pack)))
        XCTAssertEqual(plainJSON.code, .unsupportedContentFormat)
        let invalid = try XCTUnwrap(h.exchange(Request.post("[{\"bn\":\"s1/\",\"n\":\"temperature\",\"u\":\"Cel\" \"v\":1}]", mid: 3)))
        XCTAssertEqual(invalid.code, .badRequest)
        XCTAssertTrue(invalid.text.hasPrefix("senml: offset "), invalid.text)
        let wrongUnit = try XCTUnwrap(h.exchange(Request.post("[{\"bn\":\"s1/\",\"n\":\"temperature\",\"u\":\"W\",\"v\":1}]", mid: 4)))
        XCTAssertEqual(wrongUnit.code, .badRequest)
        XCTAssertTrue(wrongUnit.text.contains("wrong unit"), wrongUnit.text)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 0, "no reading of a refused pack is taken")
        XCTAssertEqual(h.server.counters.unsupportedFormat, 2)
        XCTAssertEqual(h.server.counters.invalidPacks, 2)
    }

    func testTooManyReadingsIs413() throws {
        let h = ServerHarness<ProfileTest>()  // 4 readings per pack
        let records = (0..<5).map { "{\"bn\":\"s\($0 % 3)/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20,\"t\":\($0)}" }
        let reply = try XCTUnwrap(h.exchange(Request.post("[" + records.joined(separator: ",") + "]")))
        XCTAssertEqual(reply.code, .requestEntityTooLarge)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 0)
    }

    func testOversizeDatagramIs413WithSize1() throws {
        let h = ServerHarness<ProfileLow>()  // 512-byte datagrams
        let big = Request.post("[" + String(repeating: " ", count: 600) + "]")
        let reply = try XCTUnwrap(h.exchange(big))
        XCTAssertEqual(reply.code, .requestEntityTooLarge)
        XCTAssertEqual(reply.uint(.size1), UInt32(ProfileLow.block1SlotBytes))
        XCTAssertEqual(h.server.counters.oversizeDatagrams, 1)
    }

    func testAcceptNegotiation() throws {
        let h = ServerHarness<ProfileTest>()
        let cbor = try XCTUnwrap(h.exchange(Request.make(mid: 1, path: "health", options: [Request.uint(.accept, 60)])))
        XCTAssertEqual(cbor.code, .content)
        XCTAssertEqual(cbor.uint(.contentFormat), 60)
        XCTAssertEqual(cbor.payload.first, 0xBF, "an indefinite-length CBOR map")
        XCTAssertEqual(h.exchange(Request.make(mid: 2, path: "health", options: [Request.uint(.accept, 0)]))?.code, .notAcceptable)
        XCTAssertEqual(h.exchange(Request.make(mid: 3, path: "metrics", options: [Request.uint(.accept, 50)]))?.code, .notAcceptable)
        XCTAssertEqual(h.exchange(Request.make(mid: 4, path: "metrics", options: [Request.uint(.accept, 0)]))?.code, .content)
        XCTAssertEqual(h.exchange(Request.make(mid: 5, path: ".well-known/core", options: [Request.uint(.accept, 50)]))?.code, .notAcceptable)
        let links = try XCTUnwrap(h.exchange(Request.make(mid: 6, path: ".well-known/core")))
        XCTAssertEqual(links.uint(.contentFormat), 40)
        XCTAssertEqual(h.server.counters.notAcceptable, 3)
    }

    func testOutboxBackPressureIs503WithMaxAgeAndNothingTaken() throws {
        let h = ServerHarness<ProfileTest>()  // outbox of 32 events, 7 reserved per reading
        var mid: UInt16 = 100
        var refused: Reply? = nil
        for i in 0..<40 {
            mid += 1
            let reply = try XCTUnwrap(h.exchange(Request.post(Request.temperature("s\(i % 3)", 21), mid: mid)))
            if reply.code != .changed {
                refused = reply
                break
            }
        }
        let busy = try XCTUnwrap(refused, "the outbox filled up without ticks")
        XCTAssertEqual(busy.code, .serviceUnavailable)
        XCTAssertEqual(busy.uint(.maxAge), 1)
        XCTAssertEqual(h.server.counters.busyOutbox, 1)
        let accepted = h.server.pipeline.counters.readingsAccepted
        h.tick()
        XCTAssertEqual(h.server.pipeline.outbox.count, 0, "tick drains the outbox")
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: mid + 1))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, accepted + 1)
    }

    func testSensorTableFullIs503AndPackIsNotHalfTaken() throws {
        let h = ServerHarness<ProfileTest>()  // 6 sensors
        for i in 0..<5 {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s\(i)", 21), mid: UInt16(i + 1)))?.code, .changed)
        }
        h.tick()
        // Two new sensors but one free place: refused whole.
        let pack = "[{\"bn\":\"s0/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20},{\"bn\":\"new1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20},{\"bn\":\"new2/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20}]"
        let reply = try XCTUnwrap(h.exchange(Request.post(pack, mid: 50)))
        XCTAssertEqual(reply.code, .serviceUnavailable)
        XCTAssertNotNil(reply.uint(.maxAge))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 5, "not even the known sensor's reading was taken")
        XCTAssertEqual(h.server.counters.busySensorTable, 1)
        // The same new sensor twice in one pack needs one place only.
        let twice = "[{\"bn\":\"new1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20,\"t\":1},{\"bn\":\"new1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21,\"t\":2}]"
        XCTAssertEqual(h.exchange(Request.post(twice, mid: 51))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.sensors.count, 6)
    }

    func testIngestLineCSVSenMLHeaderAndGarbage() throws {
        let h = ServerHarness<ProfileTest>()
        func line(_ text: String) -> LineOutcome {
            Array(text.utf8).withUnsafeBytes { h.server.ingestLine($0, nowMs: h.nowMs) }
        }
        XCTAssertEqual(line("sensor_id,timestamp_ms,temperature,humidity,pressure,vibration,power_consumption,battery_level,latitude,longitude"), .skipped)
        XCTAssertEqual(line(""), .skipped)
        XCTAssertEqual(line("# comment"), .skipped)
        XCTAssertEqual(line("s1,1767225600000,21.5,50,1013.2,0.5,100,80,,\r"), .accepted(1))
        XCTAssertEqual(line(Request.temperature("s2", 22)), .accepted(1))
        XCTAssertEqual(line("s1,not-a-time,21.5,50,1013.2,0.5,100,80,,"), .invalid)
        XCTAssertEqual(line("[{\"bn\":"), .invalid)
        XCTAssertEqual(line("\u{01}\u{02}garbage"), .invalid)
        XCTAssertEqual(h.server.counters.invalidLines, 3)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 2)
    }

    func testResponseBufferTooSmallSendsNothing() throws {
        let h = ServerHarness<ProfileTest>()
        let tiny = UnsafeMutableRawBufferPointer.allocate(byteCount: 3, alignment: 1)
        defer { tiny.deallocate() }
        let request = Request.make(path: "health")
        let length = request.withUnsafeBytes { h.server.handle(datagram: $0, from: ServerHarness<ProfileTest>.peer(1), nowMs: 0, response: tiny) }
        XCTAssertEqual(length, 0)
        XCTAssertEqual(h.server.counters.responseNoRoom, 1)
    }
}
