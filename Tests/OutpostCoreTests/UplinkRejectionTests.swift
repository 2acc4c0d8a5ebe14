import OutpostCore
import XCTest

/// Records the upstream refuses for good (4.00, 4.13 without a smaller block, 4.22): the batch is
/// narrowed down by halves to the refused record, which is set aside behind a marker once that
/// marker is durable, and forwarding goes on. Refusals about the request as a whole stay retryable.
final class UplinkRejectionTests: XCTestCase {
    static let unprocessable = CoAPCode(rawValue: 0x96)  // 4.22

    /// An upstream that refuses (with `code`) every pack holding one of `bad`'s sequences.
    /// Block1 bodies are put together by token first; a refusal comes on the final block.
    func refusing(_ h: UplinkHarness, _ bad: Set<UInt64>, code: CoAPCode = .badRequest) {
        var partial: [[UInt8]: [UInt8]] = [:]
        h.server.policy = { request in
            if request.code == .empty { return .accept }
            var body = partial[request.token] ?? []
            body += request.payload
            if let value = request.uint(.block1), (try? CoAPBlock(value: value))?.more == true {
                partial[request.token] = body
                return .accept
            }
            partial[request.token] = nil
            let sequences = Set(((try? UplinkPackRecord.decodePack(body)) ?? []).compactMap(\.sequence))
            if sequences.isDisjoint(with: bad) { return .accept }
            self.refusedPacks.append(sequences)
            return .refuse(code, maxAgeS: nil)
        }
    }

    /// The log sequences of each pack `refusing` refused.
    var refusedPacks: [Set<UInt64>] = []

    func testTheMarkerCodeHasItsName() {
        let marker = LogMarkerPayload(code: LogMarkerPayload.rejectedByUpstream, value: 77)
        XCTAssertEqual(LogMarkerPayload.rejectedByUpstream, 4)
        XCTAssertEqual("\(marker.codeName)", "rejected_by_upstream")
        var bytes = [UInt8](repeating: 0, count: LogMarkerPayload.sizeBytes)
        _ = bytes.withUnsafeMutableBytes { marker.encode(into: $0) }
        XCTAssertEqual(bytes.withUnsafeBytes { LogMarkerPayload(decoding: $0) }, marker)
    }

