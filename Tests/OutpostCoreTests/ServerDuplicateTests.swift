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
        let h = ServerHarness<ProfileMedium>()  // 256 entries
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
        XCTAssertEqual(h.server.duplicates.evictedEarly, 0)
    }

    func testEntriesExpireAfterExchangeLifetime() throws {
        let h = ServerHarness<ProfileTest>()
        let request = Request.post(Request.temperature("s1", 21), mid: 77)
        XCTAssertEqual(h.exchange(request)?.code, .changed)
        h.tick(advanceMs: DuplicateTable.exchangeLifetimeMs - 1)
        XCTAssertNotNil(h.send(request))
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 1)
        h.tick(advanceMs: 1)
        XCTAssertEqual(h.server.duplicates.count, 0, "tick removed the expired entry")
        XCTAssertEqual(h.exchange(request)?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 2, "after EXCHANGE_LIFETIME the ID is new again")
    }

    func testFullTableEvictsOldestAndCountsIt() throws {
        let h = ServerHarness<ProfileTest>()  // 8 entries
        for mid in 0..<8 {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: UInt16(mid)))?.code, .changed)
            h.tick(advanceMs: 10)
        }
        XCTAssertEqual(h.server.duplicates.count, 8)
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 8))?.code, .changed)
        XCTAssertEqual(h.server.duplicates.evictedEarly, 1)
        XCTAssertEqual(h.server.counters.duplicateEvictions, 1)
        // The newest are still remembered ...
        XCTAssertNotNil(h.send(Request.post(Request.temperature("s1", 21), mid: 8)))
        XCTAssertNotNil(h.send(Request.post(Request.temperature("s1", 21), mid: 1)))
        XCTAssertEqual(h.server.counters.duplicatesAnswered, 2)
        // ... the evicted oldest is not: its late retransmission is processed again (the documented cost).
        let before = h.server.pipeline.counters.readingsAccepted
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 0))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, before + 1)
    }

    func testExpiredEntriesAreEvictedWithoutCounting() throws {
        let h = ServerHarness<ProfileTest>()
        for mid in 0..<8 { _ = h.send(Request.make(mid: UInt16(mid), path: "health")) }
        h.nowMs += DuplicateTable.exchangeLifetimeMs  // no tick: entries expired but still held
        _ = h.send(Request.make(mid: 100, path: "health"))
        XCTAssertEqual(h.server.duplicates.evictedEarly, 0)
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
