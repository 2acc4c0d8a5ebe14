import OutpostCore
import XCTest

/// `/health`'s forward lag: the age of the oldest record after the cursor, right during any
/// outage, whichever path (alerts first, records) the uplink is on.
final class UplinkForwardLagTests: XCTestCase {
    func lag(_ h: UplinkHarness) -> Int64 {
        h.uplink.health(nowMs: h.nowMs, lastSequence: h.source.uplinkLastSequence).forwardLagMs
    }

    func testLagGrowsDuringAnOutageOnTheRecordsPath() {
        let h = UplinkHarness()
        h.server.policy = { _ in .drop }
        let first = h.nowMs
        h.append(TestRecords.reading(timestampMs: first))
        var next = first + 1_000
        h.run(untilMs: first + 94_000, stepMs: 100) {
            if h.nowMs >= next {
                h.append(TestRecords.reading(timestampMs: h.nowMs))
                next += 1_000
            }
        }
        XCTAssertEqual(lag(h), 94_000)
        XCTAssertGreaterThan(h.uplink.health(nowMs: h.nowMs, lastSequence: h.source.uplinkLastSequence).backlogRecords, 90)
    }

    func testLagIsRightWhenOnlyAlertBatchesWereTried() {
        // Alerts first: the failing batches are alert batches, the records path never ran.
        let h = UplinkHarness()
        h.server.policy = { _ in .drop }
        let first = h.nowMs
        h.append(TestRecords.reading(timestampMs: first))
        h.append(TestRecords.alert(timestampMs: first + 500))
        var next = first + 5_000
        h.run(untilMs: first + 94_000, stepMs: 100) {
            if h.nowMs >= next {
                h.append(TestRecords.alert(timestampMs: h.nowMs))
                next += 5_000
            }
        }
        XCTAssertTrue(h.server.requests.allSatisfy { r in
            (try? UplinkPackRecord.decodePack(r.payload))?.allSatisfy { $0.name?.contains("/alert/") == true } ?? true
        }, "only alert batches were sent")
        XCTAssertEqual(lag(h), 94_000)
    }

    func testLagIsRightWhenAlertsWereDeliveredAheadAndRecordsWait() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 4 }
        let first = h.nowMs
        h.append(TestRecords.reading(timestampMs: first))
        h.append(TestRecords.alert(timestampMs: first + 100))
        var alertsOnly = true
        h.server.policy = { r in
            guard alertsOnly else { return .drop }
            let records = (try? UplinkPackRecord.decodePack(r.payload)) ?? []
            return records.allSatisfy { $0.name?.contains("/alert/") == true } ? .accept : .drop
        }
        h.run(untilMs: first + 30_000)
        alertsOnly = false
        XCTAssertEqual(h.uplink.cursor, 0)
        XCTAssertEqual(lag(h), 30_000, "the reading before the delivered alert still waits")
    }

    func testLagIsZeroWithoutBacklogAndFollowsTheCursor() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 1 }
        XCTAssertEqual(lag(h), 0)
        h.appendReadings(3, stepMs: 10_000)  // at start, +10 s, +20 s
        h.nowMs += 25_000
        h.server.policy = { _ in .drop }
        h.tick()
        XCTAssertEqual(lag(h), 25_000)
        h.server.policy = { _ in .accept }
        // Deliver the first record only: the oldest pending is now the second (start + 10 s).
        let ack = Request.make(.acknowledgement, .changed, mid: h.sent.last!.reply.messageID, token: h.sent.last!.reply.token)
        ack.withUnsafeBytes { h.uplink.receive($0, from: UplinkHarness.upstream, nowMs: h.nowMs, source: &h.source, sink: &h.sink) }
        h.sink.sent.removeAll()
        h.uplink.tick(nowMs: h.nowMs, source: &h.source, sink: &h.sink)
        XCTAssertEqual(h.uplink.cursor, 1)
        XCTAssertEqual(lag(h), 15_000)
        XCTAssertNotNil(h.drain(to: 3))
        XCTAssertEqual(lag(h), 0)
    }
}
