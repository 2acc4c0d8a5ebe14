import OutpostCore
import OutpostProfiles
import XCTest

/// `Server.forgetExchanges(since:)`: the exchanges remembered after a mark (cached answers and
/// ledger records) are forgotten, so their retransmissions are processed afresh; those before the
/// mark are still answered from memory.
final class ServerForgetTests: XCTestCase {
    func testExchangesAfterTheMarkAreProcessedAfreshAndEarlierOnesStillRecognised() throws {
        let h = ServerHarness<ProfileTest>()
        let first = Request.post(Request.temperature("a", 20), mid: 1)
        XCTAssertEqual(h.exchange(first)?.code, .changed)
        let mark = h.server.exchangeMark
        let second = Request.post(Request.temperature("a", 21), mid: 2)
        let third = Request.post(Request.temperature("b", 22), .nonConfirmable, mid: 3)
        XCTAssertEqual(h.exchange(second)?.code, .changed)
        XCTAssertNotNil(h.exchange(third))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)

        // Three entries since the mark: the CON's cached answer and its ledger record, the NON's record.
        XCTAssertEqual(h.server.forgetExchanges(since: mark), 3)
        XCTAssertEqual(h.server.exchangeMark.cached, mark.cached + 1, "the marks count insertions, not entries")

        // The first is still a duplicate (answered from the cache, not processed again).
        let answeredBefore = h.server.counters.duplicatesAnswered
        XCTAssertEqual(h.exchange(first)?.code, .changed)
        XCTAssertEqual(h.server.counters.duplicatesAnswered, answeredBefore + 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)
        // The forgotten ones are processed again: their readings are taken a second time.
        XCTAssertEqual(h.exchange(second)?.code, .changed)
        XCTAssertNotNil(h.exchange(third))
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 5)
        // And remembered again: a further retransmission is a duplicate.
        XCTAssertEqual(h.exchange(second)?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 5)
    }

    func testForgettingMoreThanTheTablesHoldEmptiesThemAndTheyWorkAfterwards() throws {
        let h = ServerHarness<ProfileTest>()
        let mark = h.server.exchangeMark
        // More CON exchanges than the duplicate table holds: the oldest are evicted on the way.
        let count = ProfileTest.duplicateEntryCount + 5
        for i in 0..<count {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("a", 20), mid: UInt16(100 + i)))?.code, .changed)
        }
        h.server.forgetExchanges(since: mark)
        XCTAssertEqual(h.server.duplicates.count, 0)
        XCTAssertEqual(h.server.ledger.count, 0)
        let accepted = h.server.pipeline.counters.readingsAccepted
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("a", 20), mid: 100))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, accepted + 1, "processed afresh")
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("a", 20), mid: 100))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, accepted + 1, "then a duplicate again")
    }
}
