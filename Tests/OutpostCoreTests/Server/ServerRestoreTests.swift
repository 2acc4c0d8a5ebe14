import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// State after a restart: a server rebuilt from the log shows the same `/sensors` and `/alerts` as
/// the one that wrote it, raises nothing again, and carries on from the restored alert state.
final class ServerRestoreTests: XCTestCase {
    typealias H = ServerHarness<ProfileMedium>

    /// Appends every outbox event to the log, as the daemon's store does.
    struct LogConsumer: OutboxConsumer {
        var store: LogStore<PowerCutDevice>
        var alerts = 0
        mutating func consume(_ event: OutboxEvent, sensor: SensorName) {
            switch event {
            case .reading(let reading): _ = try? store.append(reading: reading, name: sensor)
            case .alert(let alert):
                alerts += 1
                _ = try? store.append(alert: alert, name: sensor)
            }
        }
    }

    let geometry = LogGeometry(segmentSizeBytes: 16_384, segmentCount: 8)!

    func post(_ h: H, _ sensor: String, _ records: String, mid: inout UInt16) {
        let pack = "[{\"bn\":\"\(sensor)/\"," + records.dropFirst(2)
        XCTAssertEqual(h.exchange(Request.post(pack, mid: mid), from: H.peer(Int(mid % 7)))?.code, .changed, pack)
        mid &+= 1
    }

    func body(_ h: H, _ path: String, mid: UInt16) throws -> [UInt8] {
        let reply = try XCTUnwrap(h.exchange(Request.make(mid: mid, path: path)))
        XCTAssertEqual(reply.code, .content)
        XCTAssertFalse(reply.has(.block2), "\(path) fits one datagram here")
        return reply.payload
    }

    func restoredServer(_ disk: SimDisk, buffer: LogArenaBuffer, at nowMs: Int64) throws -> H {
        var store = try openStore(disk, geometry: geometry, policy: .dropOldest, buffer: buffer)
        let h = H(startMs: nowMs)
        var record = LogRecord()
        for pass in [Server<ProfileMedium>.RestorePass.copiedAlerts, .originals] {
            var reader = LogReader(from: store.oldestSequence)
            while try store.read(&reader, into: &record, through: store.lastWrittenSequence) {
                h.server.restore(record, pass: pass, nowMs: nowMs)
            }
        }
        return h
    }

