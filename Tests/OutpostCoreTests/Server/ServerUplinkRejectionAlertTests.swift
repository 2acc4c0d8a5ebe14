import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// A record the upstream refused for good raises the gateway's own `uplink_rejected` alert: one
/// alert record per episode (raised at the first refusal, cleared a minute after the last), in
/// the outbox like a sensor's alert (so in the log and upstream), in `/alerts`, and restored after
/// a restart.
final class ServerUplinkRejectionAlertTests: XCTestCase {
    typealias H = ServerHarness<ProfileMedium>

    /// Records every outbox event with its sensor's name (tests only: it allocates).
    struct RecordingConsumer: OutboxConsumer {
        var alerts: [(sensor: String, event: AlertEvent)] = []
        mutating func consume(_ event: OutboxEvent, sensor: SensorName) {
            if case .alert(let alert) = event {
                alerts.append((String(decoding: (0..<Int(sensor.count)).map { sensor[$0] }, as: UTF8.self), alert))
            }
        }
    }

    /// Appends every outbox event to the log, as the daemon's store does.
    struct LogConsumer: OutboxConsumer {
        var store: LogStore<PowerCutDevice>
        mutating func consume(_ event: OutboxEvent, sensor: SensorName) {
            switch event {
            case .reading(let reading): _ = try? store.append(reading: reading, name: sensor)
            case .alert(let alert): _ = try? store.append(alert: alert, name: sensor)
            }
        }
    }

    func healthyStore() -> ServerStoreStatus {
        var s = ServerStoreStatus()
        s.logEnabled = true
        s.logState = "ready"
        s.uplinkEnabled = true
        s.uplink.state = .up
        return s
    }

