import OutpostCore
import OutpostProfiles
import XCTest

/// Block1 (RFC 7959) uploads: reassembly in order, errors for gaps, slot exhaustion and expiry.
final class ServerBlock1Tests: XCTestCase {
    typealias H = ServerHarness<ProfileTest>  // 2 slots of 512 bytes

    /// A pack of `count` readings of sensor `sensor` at relative times 1...count (an ignored
    /// extension label pads each record, so the pack spans several blocks).
    func pack(_ sensor: String, count: Int) -> [UInt8] {
        let records = (1...count).map { "{\"bn\":\"\(sensor)/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":2\($0 % 10).5,\"t\":\($0),\"note\":\"padding-to-spread-blocks\"}" }
        return Array(("[" + records.joined(separator: ",") + "]").utf8)
    }

    func block(_ body: [UInt8], number: Int, exponent: UInt8, mid: UInt16, token: [UInt8] = [5], format: UInt32 = 110) -> [UInt8] {
        let size = 16 << Int(exponent)
        let start = number * size
        let end = min(start + size, body.count)
        let more = end < body.count
        let value = UInt32(number) << 4 | (more ? 8 : 0) | UInt32(exponent)
        return Request.make(
            .confirmable, .post, mid: mid, token: token, path: "readings",
            options: [Request.uint(.contentFormat, format), Request.uint(.block1, value)], payload: Array(body[start..<end]))
    }

