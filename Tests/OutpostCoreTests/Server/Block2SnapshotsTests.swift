import OutpostCore
import XCTest

/// The Block2 snapshot table on its own: take, find, lifetime, reuse order, size limit.
final class Block2SnapshotsTests: XCTestCase {
    var memory: UnsafeMutableRawPointer!

    override func tearDown() {
        memory?.deallocate()
        memory = nil
    }

    func table(slots: Int, bytes: Int) -> Block2Snapshots {
        let size = Block2Snapshots.arenaBytes(after: 0, slotCount: slots, slotBytes: bytes)
        memory = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        var arena = Arena(base: memory, sizeBytes: size)
        let table = Block2Snapshots(arena: &arena, slotCount: slots, slotBytes: bytes)
        XCTAssertEqual(arena.usedBytes, size, "arena accounting")
        return table
    }

    let a = Endpoint.ipv4(10, 0, 0, 1, port: 5683)
    let b = Endpoint.ipv4(10, 0, 0, 2, port: 5683)

    @discardableResult
    func take(_ t: inout Block2Snapshots, _ peer: Endpoint, key: Int = 3, format: UInt16 = 50, body: [UInt8], mid: UInt16 = 1, eTag: UInt32 = 0xABCD, at nowMs: Int64) -> Int? {
        body.withUnsafeBytes { t.take(peer, resourceKey: key, contentFormat: format, messageID: mid, eTag: eTag, body: $0, nowMs: nowMs) }
    }

    func testTakeAndFindByPeerResourceAndFormat() throws {
        var t = table(slots: 2, bytes: 64)
        let slot = try XCTUnwrap(take(&t, a, body: Array(0..<40), mid: 9, eTag: 0x1234_5678, at: 1_000))
        XCTAssertEqual(Array(t.body(slot: slot)), Array(0..<40))
        XCTAssertEqual(t.eTag(slot: slot), 0x1234_5678)
        XCTAssertEqual(t.block0MessageID(slot: slot), 9)
        XCTAssertEqual(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 1_001), slot)
        XCTAssertNil(t.find(b, resourceKey: 3, contentFormat: 50, nowMs: 1_001), "another peer")
        XCTAssertNil(t.find(a, resourceKey: 4, contentFormat: 50, nowMs: 1_001), "another resource")
        XCTAssertNil(t.find(a, resourceKey: 3, contentFormat: 60, nowMs: 1_001), "another format")
        XCTAssertEqual(t.liveCount(nowMs: 1_001), 1)
    }

    func testTakingAgainReplacesTheTransfersOwnCopy() throws {
        var t = table(slots: 2, bytes: 64)
        let first = try XCTUnwrap(take(&t, a, body: [1, 2, 3], eTag: 1, at: 0))
        let second = try XCTUnwrap(take(&t, a, body: [9, 9], eTag: 2, at: 500))
        XCTAssertEqual(second, first, "same transfer, same slot")
        XCTAssertEqual(Array(t.body(slot: second)), [9, 9])
        XCTAssertEqual(t.eTag(slot: second), 2)
        XCTAssertEqual(t.liveCount(nowMs: 500), 1)
        // The lifetime starts again from the new block 0.
        XCTAssertNotNil(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 500 + Block2Snapshots.lifetimeMs - 1))
    }

    func testLifetimeBoundary() throws {
        var t = table(slots: 1, bytes: 64)
        take(&t, a, body: [1], at: 10_000)
        XCTAssertNotNil(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 10_000 + Block2Snapshots.lifetimeMs - 1))
        XCTAssertNil(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 10_000 + Block2Snapshots.lifetimeMs))
        XCTAssertEqual(t.liveCount(nowMs: 0), 0, "found expired, so freed")
        // A clock that went back is not trusted either.
        take(&t, a, body: [1], at: 10_000)
        XCTAssertNil(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 9_999))
    }

    func testExpireFreesOnlyOldSlots() throws {
        var t = table(slots: 3, bytes: 16)
        take(&t, a, key: 3, body: [1], at: 0)
        take(&t, a, key: 4, body: [2], at: 5_000)
        take(&t, b, key: 3, body: [3], at: 15_000)
        XCTAssertEqual(t.expire(nowMs: 25_000), 2)
        XCTAssertEqual(t.liveCount(nowMs: 25_000), 1)
        XCTAssertNotNil(t.find(b, resourceKey: 3, contentFormat: 50, nowMs: 25_000))
        XCTAssertEqual(t.expire(nowMs: 25_000), 0)
    }

    func testFullTableRefusesUntilASlotFinishesOrExpires() throws {
        var t = table(slots: 2, bytes: 16)
        let sa = try XCTUnwrap(take(&t, a, key: 3, body: [1], at: 0))
        let sb = try XCTUnwrap(take(&t, b, key: 3, body: [2], at: 100))
        XCTAssertNil(take(&t, a, key: 6, body: [3], at: 200), "both live and unfinished")
        XCTAssertNotNil(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 200), "a refusal evicts nothing")
        // A finished transfer's slot is reused first, the oldest finished one when several are.
        t.markComplete(slot: sb)
        t.markComplete(slot: sa)
        XCTAssertEqual(take(&t, a, key: 6, body: [3], at: 300), sa, "oldest finished")
        XCTAssertNil(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 300))
        XCTAssertEqual(take(&t, a, key: 7, body: [4], at: 400), sb)
        XCTAssertNil(take(&t, b, key: 8, body: [5], at: 500))
        // An expired slot is reused even when unfinished.
        XCTAssertNotNil(take(&t, b, key: 8, body: [5], at: 300 + Block2Snapshots.lifetimeMs))
    }

    func testBodyLargerThanASlotIsRefusedAndDropsTheOldCopy() throws {
        var t = table(slots: 1, bytes: 16)
        XCTAssertNotNil(take(&t, a, body: Array(repeating: 7, count: 16), at: 0), "exactly a slot")
        XCTAssertNil(take(&t, a, body: Array(repeating: 7, count: 17), at: 1))
        XCTAssertNil(t.find(a, resourceKey: 3, contentFormat: 50, nowMs: 1), "the old copy is not the client's body any more")
        XCTAssertEqual(t.liveCount(nowMs: 1), 0)
    }

    func testSlotsDoNotOverlap() throws {
        var t = table(slots: 3, bytes: 32)
        let bodies: [[UInt8]] = [Array(repeating: 1, count: 32), Array(repeating: 2, count: 32), Array(repeating: 3, count: 5)]
        var slots: [Int] = []
        for (i, body) in bodies.enumerated() { slots.append(try XCTUnwrap(take(&t, a, key: 10 + i, body: body, at: 0))) }
        XCTAssertEqual(Set(slots).count, 3)
        for (i, slot) in slots.enumerated() { XCTAssertEqual(Array(t.body(slot: slot)), bodies[i]) }
    }

    func testReleaseByTransfer() throws {
        var t = table(slots: 1, bytes: 16)
        take(&t, a, body: [1], at: 0)
        XCTAssertFalse(t.release(b, resourceKey: 3, contentFormat: 50))
        XCTAssertTrue(t.release(a, resourceKey: 3, contentFormat: 50))
        XCTAssertEqual(t.liveCount(nowMs: 0), 0)
        XCTAssertFalse(t.release(a, resourceKey: 3, contentFormat: 50))
    }
}