    /// The whole body of `path`, following Block2 (`/health` with the log, the uplink and the model
    /// takes more than one block).
    func json(_ h: H, _ path: String, mid: UInt16) throws -> [String: Any] {
        let payload = try ServerHealthTests.wholeBody(h, path: path)
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any], String(decoding: payload, as: UTF8.self))
    }

    func testRaisedAtTheFirstRefusalClearedAMinuteAfterTheLastOneEpisodePerBurst() throws {
        let h = H()
        var consumer = RecordingConsumer()
        func update(_ s: ServerStoreStatus, advanceMs: Int64) {
            h.nowMs += advanceMs
            h.server.updateStoreStatus(s, nowMs: h.nowMs)
            h.server.tick(nowMs: h.nowMs, into: &h.sink, consumer: &consumer)
        }
        var s = healthyStore()
        update(s, advanceMs: 0)
        XCTAssertTrue(consumer.alerts.isEmpty, "nothing refused, nothing raised")

        s.recordsRejected = 1
        update(s, advanceMs: 1_000)
        XCTAssertEqual(consumer.alerts.count, 1)
        let raised = try XCTUnwrap(consumer.alerts.first)
        XCTAssertEqual(raised.sensor, "node-1", "logged under the gateway's node id")
        XCTAssertTrue(raised.event.raised)
        XCTAssertEqual(raised.event.kind, .uplinkRejected)
        XCTAssertEqual(raised.event.severity, .major)
        XCTAssertEqual(raised.event.value, 1)
        XCTAssertEqual(raised.event.sensorSlot, AlertEvent.gatewaySlot)
        XCTAssertTrue(h.server.uplinkRejectionOpen)

        // Visible in /alerts (named by the node id, counted as active) and in /health's reasons.
        var alerts = try json(h, "alerts", mid: 100)
        XCTAssertEqual(alerts["active"] as? Int, 1)
        let newest = try XCTUnwrap((alerts["alerts"] as? [[String: Any]])?.first)
        XCTAssertEqual(newest["kind"] as? String, "uplink_rejected")
        XCTAssertEqual(newest["event"] as? String, "raised")
        XCTAssertEqual(newest["sensor"] as? String, "node-1")
        XCTAssertEqual(newest["severity"] as? String, "major")
        XCTAssertEqual(newest["value"] as? Int, 1)
        XCTAssertNil(newest["feature"] as? String)
        XCTAssertEqual(try json(h, "health", mid: 101)["reasons"] as? [String], ["records_rejected"])

        // More refusals within the minute: the same episode, no second raise.
        s.recordsRejected = 3
        update(s, advanceMs: 30_000)
        update(s, advanceMs: 29_000)
        XCTAssertEqual(consumer.alerts.count, 1)
        // A minute after the last refusal: cleared, as /health's reason lapses.
        update(s, advanceMs: 31_000)
        XCTAssertEqual(consumer.alerts.count, 2)
        let cleared = try XCTUnwrap(consumer.alerts.last)
        XCTAssertFalse(cleared.event.raised)
        XCTAssertEqual(cleared.event.kind, .uplinkRejected)
        XCTAssertEqual(cleared.event.value, 3, "records set aside since start")
        XCTAssertEqual(cleared.sensor, "node-1")
        XCTAssertFalse(h.server.uplinkRejectionOpen)
        alerts = try json(h, "alerts", mid: 102)
        XCTAssertEqual(alerts["active"] as? Int, 0)
        XCTAssertEqual(try json(h, "health", mid: 103)["status"] as? String, "ok")
        update(s, advanceMs: 120_000)
        XCTAssertEqual(consumer.alerts.count, 2, "quiet: nothing more")

        // A later refusal is a new episode.
        s.recordsRejected = 4
        update(s, advanceMs: 1_000)
        XCTAssertEqual(consumer.alerts.count, 3)
        XCTAssertEqual(consumer.alerts.last?.event.raised, true)
        XCTAssertEqual(consumer.alerts.last?.event.value, 4)
    }

    func testNoUplinkNoAlert() {
        let h = H()
        var consumer = RecordingConsumer()
        var s = healthyStore()
        s.uplinkEnabled = false
        s.recordsRejected = 5
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        h.server.tick(nowMs: h.nowMs, into: &h.sink, consumer: &consumer)
        XCTAssertTrue(consumer.alerts.isEmpty)
        XCTAssertFalse(h.server.uplinkRejectionOpen)
    }

    func testAnOpenAlertIsRestoredFromTheLogAndClearedAfterTheRestart() throws {
        let geometry = LogGeometry(segmentSizeBytes: 16_384, segmentCount: 8)!
        let disk = SimDisk(sizeBytes: LogFormat.reservedBytes + 8 * 16_384)
        let buffer = LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512) + 64)
        var consumer = LogConsumer(store: try openStore(disk, geometry: geometry, policy: .dropOldest, buffer: buffer))
        let h = H()
        var s = healthyStore()
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        s.recordsRejected = 2
        h.nowMs += 1_000
        h.server.updateStoreStatus(s, nowMs: h.nowMs)
        h.server.tick(nowMs: h.nowMs, into: &h.sink, consumer: &consumer)
        try consumer.store.commit()
        let alertsBefore = try json(h, "alerts", mid: 1)

        // A fresh server rebuilt from the log alone.
        let restartBuffer = LogArenaBuffer(sizeBytes: buffer.sizeBytes)
        var store = try openStore(disk, geometry: geometry, policy: .dropOldest, buffer: restartBuffer)
        let r = H(startMs: h.nowMs)
        var record = LogRecord()
        for pass in [Server<ProfileMedium>.RestorePass.copiedAlerts, .originals] {
            var reader = LogReader(from: store.oldestSequence)
            while try store.read(&reader, into: &record, through: store.lastWrittenSequence) {
                r.server.restore(record, pass: pass, nowMs: r.nowMs)
            }
        }
        XCTAssertTrue(r.server.uplinkRejectionOpen)
        XCTAssertEqual(r.server.pipeline.sensors.count, 0, "the gateway's alert takes no sensor slot")
        XCTAssertEqual(r.server.counters.restoreSkipped, 0)
        let alertsAfter = try json(r, "alerts", mid: 2)
        XCTAssertEqual(alertsAfter["active"] as? Int, 1)
        XCTAssertEqual(
            (alertsAfter["alerts"] as? [[String: Any]])?.first?["sensor"] as? String,
            (alertsBefore["alerts"] as? [[String: Any]])?.first?["sensor"] as? String)

        // No refusal is recent after a restart: the first status update clears it, once.
        var recording = RecordingConsumer()
        r.server.updateStoreStatus(healthyStore(), nowMs: r.nowMs)
        r.server.tick(nowMs: r.nowMs, into: &r.sink, consumer: &recording)
        r.nowMs += 5_000
        r.server.updateStoreStatus(healthyStore(), nowMs: r.nowMs)
        r.server.tick(nowMs: r.nowMs, into: &r.sink, consumer: &recording)
        XCTAssertEqual(recording.alerts.count, 1)
        XCTAssertEqual(recording.alerts.first?.event.raised, false)
        XCTAssertEqual(recording.alerts.first?.event.kind, .uplinkRejected)
        withExtendedLifetime((buffer, restartBuffer, store)) {}
    }
}
