import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// What the server keeps per sensor index, after the pipeline gave an index to a new sensor: the
/// last reading in /sensors starts afresh, past /alerts events of the old sensor show a null
/// sensor (never the newcomer's name), and a pack of more new sensors than free and evictable
/// slots is refused whole.
final class ServerEvictionTests: XCTestCase {
    typealias H = ServerHarness<ProfileTest>

    func json(_ h: H, _ path: String) throws -> [String: Any] {
        let reply = try XCTUnwrap(h.exchange(Request.make(mid: UInt16.random(in: 1...60_000), path: path)))
        XCTAssertEqual(reply.code, .content, path)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(reply.payload)) as? [String: Any], reply.text)
    }

    func testEvictedSlotStartsAfreshAndOldAlertsLoseTheName() throws {
        let h = H()  // 6 sensors, 8 alerts of history
        h.server.pipeline.alerts.setOfflineAfter(ms: 10_000)
        h.server.pipeline.sensorEvictAfterMs = 20_000
        var mid: UInt16 = 1
        for i in 0..<6 {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s\(i)", 21), mid: mid))?.code, .changed)
            mid += 1
        }
        h.tick()
        // s1..s5 keep talking; s0 goes offline.
        h.nowMs += 15_000
        for i in 1..<6 {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s\(i)", 22), mid: mid))?.code, .changed)
            mid += 1
        }
        h.tick()
        let offline = try json(h, "alerts")["alerts"] as! [[String: Any]]
        XCTAssertEqual(offline.filter { $0["kind"] as? String == "offline" }.map { $0["sensor"] as? String }, ["s0"])
        // A command waits for s0 (never delivered: s0 is silent).
        let queued = [UInt8]("reboot".utf8).withUnsafeBytes {
            h.server.enqueueCommand(sensor: SensorName("s0"), payload: $0, contentFormat: 0, origin: .http, nowMs: h.nowMs)
        }
        XCTAssertEqual(queued.outcome, .accepted)
        // Two new sensors, one evictable slot: refused whole.
        h.nowMs += 10_000
        let two = "[{\"bn\":\"n1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20},{\"bn\":\"n2/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20}]"
        XCTAssertEqual(h.exchange(Request.post(two, mid: mid))?.code, .serviceUnavailable)
        mid += 1
        XCTAssertEqual(h.server.pipeline.counters.sensorsEvicted, 0)
        // One new sensor: takes s0's slot.
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("n1", 30), mid: mid))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.sensorsEvicted, 1)
        XCTAssertEqual(h.server.pipeline.sensors.find(SensorName("n1")), 0)
        XCTAssertEqual(h.server.sensorRecord(0).reading.features[.temperature], 30_000, "the newcomer's reading, not s0's")
        XCTAssertEqual(h.server.sensorRecord(0).lastReceivedMs, h.nowMs)
        // s0's command ended as expired with the slot: n1 never receives it.
        XCTAssertEqual(h.server.commands.pending(sensorIndex: 0), 0)
        XCTAssertEqual(h.server.commands.counters.droppedEvicted, 1)
        let ended = try XCTUnwrap(h.server.commands.event(sequence: h.server.commands.eventsTotal &- 1))
        XCTAssertEqual(ended.kind, .expired)
        XCTAssertEqual(ended.id, queued.id)
        h.tick()
        let alerts = try json(h, "alerts")["alerts"] as! [[String: Any]]
        // Event 0 is s0's offline alert (the others went offline after their 10 s of silence).
        let raised = try XCTUnwrap(alerts.first { $0["seq"] as? Int == 0 })
        XCTAssertEqual(raised["kind"] as? String, "offline")
        XCTAssertEqual(alerts.filter { $0["sensor"] is NSNull }.count, 1)
        XCTAssertTrue(raised["sensor"] is NSNull, "s0 past event must not carry the name of n1: \(alerts)")
        XCTAssertFalse(alerts.contains { $0["sensor"] as? String == "n1" })
        XCTAssertEqual(try XCTUnwrap(try json(h, "sensors/n1")["id"] as? String), "n1")
        let health = try json(h, "health")
        XCTAssertEqual((health["counters"] as? [String: Any])?["sensors_evicted"] as? Int, 1)
    }

    /// The expired event of an evicted sensor's command keeps that sensor's name: the upstream
    /// ack (`Server.commandEvent`), `/commands`-side JSON and the log record name s0, never the
    /// newcomer that took its index.
    func testExpiredCommandOfAnEvictedSensorKeepsItsOwnName() throws {
        let h = H()
        h.server.pipeline.alerts.setOfflineAfter(ms: 10_000)
        h.server.pipeline.sensorEvictAfterMs = 20_000
        var mid: UInt16 = 1
        for i in 0..<6 {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s\(i)", 21), mid: mid))?.code, .changed)
            mid += 1
        }
        h.tick()
        let queued = [UInt8]("reboot".utf8).withUnsafeBytes {
            h.server.enqueueCommand(sensor: SensorName("s0"), payload: $0, contentFormat: 0, origin: .mqtt, nowMs: h.nowMs)
        }
        XCTAssertEqual(queued.outcome, .accepted)
        h.nowMs += 15_000
        for i in 1..<6 {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s\(i)", 22), mid: mid))?.code, .changed)
            mid += 1
        }
        h.tick()  // s0's offline alert: it may be evicted once silent long enough
        h.nowMs += 10_000
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("newcomer", 30), mid: mid))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.sensorsEvicted, 1)
        XCTAssertEqual(h.server.pipeline.sensors.find(SensorName("newcomer")), 0, "the newcomer took s0's index")
        let sequence = h.server.commands.eventsTotal &- 1
        let (event, sensor) = try XCTUnwrap(h.server.commandEvent(sequence: sequence))
        XCTAssertEqual(event.kind, .expired)
        XCTAssertEqual(event.id, queued.id)
        XCTAssertEqual(event.sensor, 0)
        XCTAssertEqual(sensor, SensorName("s0"), "the ack is published under the evicted sensor's own name")
        XCTAssertEqual(event.sensorName, SensorName("s0"))
    }
}
