import OutpostCore
import OutpostProfiles
import XCTest

/// The No-Response option (RFC 7967): the request is processed as usual, and a response of a class
/// the client declined is not sent (an empty ACK for a CON).
final class ServerNoResponseTests: XCTestCase {
    /// `POST /readings` with a SenML-JSON pack and a No-Response option of `mask` (nil: absent).
    func post(_ pack: String, _ type: CoAPType, mid: UInt16, mask: UInt8?) -> [UInt8] {
        var options = [Request.uint(.contentFormat, 110)]
        if let mask { options.append((CoAPOptionNumber.noResponse.rawValue, mask == 0 ? [] : [mask])) }
        return Request.make(type, .post, mid: mid, token: [5, 6], path: "readings", options: options, payload: Request.json(pack))
    }

    func testNonReadingWithSuppressedSuccessIsTakenAndNotAnswered() throws {
        let h = ServerHarness<ProfileTest>()
        XCTAssertNil(h.send(post(Request.temperature("s1", 21), .nonConfirmable, mid: 10, mask: 2)))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        XCTAssertEqual(h.server.counters.responsesSuppressed, 1)
        XCTAssertEqual(h.server.counters.responses, 0)
        XCTAssertEqual(h.server.counters.success, 0, "a suppressed response is not counted as sent")
        // Its retransmission is still a duplicate: dropped, not taken twice.
        XCTAssertNil(h.send(post(Request.temperature("s1", 21), .nonConfirmable, mid: 10, mask: 2)))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        XCTAssertEqual(h.server.counters.duplicatesDropped, 1)
    }

    func testOnlyTheDeclinedClassesAreSuppressed() throws {
        let h = ServerHarness<ProfileTest>()
        // 2.xx declined, the request fails with 4.00: the error is still sent.
        let invalid = try XCTUnwrap(h.exchange(post("[{\"bn\":1}]", .nonConfirmable, mid: 1, mask: 2)))
        XCTAssertEqual(invalid.code, .badRequest)
        // 4.xx declined (8): the same error is not sent ...
        XCTAssertNil(h.send(post("[{\"bn\":1}]", .nonConfirmable, mid: 2, mask: 8)))
        // ... and a success with 4.xx and 5.xx declined (24) is.
        XCTAssertEqual(h.exchange(post(Request.temperature("s1", 21), .nonConfirmable, mid: 3, mask: 24))?.code, .changed)
        // 0 (and an empty value) asks for every response, like no option at all.
        XCTAssertEqual(h.exchange(post(Request.temperature("s1", 22), .nonConfirmable, mid: 4, mask: 0))?.code, .changed)
        XCTAssertEqual(h.exchange(post(Request.temperature("s1", 23), .nonConfirmable, mid: 5, mask: nil))?.code, .changed)
        XCTAssertEqual(h.server.counters.responsesSuppressed, 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)
    }

    func testConfirmableWithSuppressedSuccessGetsAnEmptyAckFromTheCacheToo() throws {
        let h = ServerHarness<ProfileTest>()
        let request = post(Request.temperature("s1", 21), .confirmable, mid: 0x4242, mask: 2)
        let first = try XCTUnwrap(h.exchange(request))
        XCTAssertEqual(first.type, .acknowledgement)
        XCTAssertEqual(first.code, .empty)
        XCTAssertEqual(first.messageID, 0x4242)
        XCTAssertEqual(h.send(request), [0x60, 0x00, 0x42, 0x42], "a retransmission gets the same empty ACK")
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 1)
        XCTAssertEqual(h.server.counters.responsesSuppressed, 1)
    }

    func testMalformedOptionValueIsIgnored() throws {
        let h = ServerHarness<ProfileTest>()
        // Two bytes is outside the option's format (0 to 1 byte); elective, so ignored (RFC 7252 §5.4.3).
        var options = [Request.uint(.contentFormat, 110)]
        options.append((CoAPOptionNumber.noResponse.rawValue, [0, 2]))
        let request = Request.make(
            .nonConfirmable, .post, mid: 8, path: "readings", options: options, payload: Request.json(Request.temperature("s1", 21)))
        XCTAssertEqual(h.exchange(request)?.code, .changed)
        XCTAssertEqual(h.server.counters.responsesSuppressed, 0)
    }

    func testGetWithEverythingDeclinedSendsNothing() throws {
        let h = ServerHarness<ProfileTest>()
        let request = Request.make(
            .nonConfirmable, .get, mid: 9, path: "health", options: [(CoAPOptionNumber.noResponse.rawValue, [26])])
        XCTAssertNil(h.send(request))
        XCTAssertEqual(h.server.counters.responsesSuppressed, 1)
    }
}
