import OutpostCore
import XCTest

/// Quick return after an outage: while the link is down the uplink pings the upstream (an empty
/// CON, RFC 7252 §4.3) every 1–2 s during its backoffs, and the first answer ends the backoff;
/// pings never go while an exchange is outstanding (NSTART = 1), so an unanswered exchange is
/// given up early instead. The first forward follows the upstream's return within about 3 s,
/// whatever the backoff had grown to. The rate limit is untouched.
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

    func testFirstForwardWithinThreeSecondsOfTheReturnAfterLongOutages() {
        for outageMs: Int64 in [10_000, 60_000, 94_000, 300_000, 1_800_000] {
            for seed: UInt64 in 1...5 {
                let h = UplinkHarness { $0.seed = seed }
                h.appendReadings(3)
                h.tick()
                let delay = outage(h, outageMs: outageMs)
                XCTAssertNotNil(delay)
                // A ping interval (1–2 s) in a backoff, or a batch's single timeout (2–3 s) then a
                // ping at once; plus the tick step.
                XCTAssertLessThanOrEqual(delay ?? .max, 3_050, "outage \(outageMs) ms, seed \(seed)")
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
        XCTAssertGreaterThan(delay ?? 0, 3_050)
        XCTAssertEqual(h.uplink.counters.probesSent, 0)
    }

    func testPingsAreEmptyConfirmablesEveryOneToTwoSecondsAndNeverWhileAnExchangeIsOutstanding() throws {
        let h = UplinkHarness { $0.seed = 9 }
        h.appendReadings(2)
        h.server.policy = { _ in .drop }
        h.run(untilMs: h.nowMs + 300_000, stepMs: 10)
        XCTAssertGreaterThan(h.pingsSent.count, 100)
        let posts = h.sent.filter { $0.reply.code == .post }.map(\.ms)
        for (index, ping) in h.pingsSent.enumerated() {
            // NSTART = 1: the last POST before a ping had timed out (at least ACK_TIMEOUT before).
            if let lastPost = posts.last(where: { $0 <= ping }) {
                XCTAssertGreaterThanOrEqual(ping - lastPost, 2_000, "ping at \(ping) while the POST of \(lastPost) was outstanding")
            }
            // Between two pings with no POST between them: 1–2 s (10 ms ticks).
            if index > 0 {
                let previous = h.pingsSent[index - 1]
                if !posts.contains(where: { $0 > previous && $0 <= ping }) {
                    XCTAssertTrue((1_000...2_010).contains(ping - previous), "gap \(ping - previous)")
                }
            }
        }
        // The first exchange (link up) gets one retransmission, later ones (link known down) none.
        XCTAssertEqual(posts.count, Set(posts).count)
        let transmissionsPerToken = Dictionary(grouping: h.sent.filter { $0.reply.code == .post }, by: \.reply.token).mapValues(\.count)
        let firstToken = try XCTUnwrap(h.sent.first?.reply.token)
        XCTAssertEqual(transmissionsPerToken[firstToken], 2)
        XCTAssertTrue(transmissionsPerToken.filter { $0.key != firstToken }.values.allSatisfy { $0 == 1 }, "\(transmissionsPerToken)")
        XCTAssertGreaterThan(transmissionsPerToken.count, 5)
        for ping in h.server.pings {
            XCTAssertEqual(ping.type, .confirmable)
            XCTAssertEqual(ping.code, .empty)
            XCTAssertEqual(ping.token, [])
            XCTAssertEqual(ping.payload, [])
        }
        XCTAssertEqual(Set(h.server.pings.map(\.messageID)).count, h.server.pings.count, "a new message ID each")
        XCTAssertTrue(Set(h.server.pings.map(\.messageID)).isDisjoint(with: Set(h.sent.map(\.reply.messageID))))
        // Link up: pings stop.
        h.server.policy = { _ in .accept }
        XCTAssertNotNil(h.drain(to: 2, limitMs: 5_000))
        let count = h.pingsSent.count
        h.run(untilMs: h.nowMs + 30_000)
        XCTAssertEqual(h.pingsSent.count, count)
        XCTAssertEqual(h.uplink.state, .up)
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

    func testALateLossIsStillRetransmittedOnceWhileTheLinkIsUp() {
        // One lost datagram on a working link: the retransmission (not a failure) delivers it.
        let h = UplinkHarness { $0.seed = 5 }
        h.appendReadings(1)
        var lose = 1
        h.server.policy = { _ in
            if lose > 0 { lose -= 1; return .drop }
            return .accept
        }
        h.run(untilMs: h.nowMs + 5_000, stepMs: 10)
        XCTAssertEqual(h.uplink.cursor, 1)
        XCTAssertEqual(h.uplink.counters.retransmissions, 1)
        XCTAssertEqual(h.uplink.counters.timeouts, 0)
        XCTAssertEqual(h.pingsSent, [])
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
