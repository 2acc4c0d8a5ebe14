import OutpostCore
import XCTest

/// The uplink reading a real `LogStore` (in-memory device): order, alerts first, durable-only.
final class UplinkLogSourceTests: XCTestCase {
    func testUplinkForwardsTheLogInOrderWithAlertsFirst() throws {
        let buffer = LogArenaBuffer(sizeBytes: 1 << 20)
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        var store = try openStore(disk, buffer: buffer)
        var appendedAlerts: [UInt64] = []
        for i in 0..<40 {
            let reading = TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1_000).reading!
            _ = try store.append(reading: reading.reading, name: reading.name)
            if i % 13 == 12 {
                let alert = TestRecords.alert(timestampMs: TestRecords.startMs + Int64(i) * 1_000).alert!
                appendedAlerts.append(try store.append(alert: alert.alert, name: alert.name))
            }
        }
        var source = UplinkLogSource(store: store, durableOnly: true)
        XCTAssertEqual(source.uplinkLastSequence, 0, "nothing durable before the commit")
        _ = try source.store.commit()
        let last = source.uplinkLastSequence
        XCTAssertEqual(last, 43)

        var record = LogRecord()
        XCTAssertEqual(source.uplinkRead(after: 0, alertsOnly: true, budget: 100, into: &record), .found)
        XCTAssertEqual(record.sequence, appendedAlerts[0])
        XCTAssertEqual(source.uplinkRead(after: record.sequence, alertsOnly: true, budget: 100, into: &record), .found)
        XCTAssertEqual(record.sequence, appendedAlerts[1])
        XCTAssertEqual(source.uplinkRead(after: 0, alertsOnly: false, budget: 1, into: &record), .found)
        XCTAssertEqual(record.sequence, 1)
        XCTAssertEqual(source.uplinkRead(after: last, alertsOnly: false, budget: 1, into: &record), .none(through: last))

        let h = UplinkHarness { $0.maxRecordsPerBatch = 10 }
        var sink = RecordingSink()
        let server = FakeUpstream()
        var uplink = h.uplink
        // Serve until the cursor reaches the end (each tick forwards a batch or more).
        for _ in 0..<100 where uplink.cursor < last {
            uplink.tick(nowMs: h.nowMs, source: &source, sink: &sink)
            for _ in 0..<100 where !sink.sent.isEmpty {
                let out = sink.sent
                sink.sent.removeAll()
                for (_, bytes) in out {
                    for answer in server.handle(bytes) {
                        answer.withUnsafeBytes { uplink.receive($0, from: UplinkHarness.upstream, nowMs: h.nowMs, source: &source, sink: &sink) }
                    }
                }
            }
            if let cursor = uplink.takeCursorUpdate() { source.store.setCursor(cursor) }
        }
        XCTAssertEqual(uplink.cursor, last)
        XCTAssertEqual(source.store.cursor, last)
        XCTAssertEqual(Set(server.packs[0].compactMap(\.sequence)), Set(appendedAlerts))
        XCTAssertEqual(Set(server.received.keys), Set(1...last))
        XCTAssertTrue(server.received.values.allSatisfy { $0 == 1 })
    }

    func testACopiedAlertIsSentUnderItsOriginalSequence() throws {
        let buffer = LogArenaBuffer(sizeBytes: 1 << 20)
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        // Alerts early, then enough readings (nothing forwarded) that drop-oldest copies them.
        var originalByTime: [Int64: UInt64] = [:]
        for i in 0..<600 {
            let timestamp = TestRecords.startMs + Int64(i) * 1_000
            if i < 20 && i % 5 == 0 {
                let alert = TestRecords.alert(timestampMs: timestamp).alert!
                // A kind per alert: a drop carries only the newest alert of each sensor and kind.
                var event = alert.alert
                event.kind = AlertKind(rawValue: UInt8(i / 5))!
                originalByTime[timestamp] = try store.append(alert: event, name: alert.name)
            } else {
                let reading = TestRecords.reading(timestampMs: timestamp).reading!
                _ = try store.append(reading: reading.reading, name: reading.name)
            }
            if i % 20 == 19 { _ = try store.commit() }
        }
        _ = try store.commit()
        let logAlerts = try readAll(&store).filter { $0.type.isAlert }
        XCTAssertEqual(logAlerts.count, 4)
        XCTAssertTrue(logAlerts.allSatisfy(\.isCopied), "the originals were dropped")

        var source = UplinkLogSource(store: store, durableOnly: true)
        let last = source.uplinkLastSequence
        let h = UplinkHarness { $0.maxRecordsPerBatch = 10 }
        var sink = RecordingSink()
        let server = FakeUpstream()
        var uplink = h.uplink
        for _ in 0..<200 where uplink.cursor < last {
            uplink.tick(nowMs: h.nowMs, source: &source, sink: &sink)
            for _ in 0..<100 where !sink.sent.isEmpty {
                let out = sink.sent
                sink.sent.removeAll()
                for (_, bytes) in out {
                    for answer in server.handle(bytes) {
                        answer.withUnsafeBytes { uplink.receive($0, from: UplinkHarness.upstream, nowMs: h.nowMs, source: &source, sink: &sink) }
                    }
                }
            }
            if let cursor = uplink.takeCursorUpdate() { source.store.setCursor(cursor) }
        }
        // The cursor moves by log sequence, through the copies' own sequences.
        XCTAssertEqual(uplink.cursor, last)
        XCTAssertEqual(source.store.cursor, last)
        // The alert records on the wire (decoded from the CBOR packs) carry the originals' `seq`.
        let wireAlerts = server.packs.joined().filter { $0.name?.contains("/alert/") == true && $0.stringValue != nil }
        XCTAssertEqual(wireAlerts.count, 4)
        for record in wireAlerts {
            let seconds = try XCTUnwrap(record.time)
            let sequence = try XCTUnwrap(record.sequence)
            XCTAssertEqual(sequence, originalByTime[Int64(seconds * 1_000)], "alert at \(seconds) s")
        }
        XCTAssertEqual(Set(wireAlerts.compactMap(\.sequence)), Set(logAlerts.map(\.originalSequence)))
        XCTAssertTrue(Set(wireAlerts.compactMap(\.sequence)).isDisjoint(with: Set(logAlerts.map(\.sequence))))
    }
}