    func testOneRefusedRecordInABatchIsFoundByHalvesAndSetAside() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 32 }
        h.appendReadings(40)
        refusing(h, [20])
        XCTAssertNotNil(h.drain(to: 41, limitMs: 60_000))
        // Everything but 20 arrived once; 20 never; a marker (sequence 41) names it.
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(1...41).subtracting([20]))
        XCTAssertTrue(h.receivedSequences.values.allSatisfy { $0 == 1 }, "\(h.receivedSequences.filter { $0.value > 1 })")
        XCTAssertEqual(h.markersAppended, [20])
        XCTAssertEqual(h.uplink.counters.recordsRejected, 1)
        XCTAssertEqual(h.uplink.cursor, 41)
        let marker = h.server.packs.joined().first { $0.name == "log/rejected_by_upstream" }
        XCTAssertEqual(marker?.value, 20)
        XCTAssertEqual(marker?.sequence, 41)
        // The refused batches: 32, then halves down to the single record (log2(32) + 1 refusals).
        XCTAssertEqual(refusedPacks.map(\.count), [32, 16, 8, 4, 2, 1])
        XCTAssertTrue(refusedPacks.allSatisfy { $0.contains(20) })
        XCTAssertEqual(h.uplink.counters.rejectedAnswers, 6)
        XCTAssertEqual(h.uplink.state, .up, "refusals for good are not a link failure")
    }

    func testEveryRecordRefusalCodeSetsAsideAndOthersRetry() {
        for (code, setsAside) in [
            (CoAPCode.badRequest, true), (.requestEntityTooLarge, true), (UplinkRejectionTests.unprocessable, true),
            (.unauthorized, false), (.badOption, false), (.forbidden, false), (.notFound, false), (.methodNotAllowed, false),
            (.unsupportedContentFormat, false), (.internalServerError, false), (.notImplemented, false),
        ] {
            let h = UplinkHarness()
            h.appendReadings(3)
            refusing(h, [2], code: code)
            h.run(untilMs: h.nowMs + 20_000)
            let label = "code \(code.codeClass).\(code.detail)"
            if setsAside {
                XCTAssertEqual(h.markersAppended, [2], label)
                XCTAssertEqual(h.uplink.cursor, 4, label)
                XCTAssertEqual(Set(h.receivedSequences.keys), [1, 3, 4], label)
            } else {
                XCTAssertEqual(h.markersAppended, [], label)
                XCTAssertEqual(h.uplink.cursor, 0, "\(label): kept, retried")
                XCTAssertGreaterThan(h.uplink.counters.refused, 1, label)
                XCTAssertEqual(h.uplink.counters.recordsRejected, 0, label)
            }
        }
    }

    func testTheRecordIsPassedOnlyOnceItsMarkerIsDurable() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 1 }
        h.appendReadings(3)
        refusing(h, [2])
        h.markerRoom = false  // the log cannot take the marker yet
        h.run(untilMs: h.nowMs + 5_000)
        XCTAssertEqual(h.uplink.cursor, 1, "record 2 waits for its marker: nothing after it goes")
        XCTAssertEqual(h.uplink.rejectionToRecord, 2, "asked again until recorded")
        XCTAssertEqual(h.uplink.counters.recordsRejected, 0)
        XCTAssertNotNil(h.uplink.wakeDeadlineMs(nowMs: h.nowMs), "the uplink keeps checking")
        // A marker appended but not offered by the source (not durable) does not pass it either.
        let cut = h.source.uplinkLastSequence
        var durable = DurableLimit(inner: h.source, limit: cut)
        let marker = durable.inner.append(TestRecords.marker(code: LogMarkerPayload.rejectedByUpstream, value: 2))
        h.uplink.rejectionRecorded(markerSequence: marker)
        XCTAssertNil(h.uplink.rejectionToRecord)
        for _ in 0..<10 {
            h.nowMs += 20
            h.uplink.tick(nowMs: h.nowMs, source: &durable, sink: &h.sink)
        }
        XCTAssertEqual(h.uplink.cursor, 1, "the marker is not durable yet")
        durable.limit = marker
        h.nowMs += 20
        h.uplink.tick(nowMs: h.nowMs, source: &durable, sink: &h.sink)
        XCTAssertEqual(h.uplink.counters.recordsRejected, 1)
        XCTAssertEqual(h.uplink.cursor, 2, "passed once the marker is durable")
    }

    func testARefusedAlertInAnAlertBatchIsSetAsideAndTheRestGoesOn() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 8 }
        h.appendReadings(5)
        for _ in 0..<6 { h.append(TestRecords.alert()) }  // 6...11
        h.appendReadings(3)  // 12...14
        refusing(h, [9], code: UplinkRejectionTests.unprocessable)
        XCTAssertNotNil(h.drain(to: 15, limitMs: 60_000))
        XCTAssertEqual(h.markersAppended, [9])
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(1...15).subtracting([9]))
        XCTAssertTrue(h.receivedSequences.values.allSatisfy { $0 == 1 })
        // Alerts still went first.
        XCTAssertEqual(Set(h.server.packs[0].compactMap(\.sequence)).isSubset(of: Set(6...11)), true)
        XCTAssertEqual(h.uplink.counters.recordsRejected, 1)
    }

    func testSeveralRefusedRecordsAreAllSetAside() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 16 }
        h.appendReadings(50)
        let bad: Set<UInt64> = [3, 4, 17, 33, 50]
        refusing(h, bad)
        XCTAssertNotNil(h.drain(to: 55, limitMs: 120_000))
        XCTAssertEqual(Set(h.markersAppended), bad)
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(1...55).subtracting(bad))
        XCTAssertEqual(h.uplink.counters.recordsRejected, 5)
    }

    func testAnUpstreamRefusingEverythingDoesNotPassTheWholeLog() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 4; $0.maxRejectionsInARow = 3 }
        h.appendReadings(30)
        h.server.policy = { request in request.code == .empty ? .accept : .refuse(.badRequest, maxAgeS: nil) }
        h.run(untilMs: h.nowMs + 600_000)
        XCTAssertEqual(h.uplink.counters.recordsRejected, 3, "at most maxRejectionsInARow set aside")
        XCTAssertLessThanOrEqual(h.uplink.cursor, 3)
        XCTAssertEqual(h.uplink.state, .backoff, "then refusals back off, keeping the data")
        XCTAssertGreaterThan(h.uplink.counters.refused, h.uplink.counters.rejectedAnswers)
        // A fixed upstream takes the rest, and the count starts again.
        h.server.policy = { _ in .accept }
        XCTAssertNotNil(h.drain(to: 33, limitMs: 600_000))
        XCTAssertEqual(Set(h.receivedSequences.keys).count, 30)
    }

    func testRecordsModeRefusalInsideABlockwiseBatchIsNarrowedToo() {
        let h = UplinkHarness { $0.maxRecordsPerBatch = 32 }
        for i in 0..<32 {
            h.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1_000,
                features: [(.temperature, 21_001), (.humidity, 40_001), (.pressure, 1_000_001), (.vibration, 1), (.power, 3)]))
        }
        refusing(h, [31], code: .requestEntityTooLarge)
        XCTAssertNotNil(h.drain(to: 33, limitMs: 60_000))
        XCTAssertEqual(h.markersAppended, [31])
        XCTAssertEqual(Set(h.receivedSequences.keys), Set(1...33).subtracting([31]))
    }
}

/// A source that offers only up to `limit` (a log whose later records are written, not durable).
struct DurableLimit: UplinkSource {
    var inner: UplinkMemorySource
    var limit: UInt64
    var uplinkLastSequence: UInt64 { min(limit, inner.uplinkLastSequence) }
    var uplinkLogID: UInt64 { inner.uplinkLogID }

    mutating func uplinkRead(after sequence: UInt64, alertsOnly: Bool, budget: Int, into record: inout LogRecord) -> UplinkRead {
        let result = inner.uplinkRead(after: sequence, alertsOnly: alertsOnly, budget: budget, into: &record)
        if result == .found && record.sequence > limit { return .none(through: sequence) }
        if case .none(let through) = result { return .none(through: min(through, max(sequence, limit))) }
        return result
    }
}
