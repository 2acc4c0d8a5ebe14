import OutpostCore
import XCTest

final class RingTests: XCTestCase {
    func testFirstInFirstOutAcrossWrapAround() {
        var ring = Ring<4, Int32>(filler: 0)
        var expected: [Int32] = []
        var next: Int32 = 0
        // 100 rounds of push 3 / pop 2 and drains wrap the head many times.
        for round in 0..<100 {
            for _ in 0..<(round % 3 + 1) where !ring.isFull {
                ring.append(next)
                expected.append(next)
                next += 1
            }
            if let value = ring.popFirst() { XCTAssertEqual(value, expected.removeFirst()) }
            XCTAssertEqual(ring.count, expected.count)
            for (offset, value) in expected.enumerated() { XCTAssertEqual(ring[offset], value) }
        }
    }

    func testTryAppendReportsFullAndChangesNothing() {
        var ring = Ring<2, Int32>(filler: -1)
        XCTAssertTrue(ring.tryAppend(1))
        XCTAssertTrue(ring.tryAppend(2))
        XCTAssertTrue(ring.isFull)
        XCTAssertFalse(ring.tryAppend(3))
        XCTAssertEqual(ring.count, 2)
        XCTAssertEqual(ring.popFirst(), 1)
        XCTAssertEqual(ring.popFirst(), 2)
        XCTAssertNil(ring.popFirst())
        XCTAssertTrue(ring.isEmpty)
    }

    func testRemoveAllEmptiesTheRing() {
        var ring = Ring<3, Int32>(filler: 0)
        ring.append(1)
        ring.append(2)
        ring.removeAll()
        XCTAssertTrue(ring.isEmpty)
        XCTAssertNil(ring.popFirst())
        ring.append(7)
        XCTAssertEqual(ring[0], 7)
    }
}

final class OverwritingRingTests: XCTestCase {
    func testOverwritesOldestAndCountsDrops() {
        var ring = OverwritingRing<3, Int32>(filler: 0)
        XCTAssertFalse(ring.append(1))
        XCTAssertFalse(ring.append(2))
        XCTAssertFalse(ring.append(3))
        XCTAssertTrue(ring.append(4))
        XCTAssertTrue(ring.append(5))
        XCTAssertEqual(ring.droppedCount, 2)
        XCTAssertEqual([ring[0], ring[1], ring[2]], [3, 4, 5])
        XCTAssertEqual(ring.popFirst(), 3)
        XCTAssertEqual(ring.count, 2)
    }
}