    func testInOrderUploadIsReassembledAndTakenOnce() throws {
        let h = H()
        let body = pack("big", count: 4)
        XCTAssertGreaterThan(body.count, 256, "at least five 64-byte blocks")
        let blocks = (body.count + 63) / 64
        for n in 0..<blocks {
            let reply = try XCTUnwrap(h.exchange(block(body, number: n, exponent: 2, mid: UInt16(n + 1))))
            let last = n == blocks - 1
            XCTAssertEqual(reply.code, last ? .changed : .continue, "block \(n)")
            let echo = try XCTUnwrap(reply.uint(.block1))
            XCTAssertEqual(echo >> 4, UInt32(n))
            XCTAssertEqual(echo & 8 != 0, !last)
            XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, last ? 4 : 0)
        }
        XCTAssertEqual(h.server.counters.block1Completed, 1)
        XCTAssertEqual(h.server.block1.busyCount, 0)
    }

    func testRetransmittedBlockWithNewMessageIdIsNotStoredTwice() throws {
        let h = H()
        let body = pack("big", count: 4)
        XCTAssertEqual(h.exchange(block(body, number: 0, exponent: 3, mid: 1))?.code, .continue)
        XCTAssertEqual(h.exchange(block(body, number: 1, exponent: 3, mid: 2))?.code, .continue)
        XCTAssertEqual(h.exchange(block(body, number: 1, exponent: 3, mid: 3))?.code, .continue, "the client lost our 2.31")
        var mid: UInt16 = 4
        var last: Reply? = nil
        for n in 2..<((body.count + 127) / 128) {
            last = h.exchange(block(body, number: n, exponent: 3, mid: mid))
            mid += 1
        }
        XCTAssertEqual(last?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 4)
    }

    func testMissingOrOutOfOrderBlocksAre408() throws {
        let h = H()
        let body = pack("big", count: 4)
        // No block 0 first.
        let orphan = try XCTUnwrap(h.exchange(block(body, number: 1, exponent: 2, mid: 1)))
        XCTAssertEqual(orphan.code, .requestEntityIncomplete)
        // A gap: 0 then 2.
        XCTAssertEqual(h.exchange(block(body, number: 0, exponent: 2, mid: 2))?.code, .continue)
        XCTAssertEqual(h.exchange(block(body, number: 2, exponent: 2, mid: 3))?.code, .requestEntityIncomplete)
        XCTAssertEqual(h.server.block1.busyCount, 0, "the broken upload's slot is freed")
        // Block 1 after the reset is an orphan too.
        XCTAssertEqual(h.exchange(block(body, number: 1, exponent: 2, mid: 4))?.code, .requestEntityIncomplete)
        // Changing Content-Format mid-upload breaks it.
        XCTAssertEqual(h.exchange(block(body, number: 0, exponent: 2, mid: 5))?.code, .continue)
        XCTAssertEqual(h.exchange(block(body, number: 1, exponent: 2, mid: 6, format: 112))?.code, .requestEntityIncomplete)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 0)
        XCTAssertEqual(h.server.counters.entityIncomplete, 4)
    }

    func testSlotExhaustionIs503WithMaxAgeAndExpiryFreesSlots() throws {
        let h = H()
        let body = pack("big", count: 4)
        let a = ServerHarness<ProfileTest>.peer(1), b = ServerHarness<ProfileTest>.peer(2), c = ServerHarness<ProfileTest>.peer(3)
        XCTAssertEqual(h.exchange(block(body, number: 0, exponent: 2, mid: 1), from: a)?.code, .continue)
        h.nowMs += 10_000
        XCTAssertEqual(h.exchange(block(body, number: 0, exponent: 2, mid: 1), from: b)?.code, .continue)
        let busy = try XCTUnwrap(h.exchange(block(body, number: 0, exponent: 2, mid: 1), from: c))
        XCTAssertEqual(busy.code, .serviceUnavailable)
        XCTAssertEqual(busy.uint(.maxAge), 20, "a's upload times out 20 s from now")
        XCTAssertEqual(h.server.counters.busyBlock1, 1)
        // b keeps going; a goes quiet and its slot expires.
        h.tick(advanceMs: 15_000)
        XCTAssertEqual(h.exchange(block(body, number: 1, exponent: 2, mid: 2), from: b)?.code, .continue)
        h.tick(advanceMs: 15_000)
        XCTAssertEqual(h.server.counters.block1Expired, 1)
        XCTAssertEqual(h.exchange(block(body, number: 0, exponent: 2, mid: 2), from: c)?.code, .continue)
        XCTAssertEqual(h.exchange(block(body, number: 1, exponent: 2, mid: 3), from: a)?.code, .requestEntityIncomplete)
    }

    func testBodyLargerThanSlotIs413WithSize1() throws {
        let h = H()
        let body = pack("big", count: 14)
        XCTAssertGreaterThan(body.count, ProfileTest.block1SlotBytes)
        var reply: Reply? = nil
        for n in 0..<((body.count + 127) / 128) {
            reply = h.exchange(block(body, number: n, exponent: 3, mid: UInt16(n + 1)))
            if reply?.code != .continue { break }
        }
        XCTAssertEqual(reply?.code, .requestEntityTooLarge)
        XCTAssertEqual(reply?.uint(.size1), UInt32(ProfileTest.block1SlotBytes))
        XCTAssertEqual(h.server.block1.busyCount, 0)
        // Announcing the size up front (Size1) is refused at once.
        let announced = Request.make(
            .confirmable, .post, mid: 90, path: "readings",
            options: [Request.uint(.contentFormat, 110), Request.uint(.block1, 0x0A), Request.uint(.size1, 4000)],
            payload: Array(body[0..<64]))
        XCTAssertEqual(h.exchange(announced)?.code, .requestEntityTooLarge)
    }

    func testBlockPayloadNotMatchingSizeIs400AndBadSZXIs400() throws {
        let h = H()
        let short = Request.make(
            .confirmable, .post, mid: 1, path: "readings",
            options: [Request.uint(.contentFormat, 110), Request.uint(.block1, 0x0A)], payload: Array(repeating: 0x20, count: 10))
        XCTAssertEqual(h.exchange(short)?.code, .badRequest)
        let reserved = Request.make(
            .confirmable, .post, mid: 2, path: "readings",
            options: [Request.uint(.contentFormat, 110), Request.uint(.block1, 0x0F)], payload: [0x5B, 0x5D])
        XCTAssertEqual(h.exchange(reserved)?.code, .badRequest)
    }

    func testSingleBlockZeroWithoutMoreIsAPlainRequest() throws {
        let h = H()
        let body = Array(Request.temperature("s1", 21).utf8)
        let reply = try XCTUnwrap(h.exchange(block(body, number: 0, exponent: 6, mid: 1)))
        XCTAssertEqual(reply.code, .changed)
        XCTAssertEqual(reply.uint(.block1), 6)
        XCTAssertEqual(h.server.block1.busyCount, 0)
    }
}
