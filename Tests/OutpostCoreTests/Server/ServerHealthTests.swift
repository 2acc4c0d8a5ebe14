import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// `/health` tells the truth: `degraded` with its reasons whenever the log, the uplink, the sensor
/// table or a serial line is in trouble, and `ok` again once it is over.
final class ServerHealthTests: XCTestCase {
    typealias H = ServerHarness<ProfileMedium>

    func health(_ h: H) throws -> (status: String, reasons: [String], body: [String: Any]) {
        // The body may take more than one block (RFC 7959 Block2): fetched block by block.
        var payload = [UInt8]()
        var block: UInt32 = 0
        for _ in 0..<16 {
            let options = block == 0 ? [] : [Request.uint(.block2, block << 4 | 6)]
            let reply = try XCTUnwrap(h.exchange(Request.make(mid: UInt16.random(in: 1...60_000), path: "health", options: options)))
            XCTAssertEqual(reply.code, .content)
            payload += reply.payload
            guard let b2 = reply.uint(.block2), b2 & 8 != 0 else { break }
            block = (b2 >> 4) + 1
        }
        let text = String(decoding: payload, as: UTF8.self)
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any], text)
        return (try XCTUnwrap(body["status"] as? String), try XCTUnwrap(body["reasons"] as? [String]), body)
    }

    static func metrics<P: Profile>(_ h: ServerHarness<P>) throws -> String {
        var text = [UInt8]()
        var block: UInt32 = 0
        for _ in 0..<64 {
            let options = block == 0 ? [] : [Request.uint(.block2, block << 4 | 6)]
            let reply = try XCTUnwrap(h.exchange(Request.make(mid: UInt16.random(in: 1...60_000), path: "metrics", options: options)))
            text += reply.payload
            guard let b2 = reply.uint(.block2), b2 & 8 != 0 else { break }
            block = (b2 >> 4) + 1
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A log and an uplink that are fine.
    func healthyStore() -> ServerStoreStatus {
        var s = ServerStoreStatus()
        s.logEnabled = true
        s.logState = "ready"
        s.uplinkEnabled = true
        s.uplink.state = .up
        return s
    }

    func testFreshServerIsOkWithNoReasons() throws {
        let h = H()
        let (status, reasons, body) = try health(h)
        XCTAssertEqual(status, "ok")
        XCTAssertEqual(reasons, [])
        XCTAssertNil(body["serial"], "no serial lines, no serial member")
    }

    func testUplinkDownPastTheGraceIsDegradedAndRecovers() throws {
        let h = H()
        var s = healthyStore()
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        s.uplink.state = .down
        s.uplink.backlogRecords = 315
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        h.nowMs += 30_000
        s.uplink.state = .backoff
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).status, "ok", "30 s of backoff is within the grace")
        h.nowMs += 64_000
        s.uplink.state = .down
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        let (status, reasons, body) = try health(h)
        XCTAssertEqual(status, "degraded")
        XCTAssertEqual(reasons, ["uplink_down"])
        let uplink = try XCTUnwrap(body["uplink"] as? [String: Any])
        XCTAssertEqual(uplink["down_ms"] as? Int, 94_000)
        XCTAssertEqual(uplink["backlog"] as? Int, 315)
        XCTAssertTrue(try Self.metrics(h).contains("outpost_degraded 1\n"))
        s.uplink.state = .up
        h.nowMs += 1_000
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).status, "ok")
    }

    func testLogTroubleGivesItsReasons() throws {
        let h = H()
        var s = healthyStore()
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        // Refusing: at once, and for as long as it lasts.
        s.refusing = true
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).reasons, ["log_refusing"])
        s.refusing = false
        // Dropping (drop-oldest lost unforwarded readings, or events not logged): for a minute after.
        s.droppedReadings = 12
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).reasons, ["log_dropping"])
        h.nowMs += 59_000
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).reasons, ["log_dropping"])
        h.nowMs += 1_000
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).status, "ok", "no new loss for a minute")
        s.notLogged = 1
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).reasons, ["log_dropping"])
        h.nowMs += 60_000
        // Commit failing, records rejected by the upstream, log not usable: all together.
        s.commitFailures = 3
        s.recordsRejected = 40
        s.logState = "no_space"
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        let (status, reasons, body) = try health(h)
        XCTAssertEqual(status, "degraded")
        XCTAssertEqual(reasons, ["log_unavailable", "records_rejected", "commit_failing"])
        let log = try XCTUnwrap(body["log"] as? [String: Any])
        XCTAssertEqual(log["commit_failures"] as? Int, 3)
        XCTAssertEqual((body["uplink"] as? [String: Any])?["records_rejected"] as? Int, 40)
        // A full log (drop-oldest keeps accepting) is not by itself a reason.
        s.logState = "full"
        h.nowMs += 60_000
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        XCTAssertEqual(try health(h).status, "ok")
    }

    func testFullSensorTableIsAReason() throws {
        let h = ServerHarness<ProfileTest>()
        for i in 0..<ProfileTest.sensorCapacity {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("t\(i)", 20), mid: UInt16(i)))?.code, .changed)
            h.tick()
        }
        let reply = try XCTUnwrap(h.exchange(Request.make(mid: 900, path: "health")))
        let body = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any])
        XCTAssertEqual(body["status"] as? String, "degraded")
        XCTAssertEqual(body["reasons"] as? [String], ["sensor_table_full"])
    }

    func testSerialErrorCountersInHealthAndMetrics() throws {
        let h = H()
        var serial = ServerSerialStatus()
        serial.lines = 2
        serial.open = 2
        serial.badEscapes = 3
        serial.oversizeFrames = 4
        serial.linesTooLong = 5
        serial.losses = 6
        h.server.serialStatus = serial
        var (status, _, body) = try health(h)
        XCTAssertEqual(status, "ok")
        let member = try XCTUnwrap(body["serial"] as? [String: Any])
        XCTAssertEqual(member["lines"] as? Int, 2)
        XCTAssertEqual(member["bad_escapes"] as? Int, 3)
        XCTAssertEqual(member["oversize_frames"] as? Int, 4)
        XCTAssertEqual(member["lines_too_long"] as? Int, 5)
        XCTAssertEqual(member["losses"] as? Int, 6)
        let metrics = try Self.metrics(h)
        XCTAssertTrue(metrics.contains("outpost_serial_errors_total{kind=\"bad_escape\"} 3\n"), metrics)
        XCTAssertTrue(metrics.contains("outpost_serial_errors_total{kind=\"oversize_frame\"} 4\n"))
        XCTAssertTrue(metrics.contains("outpost_serial_errors_total{kind=\"line_too_long\"} 5\n"))
        XCTAssertTrue(metrics.contains("outpost_serial_errors_total{kind=\"line_lost\"} 6\n"))
        // A line that is not open (yet) is shown, not a reason: devices come and go by design.
        serial.open = 1
        h.server.serialStatus = serial
        (status, _, body) = try health(h)
        XCTAssertEqual(status, "ok")
        XCTAssertEqual((body["serial"] as? [String: Any])?["open"] as? Int, 1)
    }
}
