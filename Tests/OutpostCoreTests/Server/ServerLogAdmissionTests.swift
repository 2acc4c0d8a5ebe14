import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// The log's room (`LogRoom`, an argument of `Server.handle` and `ingestLine`): the admission. A pack the log cannot keep is answered 5.03
/// with the daemon's Max-Age before anything is acknowledged or processed.
final class ServerLogAdmissionTests: XCTestCase {
    func testPackLargerThanTheLogRoomIs503WithMaxAgeAndNothingTaken() throws {
        let h = ServerHarness<ProfileTest>()
        let perReading = Pipeline<ProfileTest>.outboxRoomPerReading
        h.room = LogRoom(records: perReading, retryS: 5)  // room for one reading and its alerts
        let pair = "[{\"bn\":\"a/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20,\"t\":1},{\"bn\":\"a/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21,\"t\":2}]"
        let refused = try XCTUnwrap(h.exchange(Request.post(pair, mid: 1)))
        XCTAssertEqual(refused.code, .serviceUnavailable)
        XCTAssertEqual(refused.uint(.maxAge), 5)
        XCTAssertEqual(h.server.counters.busyLog, 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 0, "nothing of a refused pack is taken")
        // One reading fits.
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("a", 21), mid: 2))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        // No room at all refuses a single reading; the retransmission gets the same answer.
        h.room = LogRoom(records: 0, retryS: 5)
        let none = Request.post(Request.temperature("a", 22), mid: 3)
        XCTAssertEqual(h.exchange(none)?.code, .serviceUnavailable)
        XCTAssertEqual(h.exchange(none)?.code, .serviceUnavailable)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        // Room returns (the uplink forwarded a segment): taken again.
        h.room = .unlimited
        XCTAssertEqual(h.exchange(Request.post(pair, mid: 4))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)
    }

    /// Lines from a line-mode serial port go through the same admission check as packs.
    func testALineTheLogCannotKeepIsRefused() {
        let h = ServerHarness<ProfileTest>()
        let line = Array("[{\"bn\":\"a/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20}]".utf8)
        let refused = line.withUnsafeBytes { h.server.ingestLine($0, nowMs: h.nowMs, room: LogRoom(records: 0, retryS: 1)) }
        XCTAssertEqual(refused, .refused(.logFull))
        XCTAssertEqual(h.server.counters.busyLog, 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 0)
        let taken = line.withUnsafeBytes { h.server.ingestLine($0, nowMs: h.nowMs, room: LogRoom(records: Pipeline<ProfileTest>.outboxRoomPerReading, retryS: 1)) }
        XCTAssertEqual(taken, .accepted(1))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
    }

    func testHealthShowsLogAndUplinkOnlyWhenEnabled() throws {
        let h = ServerHarness<ProfileTest>()
        let plain = try XCTUnwrap(h.exchange(Request.make(mid: 10, path: "health")))
        let before = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.payload)) as? [String: Any])
        XCTAssertNil(before["log"])
        XCTAssertNil(before["uplink"])
        var status = ServerStoreStatus()
        status.logEnabled = true
        status.logState = "full"
        status.whenFull = "reject-new"
        status.refusing = true
        status.lastSequence = 42
        status.uplinkEnabled = true
        status.uplink.backlogRecords = 7
        status.uplink.forwardLagMs = 1_500
        status.uplink.state = .backoff
        h.server.storeStatus = status
        let health = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(ServerHealthTests.wholeBody(h, path: "health"))) as? [String: Any])
        let log = try XCTUnwrap(health["log"] as? [String: Any])
        XCTAssertEqual(log["state"] as? String, "full")
        XCTAssertEqual(log["when_full"] as? String, "reject-new")
        XCTAssertEqual(log["refusing"] as? Bool, true)
        XCTAssertEqual(log["last_sequence"] as? Int, 42)
        let uplink = try XCTUnwrap(health["uplink"] as? [String: Any])
        XCTAssertEqual(uplink["backlog"] as? Int, 7)
        XCTAssertEqual(uplink["forward_lag_ms"] as? Int, 1_500)
        XCTAssertEqual(uplink["state"] as? String, "backoff")
    }
}
