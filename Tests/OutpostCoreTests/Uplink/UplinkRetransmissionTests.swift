import OutpostCore
import XCTest

/// RFC 7252 retransmission, backoff, outages and the drain rate, with a fake clock and the seeded
/// jitter replayed exactly; Block1 splitting.
final class UplinkRetransmissionTests: XCTestCase {
    func testRetransmissionTimesAreExactThenBackoff() {
        // Probing off: this is the timing of RFC 7252 alone (pings: UplinkProbeTests).
        let h = UplinkHarness { $0.seed = 7; $0.probeIntervalMs = 0 }
        h.appendReadings(1)
        h.server.policy = { _ in .drop }
        let start = h.nowMs
        // Replay the uplink's random stream: the batch token, then the timeout jitter.
        var random = UplinkRandom(seed: 7)
        _ = random.next()
        let timeout = 2_000 + random.upTo(1_000)
        XCTAssertTrue((2_000...3_000).contains(timeout))
        h.run(untilMs: start + 31 * timeout)
        let times = h.sent.map { $0.ms - start }
        XCTAssertEqual(times, [0, timeout, 3 * timeout, 7 * timeout, 15 * timeout], "ACK_TIMEOUT doubling, MAX_RETRANSMIT = 4")
        // Every transmission is the same message (same ID, same bytes).
        XCTAssertEqual(Set(h.sent.map { $0.reply.bytes }).count, 1)
        XCTAssertEqual(h.uplink.counters.retransmissions, 4)
        XCTAssertEqual(h.uplink.counters.timeouts, 1)
        XCTAssertEqual(h.uplink.state, .backoff)
        // First backoff: base 1 s, equal jitter.
        let backoff = 1_000 - 500 + random.upTo(500)
        XCTAssertEqual(h.uplink.wakeDeadlineMs(nowMs: h.nowMs), start + 31 * timeout + backoff)
    }

    func testBackoffDoublesUpToTheCapAndStateShowsIt() {
        let h = UplinkHarness { $0.seed = 3; $0.maxRetransmit = 0; $0.ackTimeoutMs = 1_000; $0.ackRandomFactorMilli = 1_000; $0.backoffBaseMs = 2_000; $0.backoffCapMs = 16_000; $0.probeIntervalMs = 0 }
        h.appendReadings(1)
        h.server.policy = { _ in .drop }
        var states: [UplinkLinkState] = []
        var delays: [Int64] = []
        h.tick()
        XCTAssertEqual(h.uplink.state, .up)
        for _ in 0..<7 {
            // One exchange: sent, no answer within 1 s, then a backoff.
            let sentAt = h.sent.last!.ms
            h.nowMs = sentAt + 1_000
            h.tick()
            states.append(h.uplink.state)
            let deadline = h.uplink.wakeDeadlineMs(nowMs: h.nowMs)!
            delays.append(deadline - h.nowMs)
            h.nowMs = deadline
            h.tick()
            states.append(h.uplink.state)
        }
        XCTAssertEqual(states, Array(repeating: [UplinkLinkState.backoff, .down], count: 7).flatMap { $0 })
        let caps: [Int64] = [2_000, 4_000, 8_000, 16_000, 16_000, 16_000, 16_000]
        for (delay, cap) in zip(delays, caps) {
            XCTAssertTrue(delay >= cap / 2 && delay <= cap, "delay \(delay) for cap \(cap)")
        }
        XCTAssertEqual(Set(delays).count, delays.count, "jittered: \(delays)")
        // Recovery: the next answer brings the link up and resets the backoff.
        h.server.policy = { _ in .accept }
        h.drain(to: 1)
        XCTAssertEqual(h.uplink.state, .up)
    }

    func testOutageThenDrainAtTheConfiguredRate() {
        let rate: Int64 = 20
        let h = UplinkHarness { $0.rateRecordsPerS = 20; $0.burstRecords = 10; $0.maxRecordsPerBatch = 10; $0.backoffCapMs = 4_000 }
        var linkUp = false
        h.server.policy = { _ in linkUp ? .accept : .drop }
        // 100 s of outage while one reading per 100 ms arrives.
        let start = h.nowMs
        for i in 0..<1_000 {
            h.append(TestRecords.reading(timestampMs: start + Int64(i) * 100))
            h.nowMs = start + Int64(i) * 100
            h.tick()
        }
        XCTAssertEqual(h.uplink.cursor, 0)
        XCTAssertEqual(h.uplink.health(nowMs: h.nowMs, lastSequence: 1_000).backlogRecords, 1_000)
        linkUp = true
        // The link comes back; the uplink notices at its next retry (≤ the 4 s cap) and drains.
        let up = h.nowMs
        var firstAckMs: Int64? = nil
        var worst: Int64 = 0
        let taken = h.drain(to: 1_000, limitMs: 600_000, stepMs: 10)
        XCTAssertNotNil(taken)
        for (ms, request) in h.sent where ms >= up {
            _ = request
            if firstAckMs == nil { firstAckMs = ms }
        }
        let first = firstAckMs!
        XCTAssertLessThanOrEqual(first - up, 4_000 + 3_000 * 31, "retry within a backoff period")
        // Records forwarded by time t after the first send are ≤ the batch that was in flight when
        // the link came back + a full bucket + rate × t.
        var forwarded: Int64 = 0
        for pack in h.server.packs {
            forwarded += Int64(Set(pack.compactMap(\.sequence)).count)
        }
        let drainMs = h.nowMs - first
        worst = forwarded - (10 + 10 + rate * drainMs / 1_000)
        XCTAssertLessThanOrEqual(worst, 0, "drained faster than the rate")
        // And no slower than the rate allows (tick granularity 10 ms, batches of 10).
        let ideal = (1_000 - 20) * 1_000 / rate
        XCTAssertGreaterThanOrEqual(drainMs, ideal - 500)
        XCTAssertLessThanOrEqual(drainMs, ideal + 1_000)
        XCTAssertEqual(Set(h.receivedSequences.keys).count, 1_000)
    }