    func testRestartShowsTheSameSensorsAndAlertsAndRaisesNothingAgain() throws {
        let disk = SimDisk(sizeBytes: LogFormat.reservedBytes + 8 * 16_384)
        let buffer = LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512) + 64)
        var consumer = LogConsumer(store: try openStore(disk, geometry: geometry, policy: .dropOldest, buffer: buffer))
        let h = H()
        var mid: UInt16 = 1
        func tick(_ ms: Int64) {
            h.nowMs += ms
            h.server.tick(nowMs: h.nowMs, into: &h.sink, consumer: &consumer)
        }
        // hot: too warm, a threshold alert stays open; batt: low battery raised then cleared;
        // quiet: one reading, then silence until it is offline; calm: never in trouble.
        for step in 0..<14 {
            post(h, "hot", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":\(step < 2 ? 22 : 47)}]", mid: &mid)
            post(h, "batt", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21},{\"n\":\"battery\",\"u\":\"%EL\",\"v\":\(step < 6 ? 12 : 60)}]", mid: &mid)
            post(h, "calm", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20.5}]", mid: &mid)
            if step == 0 { post(h, "quiet", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":19}]", mid: &mid) }
            tick(30_000)
        }
        tick(1_000)
        XCTAssertTrue(h.server.pipeline.alerts.isActive(.threshold, sensor: 0), "hot")
        XCTAssertFalse(h.server.pipeline.alerts.isActive(.lowBattery, sensor: 1), "batt cleared")
        XCTAssertTrue(h.server.pipeline.alerts.isActive(.offline, sensor: 3), "quiet")
        XCTAssertGreaterThanOrEqual(consumer.alerts, 4)
        let sensorsBefore = try body(h, "sensors", mid: 60_000)
        let alertsBefore = try body(h, "alerts", mid: 60_001)
        let hotBefore = try body(h, "sensors/hot", mid: 60_002)
        try consumer.store.commit()

        // Restart at the same moment: a fresh server, rebuilt from the log alone.
        let restartBuffer = LogArenaBuffer(sizeBytes: buffer.sizeBytes)
        let r = try restoredServer(disk, buffer: restartBuffer, at: h.nowMs)
        r.nowMs = h.nowMs
        XCTAssertEqual(String(decoding: try body(r, "sensors", mid: 1), as: UTF8.self), String(decoding: sensorsBefore, as: UTF8.self))
        XCTAssertEqual(String(decoding: try body(r, "alerts", mid: 2), as: UTF8.self), String(decoding: alertsBefore, as: UTF8.self))
        let hot = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try body(r, "sensors/hot", mid: 3))) as? [String: Any])
        let hotOld = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(hotBefore)) as? [String: Any])
        XCTAssertEqual(hot["values"] as? [String: Double], hotOld["values"] as? [String: Double])
        XCTAssertEqual(hot["alerts"] as? [String], ["threshold"])
        XCTAssertEqual(r.server.counters.restoreSkipped, 0)

        // Nothing raised again, not even by the ticks of the next minutes ...
        let afterBuffer = LogArenaBuffer(sizeBytes: buffer.sizeBytes)
        var after = LogConsumer(store: try openStore(SimDisk(sizeBytes: LogFormat.reservedBytes + 8 * 16_384), geometry: geometry, policy: .dropOldest, buffer: afterBuffer))
        for _ in 0..<20 {
            r.nowMs += 10_000
            r.server.tick(nowMs: r.nowMs, into: &r.sink, consumer: &after)
            var m = mid
            post(r, "hot", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":47}]", mid: &m)
            post(r, "calm", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20.5}]", mid: &m)
            post(r, "batt", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21},{\"n\":\"battery\",\"u\":\"%EL\",\"v\":60}]", mid: &m)
            mid = m
        }
        XCTAssertEqual(after.alerts, 0, "the open alerts were restored, not raised again")
        XCTAssertEqual(r.server.pipeline.counters.alertsRaised, 0)
        // ... and the restored state carries on: the quiet sensor's next reading clears its offline
        // alert, the hot one cools down and its threshold alert clears.
        post(r, "quiet", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":19}]", mid: &mid)
        for _ in 0..<4 { post(r, "hot", "[{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21}]", mid: &mid) }
        r.server.tick(nowMs: r.nowMs, into: &r.sink, consumer: &after)
        XCTAssertEqual(r.server.pipeline.counters.alertsCleared, 2)
        XCTAssertEqual(r.server.pipeline.counters.alertsRaised, 0)
        withExtendedLifetime((buffer, restartBuffer, afterBuffer)) {}
    }

    func testCopiedAlertsAreReplayedBeforeTheRest() throws {
        // A full drop-oldest log copies an unforwarded raise forward: it sits after its own clear.
        let h = H()
        let name = SensorName("s")
        let raised = AlertEvent(raised: true, kind: .lowBattery, severity: .warning, sensorSlot: 9, feature: nil, value: 10_000, threshold: 20_000, confidenceQ16: 0, timestampMs: 1_000)
        var record = LogRecord()
        func make(_ event: AlertEvent, copied: Bool) -> LogRecord {
            let payload = LogAlertPayload(name: name, alert: event)
            var r = LogRecord()
            r.type = payload.recordType
            r.flags = copied ? LogFormat.flagCopied : 0
            r.timestampMs = event.timestampMs
            r.payloadCount = withUnsafeMutableBytes(of: &r.payload) { payload.encode(into: $0) }
            return r
        }
        var cleared = raised
        cleared.raised = false
        cleared.timestampMs = 2_000
        let log = [make(cleared, copied: false), make(raised, copied: true)]
        for pass in [Server<ProfileMedium>.RestorePass.copiedAlerts, .originals] {
            for r in log { h.server.restore(r, pass: pass, nowMs: 5_000) }
        }
        XCTAssertFalse(h.server.pipeline.alerts.isActive(.lowBattery, sensor: 0), "the clear came after the copied raise")
        XCTAssertEqual(h.server.alertHistory.count, 2)
        XCTAssertEqual(h.server.alertHistory.event(sequence: 1)?.raised, false, "history in the order they happened")
        XCTAssertEqual(h.server.alertHistory.event(sequence: 0)?.sensorSlot, 0, "slot of this process, not the logged one")
        // Undecodable records and a full sensor table are skipped and counted.
        record.type = .reading
        record.payloadCount = 1
        h.server.restore(record, pass: .originals, nowMs: 5_000)
        XCTAssertEqual(h.server.counters.restoreSkipped, 1)
    }
}
