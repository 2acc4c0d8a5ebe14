import OutpostCore
import OutpostProfiles
import XCTest

/// Duplicate detection (RFC 7252 §4.5): retransmissions are answered from the cache and processed once.
final class ServerDuplicateTests: XCTestCase {
    func testRetransmittedConGetsSameBytesAndIsProcessedOnce() throws {
        let h = ServerHarness<ProfileTest>()
        let request = Request.post(Request.temperature("s1", 21), mid: 500, token: [1, 2])
        let first = try XCTUnwrap(h.send(request))
        h.nowMs += 2_000  // ACK_TIMEOUT later, the client retransmits
        let second = try XCTUnwrap(h.send(request))
        XCTAssertEqual(first, second)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 1)
        // The same message ID from another peer is another exchange.
        XCTAssertEqual(h.exchange(request, from: ServerHarness<ProfileTest>.peer(2))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 2)
    }

    func testDuplicateNonIsDropped() throws {
        let h = ServerHarness<ProfileTest>()
        let request = Request.post(Request.temperature("s1", 21), .nonConfirmable, mid: 9)
        XCTAssertEqual(h.exchange(request)?.code, .changed)
        XCTAssertNil(h.send(request))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
        XCTAssertEqual(h.server.counters.duplicatesDropped, 1)
    }

    func testCachedErrorIsRepeatedToo() throws {
        let h = ServerHarness<ProfileTest>()
        let bad = Request.post("[{\"bn\":1}]", mid: 3)
        let first = try XCTUnwrap(h.send(bad))
        XCTAssertEqual(h.send(bad), first)
        XCTAssertEqual(h.server.counters.invalidPacks, 1, "decoded once")
    }

    func testManyPeersInterleavedEachProcessedOnce() throws {
        let h = ServerHarness<ProfileMedium>()  // 32 cached answers, the rest from the ledger
        var firsts: [[UInt8]] = []
        for peer in 0..<100 {
            let request = Request.post(Request.temperature("s\(peer % 50)", 20 + Double(peer % 7)), mid: 42, token: [UInt8(peer)])
            firsts.append(try XCTUnwrap(h.send(request, from: ServerHarness<ProfileMedium>.peer(peer))))
            if peer % 10 == 9 { h.tick(advanceMs: 100) }
        }
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 100)
        // Every peer retransmits, in reverse order: all answered from the cache, byte for byte.
        for peer in (0..<100).reversed() {
            let request = Request.post(Request.temperature("s\(peer % 50)", 20 + Double(peer % 7)), mid: 42, token: [UInt8(peer)])
            XCTAssertEqual(h.send(request, from: ServerHarness<ProfileMedium>.peer(peer)), firsts[peer])
        }
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 100)
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 100)
        XCTAssertEqual(h.server.ledger.evictedEarly, 0)
    }

    func testEntriesExpireAfterExchangeLifetime() throws {
        let h = ServerHarness<ProfileTest>()
        let request = Request.post(Request.temperature("s1", 21), mid: 77)
        XCTAssertEqual(h.exchange(request)?.code, .changed)
        h.tick(advanceMs: DuplicateTable.exchangeLifetimeMs - 1)
        XCTAssertNotNil(h.send(request))
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 1)
        h.tick(advanceMs: 1)
        XCTAssertEqual(h.server.duplicates.count, 0, "tick removed the expired cached answer")
        // The ledger keeps it until its time slice is 32 slices old (at most 256 s) ...
        XCTAssertEqual(h.exchange(request)?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1, "still within the ledger's hold")
        h.tick(advanceMs: DuplicateLedger.holdMs - DuplicateTable.exchangeLifetimeMs)
        XCTAssertEqual(h.server.ledger.count, 0, "tick removed the expired record")
        XCTAssertEqual(h.exchange(request)?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 2, "after the hold the ID is new again")
    }

    func testEvictedCachedAnswerIsRebuiltFromTheLedgerByteForByte() throws {
        let h = ServerHarness<ProfileTest>()  // 4 cached answers, 48 ledger records
        var firsts: [[UInt8]] = []
        for mid in 0..<12 {
            firsts.append(try XCTUnwrap(h.send(Request.post(Request.temperature("s1", 21), mid: UInt16(mid), token: [UInt8(mid), 9]))))
            h.tick(advanceMs: 10)
        }
        XCTAssertEqual(h.server.duplicates.count, ProfileTest.duplicateEntryCount)
        XCTAssertGreaterThan(h.server.duplicates.evictedEarly, 0, "the cached answers of the first ones are gone")
        for mid in 0..<12 {
            XCTAssertEqual(h.send(Request.post(Request.temperature("s1", 21), mid: UInt16(mid), token: [UInt8(mid), 9])), firsts[mid])
        }
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 12, "no reading taken twice")
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 12)
        XCTAssertEqual(h.server.counters.duplicatesRecalled, 8, "8 rebuilt from the ledger, 4 from the cache")
        XCTAssertEqual(h.server.counters.duplicateEvictions, 0)
    }

    func testFullLedgerDropsOldestAndCountsIt() throws {
        let h = ServerHarness<ProfileTest>()  // 48 ledger records
        let capacity = ProfileTest.duplicateRecordCount
        for mid in 0...capacity {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: UInt16(mid)))?.code, .changed)
            h.tick(advanceMs: 10)
        }
        XCTAssertEqual(h.server.ledger.count, capacity)
        XCTAssertEqual(h.server.ledger.evictedEarly, 1)
        XCTAssertEqual(h.server.counters.duplicateEvictions, 1)
        // The newest are still remembered ...
        XCTAssertNotNil(h.send(Request.post(Request.temperature("s1", 21), mid: UInt16(capacity))))
        XCTAssertNotNil(h.send(Request.post(Request.temperature("s1", 21), mid: 1)))
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 2)
        // ... the dropped oldest is not: its late retransmission is processed again (the documented
        // cost of a load above the rated one), and /health shows it.
        let before = h.server.pipeline.counters.readingsAccepted
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 0))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, before + 1)
        let health = try XCTUnwrap(h.exchange(Request.make(mid: 5_000, path: "health")))
        XCTAssertTrue(health.text.contains("\"duplicate_evictions\":"), health.text)
    }

    func testExpiredEntriesAreEvictedWithoutCounting() throws {
        let h = ServerHarness<ProfileTest>()
        let capacity = ProfileTest.duplicateRecordCount
        for mid in 0..<capacity {
            _ = h.send(Request.post(Request.temperature("s1", 21), mid: UInt16(mid)))
            h.tick()
        }
        XCTAssertEqual(h.server.ledger.count, capacity)
        h.nowMs += DuplicateLedger.holdMs  // no tick: records expired but still held
        _ = h.send(Request.post(Request.temperature("s1", 21), mid: 1_000))
        XCTAssertEqual(h.server.ledger.evictedEarly, 0)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, UInt64(capacity + 1))
    }

    func testNonDuplicateDroppedAfterItsCachedEntriesWouldHaveBeenEvicted() throws {
        let h = ServerHarness<ProfileTest>()
        // NONs take no cached-answer entry: many other requests later, a duplicate is still dropped.
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), .nonConfirmable, mid: 900))?.code, .changed)
        for mid in 0..<20 { _ = h.send(Request.post(Request.temperature("s2", 21), mid: UInt16(mid))) }
        h.tick(advanceMs: 200_000)
        XCTAssertNil(h.send(Request.post(Request.temperature("s1", 21), .nonConfirmable, mid: 900)))
        XCTAssertEqual(h.server.counters.duplicatesDropped, 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 21)
    }

    func testRecalledBlock1AnswersEchoTheBlockOption() throws {
        let h = ServerHarness<ProfileTest>()
        let pack = Array(Request.temperature("blk", 22).utf8)
        let chunks = stride(from: 0, to: pack.count, by: 16).map { Array(pack[$0..<min($0 + 16, pack.count)]) }
        func block(_ num: Int) -> [UInt8] {
            let more = num + 1 < chunks.count
            return Request.make(.confirmable, .post, mid: UInt16(40 + num), token: [3], path: "readings",
                options: [Request.uint(.contentFormat, 110), Request.uint(.block1, UInt32(num) << 4 | (more ? 8 : 0))], payload: chunks[num])
        }
        let answers = try (0..<chunks.count).map { try XCTUnwrap(h.send(block($0))) }
        XCTAssertEqual(answers.dropLast().map { Reply($0).code }, Array(repeating: .continue, count: chunks.count - 1))
        XCTAssertEqual(Reply(answers.last!).code, .changed, Reply(answers.last!).text)
        XCTAssertTrue(Reply(answers.last!).has(.block1))
        // Push the cached answers out, then retransmit: the same bytes, rebuilt, nothing taken again.
        for mid in 0..<8 { _ = h.send(Request.make(mid: UInt16(100 + mid), path: "nothing")) }
        for num in 0..<chunks.count { XCTAssertEqual(h.send(block(num)), answers[num]) }
        XCTAssertEqual(h.server.counters.duplicatesRecalled, UInt64(chunks.count))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
    }

    func testSuppressedAnswerIsRecalledAsAnEmptyAck() throws {
        let h = ServerHarness<ProfileTest>()
        // No-Response 2 declines 2.xx: the CON gets an empty ACK, and so does its late retransmission.
        let request = Request.make(.confirmable, .post, mid: 70, token: [5], path: "readings",
            options: [Request.uint(.contentFormat, 110), Request.uint(.noResponse, 2)], payload: Request.json(Request.temperature("q", 20)))
        let first = try XCTUnwrap(h.send(request))
        XCTAssertEqual(first, [0x60, 0x00, 0x00, 70])
        for mid in 0..<8 { _ = h.send(Request.make(mid: UInt16(200 + mid), path: "nothing")) }
        XCTAssertEqual(h.send(request), first)
        XCTAssertEqual(h.server.counters.duplicatesRecalled, 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 1)
    }

    func testIPv6AndSerialPeersAreKeptApart() throws {
        let h = ServerHarness<ProfileTest>()
        var address = InlineArray<16, UInt8>(repeating: 0)
        address[15] = 1
        let v6a = Endpoint(kind: Endpoint.kindIPv6, port: 5683, address: address, scopeOrLine: 0)
        address[15] = 2
        let v6b = Endpoint(kind: Endpoint.kindIPv6, port: 5683, address: address, scopeOrLine: 0)
        let serial = Endpoint.serial(line: 0)
        let v4 = Endpoint.ipv4(0, 0, 0, 0, port: 5683)
        let request = Request.post(Request.temperature("s1", 21), mid: 1234)
        for peer in [v6a, v6b, serial, v4] { XCTAssertEqual(h.exchange(request, from: peer)?.code, .changed) }
        for mid in 0..<8 { _ = h.send(Request.make(mid: UInt16(300 + mid), path: "nothing")) }
        for peer in [v6a, v6b, serial, v4] { XCTAssertEqual(h.exchange(request, from: peer)?.code, .changed) }
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 4, "four exchanges, each taken once")
        XCTAssertEqual(h.server.counters.duplicatesRecalled, 4)
    }

    func testLongStallWithoutTicksForgetsOnlyExpiredRecords() throws {
        let h = ServerHarness<ProfileTest>()
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 1))?.code, .changed)
        // Three hours without a tick (slice tags wrap after 256 slices): the old record must not
        // pass for a live one, and one taken just now must stay live.
        h.nowMs += 3 * 3_600_000
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 2))?.code, .changed)
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 1))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)
        for mid in 0..<8 { _ = h.send(Request.make(mid: UInt16(400 + mid), path: "nothing")) }
        h.nowMs += 200_000
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 2))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)
        // Exactly 256 slices later the slice tag is the same modulo 256: still not a duplicate.
        h.nowMs += 256 * DuplicateLedger.sliceMs
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 2))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 4)
        // Many steps just under the hold, no tick between them: each record is forgotten in time,
        // and a retransmission within the hold is still recognised.
        var drain = DiscardingOutboxConsumer()
        for step in 0..<40 {
            h.server.drainOutbox(into: &drain)  // room for the reading, without a tick's expiry
            let mid = UInt16(500 + step)
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: mid))?.code, .changed)
            h.nowMs += 240_000
            let before = h.server.pipeline.counters.readingsAccepted
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: mid))?.code, .changed)
            XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, before, "step \(step): within the hold")
        }
        XCTAssertEqual(h.server.ledger.evictedEarly, 0)
    }

    func testLargeGetResponsesAreReprocessedNotCached() throws {
        let h = ServerHarness<ProfileTest>()
        let request = Request.make(mid: 60, path: "health")
        let first = try XCTUnwrap(h.send(request))
        XCTAssertGreaterThan(first.count, ProfileTest.duplicateResponseBytes)
        let again = try XCTUnwrap(h.exchange(request))
        XCTAssertEqual(again.code, .content)
        XCTAssertEqual(again.messageID, 60)
        XCTAssertEqual(h.server.counters.duplicatesReprocessed, 1)
        // Small GET answers (errors) are cached like POST answers.
        _ = h.send(Request.make(mid: 61, path: "nothing"))
        _ = h.send(Request.make(mid: 61, path: "nothing"))
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 1)
        XCTAssertEqual(h.server.counters.notFound, 1)
    }
}