    func testDuplicatesOnlyForUnacknowledgedBatches() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 7; $0.seed = 11; $0.maxRetransmit = 1; $0.probeIntervalMs = 0 }
        var random = UplinkRandom(seed: 99)
        // Lose about a third of the answers: some batches are retried after a failed exchange.
        h.server.policy = { _ in random.upTo(2) == 0 ? .loseAnswer : .accept }
        for round in 0..<40 {
            h.appendReadings(5)
            if round % 9 == 0 { h.append(TestRecords.alert()) }
            h.run(untilMs: h.nowMs + 2_000)
        }
        h.server.policy = { _ in .accept }
        let last = h.source.uplinkLastSequence
        XCTAssertNotNil(h.drain(to: last))
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(1...last), "at-least-once: everything arrived")
        let duplicated = Set(h.receivedSequences.filter { $0.value > 1 }.keys)
        XCTAssertFalse(duplicated.isEmpty, "the scenario must produce failed exchanges")
        XCTAssertTrue(duplicated.isSubset(of: h.server.unacknowledgedSequences), "a duplicate only for a batch whose answer was lost")
        XCTAssertGreaterThan(h.uplink.counters.timeouts, 0)
    }

    func testLargeBatchIsSplitIntoBlock1Messages() throws {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 32 }
        for i in 0..<32 {
            h.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1_250,
                features: [(.temperature, 21_001), (.humidity, 40_001), (.pressure, 1_000_001), (.vibration, 1), (.power, 3)], batteryMilliPercent: 90_001))
        }
        h.drain(to: 32)
        XCTAssertEqual(h.server.packs.count, 1)
        let pack = h.server.packBytes[0]
        let blocks = h.sent.map(\.reply)
        XCTAssertEqual(blocks.count, (pack.count + 1_023) / 1_024)
        XCTAssertGreaterThan(blocks.count, 5)
        var body: [UInt8] = []
        for (index, request) in blocks.enumerated() {
            let block = try CoAPBlock(value: XCTUnwrap(request.uint(.block1)))
            XCTAssertEqual(block.number, UInt32(index))
            XCTAssertEqual(block.sizeExponent, 6)
            XCTAssertEqual(block.more, index < blocks.count - 1)
            XCTAssertEqual(request.uint(.size1), index == 0 ? UInt32(pack.count) : nil)
            XCTAssertLessThanOrEqual(request.payload.count, 1_024)
            XCTAssertLessThanOrEqual(request.bytes.count, 1_024 + 64)
            body += request.payload
        }
        XCTAssertEqual(body, pack)
        XCTAssertEqual(Set(blocks.map(\.messageID)).count, blocks.count, "one message ID per block")
        XCTAssertEqual(Set(blocks.map(\.token)).count, 1, "one token per batch")
        // The whole pack is read by the core's decoder.
        let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: 64)
        defer { readings.deallocate() }
        let result = try pack.withUnsafeBytes { try SenMLDecoder.decodeCBOR($0, nowMs: 0, into: readings) }
        XCTAssertEqual(result.readingCount, 32)
    }

    func testServerAskingForSmallerBlocksGetsThem() throws {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 16 }
        for _ in 0..<16 { h.append(TestRecords.reading(features: [(.temperature, 21_001), (.humidity, 40_001), (.power, 3)])) }
        // Answer the first block with 2.31 and Block1 SZX 4 (256 bytes).
        var first = true
        let upstream = h.server
        h.server.policy = { request in
            if first {
                first = false
                return .accept
            }
            return .accept
        }
        h.uplink.tick(nowMs: h.nowMs, source: &h.source, sink: &h.sink)
        let request = Reply(h.sink.sent.removeFirst().1)
        _ = upstream
        let block0 = try CoAPBlock(value: XCTUnwrap(request.uint(.block1)))
        XCTAssertEqual(block0.sizeExponent, 6)
        let answer = Request.make(.acknowledgement, .continue, mid: request.messageID, token: request.token,
            options: [Request.uint(.block1, CoAPBlock(number: 0, more: true, sizeExponent: 4).value)])
        answer.withUnsafeBytes { h.uplink.receive($0, from: UplinkHarness.upstream, nowMs: h.nowMs, source: &h.source, sink: &h.sink) }
        let next = Reply(h.sink.sent.removeFirst().1)
        let block = try CoAPBlock(value: XCTUnwrap(next.uint(.block1)))
        XCTAssertEqual(block.sizeExponent, 4)
        XCTAssertEqual(block.number, 4, "1024 bytes sent = four 256-byte blocks")
        XCTAssertEqual(next.payload.count, 256)
    }
}
