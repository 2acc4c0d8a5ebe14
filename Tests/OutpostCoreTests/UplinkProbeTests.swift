import OutpostCore
import XCTest

/// Quick return after an outage: while the link is down the uplink pings the upstream (an empty
/// CON, RFC 7252 §4.3) every 1–2 s, and the first answer ends the backoff (or restarts a block's
/// retransmission timer), so the first forward follows the upstream's return within a ping
/// interval, whatever the backoff had grown to. The rate limit is untouched.
final class UplinkProbeTests: XCTestCase {
    /// Runs an outage of `outageMs` from now with readings arriving every second; returns the time
    /// from the upstream's return to the first acknowledged batch.
    func outage(_ h: UplinkHarness, outageMs: Int64) -> Int64? {
        var linkUp = false
        h.server.policy = { _ in linkUp ? .accept : .drop }
        let backAt = h.nowMs + outageMs
        var nextReading = h.nowMs
        let before = h.uplink.counters.batchesAcknowledged
        h.run(untilMs: backAt, stepMs: 50) {
            if h.nowMs >= nextReading {
                h.appendReadings(1)
                nextReading += 1_000
            }
        }
        linkUp = true
        let start = h.nowMs
        for _ in 0..<100_000 where h.uplink.counters.batchesAcknowledged == before {
            var next = h.nowMs + 50
            if let deadline = h.uplink.wakeDeadlineMs(nowMs: h.nowMs), deadline > h.nowMs { next = min(next, deadline) }
            h.nowMs = next
            h.tick()
            if h.nowMs - start > 600_000 { return nil }
        }
        return h.nowMs - start
    }

    func testFirstForwardWithinTwoSecondsOfTheReturnAfterLongOutages() {
        for outageMs: Int64 in [10_000, 60_000, 94_000, 300_000, 1_800_000] {
            for seed: UInt64 in 1...5 {
                let h = UplinkHarness { $0.seed = seed }
                h.appendReadings(3)
                h.tick()
                let delay = outage(h, outageMs: outageMs)
                XCTAssertNotNil(delay)
                // One ping interval at most (1 s + up to 1 s jitter), plus the tick step.
                XCTAssertLessThanOrEqual(delay ?? .max, 2_050, "outage \(outageMs) ms, seed \(seed)")
                XCTAssertGreaterThan(h.uplink.counters.probesSent, 0)
                let last = h.source.uplinkLastSequence
                XCTAssertNotNil(h.drain(to: last))
                XCTAssertEqual(Set(h.receivedSequences.keys), Set(1...last), "nothing lost")
            }
        }
    }

    func testWithoutPingsTheReturnIsNoticedOnlyWhenTheBackoffEnds() {
        // The same 94 s outage with probing off: the first forward waits for the backoff, which
        // is what the pings fix (the comparison shows the test measures something).
        let h = UplinkHarness { $0.seed = 3; $0.probeIntervalMs = 0 }
        h.appendReadings(3)
        h.tick()
        let delay = outage(h, outageMs: 94_000)
        XCTAssertGreaterThan(delay ?? 0, 2_050)
        XCTAssertEqual(h.uplink.counters.probesSent, 0)
    }

    func testPingsAreEmptyConfirmablesEveryOneToTwoSecondsOnlyWhileTheLinkIsDown() throws {
        let h = UplinkHarness { $0.seed = 9 }
        h.appendReadings(2)
        h.server.policy = { _ in .drop }
        h.run(untilMs: h.nowMs + 120_000, stepMs: 10)
        XCTAssertGreaterThan(h.pingsSent.count, 50)
        let gaps = zip(h.pingsSent.dropFirst(), h.pingsSent).map { $0 - $1 }
        XCTAssertTrue(gaps.allSatisfy { (1_000...2_010).contains($0) }, "\(gaps)")
        // The first ping follows the first unanswered block's retransmission, not its send.
        let firstBlock = try XCTUnwrap(h.sent.first?.ms)
        let firstRetransmission = try XCTUnwrap(h.sent.dropFirst().first?.ms)
        XCTAssertGreaterThan(try XCTUnwrap(h.pingsSent.first), firstRetransmission - 1)
        XCTAssertGreaterThan(firstRetransmission, firstBlock)
        for ping in h.server.pings {
            XCTAssertEqual(ping.type, .confirmable)
            XCTAssertEqual(ping.code, .empty)
            XCTAssertEqual(ping.token, [])
            XCTAssertEqual(ping.payload, [])
        }
        XCTAssertEqual(Set(h.server.pings.map(\.messageID)).count, h.server.pings.count, "a new message ID each")
        // Link up: pings stop.
        h.server.policy = { _ in .accept }
        XCTAssertNotNil(h.drain(to: 2, limitMs: 5_000))
        let count = h.pingsSent.count
        h.run(untilMs: h.nowMs + 30_000)
        XCTAssertEqual(h.pingsSent.count, count)
    }

    func testNoPingsAfterARefusalOrA503() {
        // The upstream answered: there is nothing to probe, its own timing holds.
        let h = UplinkHarness()
        h.appendReadings(1)
        h.server.policy = { _ in .refuse(.serviceUnavailable, maxAgeS: 30) }
        h.run(untilMs: h.nowMs + 25_000)
        h.server.policy = { _ in .refuse(.internalServerError, maxAgeS: nil) }
        h.run(untilMs: h.nowMs + 60_000)
        XCTAssertEqual(h.pingsSent, [])
    }

    func testAPingAnswerDuringRetransmissionsResendsTheBlockAtOnceWithTheSameMessageID() {
        let h = UplinkHarness { $0.seed = 5 }
        h.appendReadings(1)
        var linkUp = false
        h.server.policy = { _ in linkUp ? .accept : .drop }
        h.run(untilMs: h.nowMs + 20_000, stepMs: 10)
        XCTAssertTrue(h.uplink.inFlight, "still retransmitting (timeouts 2–3, 4–6, 8–12 s ...)")
        let blockID = h.sent.last!.reply.messageID
        // The next wake-up is the next ping, not the next retransmission (seconds later).
        let wake = h.uplink.wakeDeadlineMs(nowMs: h.nowMs)!
        XCTAssertLessThanOrEqual(wake - h.nowMs, 2_000)
        linkUp = true
        let back = h.nowMs
        h.run(untilMs: h.nowMs + 2_100, stepMs: 10)
        XCTAssertEqual(h.uplink.cursor, 1, "delivered within a ping interval")
        let resend = h.sent.last!
        XCTAssertEqual(resend.reply.messageID, blockID, "a retransmission: the upstream deduplicates it")
        XCTAssertLessThanOrEqual(resend.ms - back, 2_000)
    }

    func testTheRateLimitStillHoldsAfterAReturn() {
        let h = UplinkHarness { $0.rateRecordsPerS = 10; $0.burstRecords = 10; $0.maxRecordsPerBatch = 10 }
        h.appendReadings(200)
        h.server.policy = { _ in .drop }
        h.run(untilMs: h.nowMs + 30_000)
        h.server.policy = { _ in .accept }
        let start = h.nowMs
        XCTAssertNotNil(h.drain(to: 200, limitMs: 60_000, stepMs: 10))
        // 200 records at 10/s after a full bucket of 10: about 19 s, not less.
        XCTAssertGreaterThanOrEqual(h.nowMs - start, 18_000)
    }
}
