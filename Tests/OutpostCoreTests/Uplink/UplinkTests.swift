import OutpostCore
import XCTest

/// The uplink state machine against a fake upstream with a fake clock: batching, alerts first,
/// cursor movement, forward modes, responses of every kind.
final class UplinkTests: XCTestCase {
    func testBatchesAreBoundedAndTheCursorMovesOnlyOnAcknowledgement() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 4 }
        h.appendReadings(10)
        h.server.policy = { _ in .drop }
        h.run(untilMs: h.nowMs + 1_000)
        XCTAssertEqual(h.uplink.cursor, 0, "nothing acknowledged, nothing passed")
        XCTAssertEqual(h.cursorUpdates, [])
        XCTAssertEqual(h.sent.count, 1, "one batch in flight, not yet retransmitted")

        h.server.policy = { _ in .accept }
        XCTAssertNotNil(h.drain(to: 10, limitMs: 100_000))
        XCTAssertEqual(h.uplink.cursor, 10)
        XCTAssertEqual(h.cursorUpdates.last, 10)
        XCTAssertEqual(h.server.packs.map { Set($0.compactMap(\.sequence)).sorted() }, [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]])
        XCTAssertEqual(h.uplink.counters.batchesAcknowledged, 3)
        XCTAssertEqual(h.uplink.counters.recordsForwarded, 10)
        // Every datagram is a CON POST to /ingest/senml in SenML-CBOR.
        for (_, request) in h.sent {
            XCTAssertEqual(request.type, .confirmable)
            XCTAssertEqual(request.code, .post)
            XCTAssertEqual(request.options.filter { $0.number == 11 }.map { String(decoding: $0.value, as: UTF8.self) }, ["ingest", "senml"])
            XCTAssertEqual(request.uint(.contentFormat), 112)
        }
    }

    func testCursorUpdatesAreReportedOncePerMove() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 2 }
        h.appendReadings(4)
        h.uplink.tick(nowMs: h.nowMs, source: &h.source, sink: &h.sink)
        XCTAssertNil(h.uplink.takeCursorUpdate(), "sent, not yet acknowledged")
        h.pump()
        XCTAssertEqual(h.cursorUpdates, [4], "two batches acknowledged within one pump: the latest cursor")
        XCTAssertNil(h.uplink.takeCursorUpdate())
    }

    func testAlertsGoFirstAndAreNotSentTwice() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 8 }
        h.appendReadings(20)
        h.append(TestRecords.alert())  // 21
        h.appendReadings(5)
        h.append(TestRecords.alert(raised: false))  // 27
        h.drain(to: 27)
        let firstPack = Set(h.server.packs[0].compactMap(\.sequence))
        XCTAssertEqual(firstPack, [21, 27], "the alert backlog goes first, in one batch")
        XCTAssertEqual(h.receivedSequences.count, 27)
        XCTAssertTrue(h.receivedSequences.values.allSatisfy { $0 == 1 }, "\(h.receivedSequences.filter { $0.value > 1 })")
        XCTAssertEqual(h.uplink.cursor, 27)
    }

    func testAnAlertArrivingDuringABacklogOvertakesIt() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 5 }
        h.appendReadings(30)
        h.tick()  // first batch 1...5 acknowledged, next batch sent at once
        XCTAssertGreaterThanOrEqual(h.uplink.cursor, 5)
        h.server.packs.removeAll()
        let alert = h.append(TestRecords.alert())
        h.drain(to: alert)
        XCTAssertEqual(h.server.packs.first.map { Set($0.compactMap(\.sequence)) }, [alert])
        XCTAssertEqual(h.receivedSequences.count, Int(alert))
        XCTAssertTrue(h.receivedSequences.values.allSatisfy { $0 == 1 })
    }

    func testSummariesModeSkipsReadingsAndAlertsModeSendsOnlyAlerts() {
        let h = UplinkHarness { $0.mode = .summaries }
        h.appendReadings(3)
        h.append(TestRecords.summary())  // 4
        h.append(TestRecords.alert())  // 5
        h.appendReadings(2)
        h.append(TestRecords.marker())  // 8
        h.drain(to: 8)
        XCTAssertEqual(Set(h.receivedSequences.keys), [4, 5, 8])
        XCTAssertEqual(h.uplink.counters.recordsFiltered, 5)

        let a = UplinkHarness { $0.mode = .alerts }
        a.appendReadings(3)
        a.append(TestRecords.summary())
        a.append(TestRecords.alert())  // 5
        a.append(TestRecords.marker())
        a.drain(to: 6)
        XCTAssertEqual(Set(a.receivedSequences.keys), [5])
        XCTAssertEqual(a.uplink.cursor, 6)
    }

    func testRecordsNotForwardedAreSkippedWithoutAnyMessage() {
        let h = UplinkHarness { $0.mode = .alerts; $0.scanBudget = 64 }
        h.appendReadings(1_000)
        h.drain(to: 1_000)
        XCTAssertEqual(h.uplink.cursor, 1_000)
        XCTAssertEqual(h.sent.count, 0)
        XCTAssertEqual(h.uplink.counters.recordsFiltered, 1_000)
    }

    func testMalformedRecordsAreCountedAndPassed() {
        let h = UplinkHarness()
        h.appendReadings(2)
        var bad = LogRecord()
        bad.type = .alert
        bad.payloadCount = 2
        h.append(bad)  // 3: an alert that does not decode
        h.appendReadings(2)
        h.drain(to: 5)
        XCTAssertEqual(Set(h.receivedSequences.keys), [1, 2, 4, 5])
        XCTAssertEqual(h.uplink.counters.recordsMalformed, 2, "seen by the alert search and by the records batch")
    }

    func testGapsInTheSourceArePassed() {
        let h = UplinkHarness(ringCapacity: 8)
        h.appendReadings(20)  // 1...12 were overwritten: lost before forwarding
        h.drain(to: 20)
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(13...20))
    }

    func testStartsFromThePersistedCursor() {
        let h = UplinkHarness(cursor: 6)
        h.appendReadings(10)
        h.drain(to: 10)
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(7...10))
    }

    func testServiceUnavailableWaitsMaxAge() {
        let h = UplinkHarness()
        h.appendReadings(3)
        var refusals = 1
        h.server.policy = { _ in
            if refusals > 0 { refusals -= 1; return .refuse(.serviceUnavailable, maxAgeS: 17) }
            return .accept
        }
        let start = h.nowMs
        h.tick()
        XCTAssertEqual(h.uplink.state, .backoff)
        XCTAssertEqual(h.uplink.wakeDeadlineMs(nowMs: h.nowMs), start + 17_000)
        h.drain(to: 3)
        XCTAssertEqual(h.sent.map(\.ms), [start, start + 17_000])
        XCTAssertEqual(h.uplink.counters.serviceUnavailable, 1)
        XCTAssertEqual(h.uplink.state, .up)
    }

    func testServiceUnavailableWithoutMaxAgeWaitsSixtySeconds() {
        let h = UplinkHarness()
        h.appendReadings(1)
        h.server.policy = { _ in .refuse(.serviceUnavailable, maxAgeS: nil) }
        h.tick()
        XCTAssertEqual(h.uplink.wakeDeadlineMs(nowMs: h.nowMs), h.nowMs + 60_000)
    }

    func testRefusalIsCountedAndRetriedWithoutLosingData() {
        let h = UplinkHarness { $0.backoffBaseMs = 1_000 }
        h.appendReadings(5)
        var refusals = 3
        h.server.policy = { _ in
            // 5.00: a refusal that is not about the records (4.00 sets records aside: UplinkRejectionTests).
            if refusals > 0 { refusals -= 1; return .refuse(.internalServerError, maxAgeS: nil) }
            return .accept
        }
        h.drain(to: 5)
        XCTAssertEqual(h.uplink.counters.refused, 3)
        XCTAssertEqual(h.uplink.counters.batchesSent, 4)
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(1...5))
        XCTAssertEqual(h.uplink.cursor, 5)
    }

    func testResetFailsTheExchangeAndBacksOff() {
        let h = UplinkHarness()
        h.appendReadings(1)
        var resets = 1
        h.server.policy = { _ in
            if resets > 0 { resets -= 1; return .reset }
            return .accept
        }
        h.tick()
        XCTAssertEqual(h.uplink.state, .backoff)
        XCTAssertEqual(h.uplink.counters.resets, 1)
        h.drain(to: 1)
        XCTAssertEqual(h.uplink.cursor, 1)
    }

    func testSeparateResponseIsAcknowledgedAndCompletesTheBatch() {
        let h = UplinkHarness()
        h.appendReadings(2)
        h.server.policy = { _ in .separate }
        h.tick()
        XCTAssertEqual(h.uplink.cursor, 2)
        // The uplink answered the separate CON response with an empty ACK.
        let acks = h.sent.filter { $0.reply.type == .acknowledgement }
        XCTAssertEqual(acks.count, 1)
        XCTAssertEqual(acks.first?.reply.code, .empty)
    }

    func testSeparateResponseThatNeverComesTimesOut() {
        let h = UplinkHarness { $0.responseTimeoutMs = 5_000 }
        h.appendReadings(1)
        h.server.policy = { _ in .drop }
        h.tick()
        // Hand-deliver an empty ACK for the request.
        let request = h.sent[0].reply
        let ack = Request.make(.acknowledgement, .empty, mid: request.messageID, token: [])
        ack.withUnsafeBytes { h.uplink.receive($0, from: UplinkHarness.upstream, nowMs: h.nowMs, source: &h.source, sink: &h.sink) }
        XCTAssertTrue(h.uplink.inFlight)
        XCTAssertEqual(h.uplink.wakeDeadlineMs(nowMs: h.nowMs), h.nowMs + 5_000)
        h.run(untilMs: h.nowMs + 5_000)
        XCTAssertEqual(h.uplink.counters.timeouts, 1)
        XCTAssertEqual(h.uplink.state, .backoff)
        XCTAssertEqual(h.sent.count, 1, "no retransmission after the empty ACK")
    }

    func testStrayDatagramsAreCountedAndUnknownConfirmablesReset() {
        let h = UplinkHarness()
        h.appendReadings(1)
        h.server.policy = { _ in .drop }
        h.tick()
        let request = h.sent[0].reply
        func deliver(_ bytes: [UInt8], from peer: Endpoint = UplinkHarness.upstream) {
            bytes.withUnsafeBytes { h.uplink.receive($0, from: peer, nowMs: h.nowMs, source: &h.source, sink: &h.sink) }
        }
        deliver([0x40, 0x01])  // truncated
        deliver(Request.make(.acknowledgement, .changed, mid: request.messageID, token: request.token), from: .ipv4(10, 0, 0, 1, port: 5683))
        deliver(Request.make(.acknowledgement, .changed, mid: request.messageID &+ 1, token: request.token))
        deliver(Request.make(.acknowledgement, .changed, mid: request.messageID, token: [1, 2, 3]))
        XCTAssertEqual(h.uplink.counters.strayDatagrams, 4)
        XCTAssertTrue(h.uplink.inFlight)
        XCTAssertEqual(h.uplink.cursor, 0)
        deliver(Request.make(.confirmable, .content, mid: 999, token: [9]))
        XCTAssertEqual(h.uplink.counters.strayDatagrams, 5)
        XCTAssertEqual(h.sink.sent.count, 1)
        let rst = Reply(h.sink.sent[0].1)
        XCTAssertEqual(rst.type, .reset)
        XCTAssertEqual(rst.messageID, 999)
        // The right answer still completes the batch.
        h.sink.sent.removeAll()
        deliver(Request.make(.acknowledgement, .changed, mid: request.messageID, token: request.token))
        XCTAssertEqual(h.uplink.cursor, 1)
    }

    func testHealthShowsBacklogAndForwardLag() {
        let h = UplinkHarness()
        h.server.policy = { _ in .drop }
        h.append(TestRecords.reading(timestampMs: h.nowMs - 5_000))
        h.append(TestRecords.reading(timestampMs: h.nowMs - 1_000))
        h.tick()
        var health = h.uplink.health(nowMs: h.nowMs, lastSequence: h.source.uplinkLastSequence)
        XCTAssertEqual(health.backlogRecords, 2)
        XCTAssertEqual(health.forwardLagMs, 5_000)
        XCTAssertTrue(health.inFlight)
        XCTAssertEqual(health.state, .up)
        XCTAssertEqual(health.mode, .raw)
        h.server.policy = { _ in .accept }
        h.drain(to: 2)
        health = h.uplink.health(nowMs: h.nowMs, lastSequence: h.source.uplinkLastSequence)
        XCTAssertEqual(health.backlogRecords, 0)
        XCTAssertEqual(health.forwardLagMs, 0)
        XCTAssertEqual(health.cursor, 2)
    }

    func testForwardModeNamesAndPath() {
        for mode in [UplinkForwardMode.raw, .summaries, .alerts] {
            let name = mode.name
            XCTAssertEqual(UplinkForwardMode(name: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount)), mode)
        }
        XCTAssertNil("everything".utf8CString.withUnsafeBytes { UplinkForwardMode(name: UnsafeRawBufferPointer(rebasing: $0.dropLast())) })
        for bad in ["a//b", "a/", String(repeating: "x", count: 65), "sp ace"] {
            XCTAssertNil(Array(bad.utf8).withUnsafeBytes { UplinkPath($0) }, bad)
        }
        XCTAssertNotNil(Array("".utf8).withUnsafeBytes { UplinkPath($0) })
    }
}
