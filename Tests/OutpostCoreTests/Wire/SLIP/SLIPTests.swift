import XCTest

@testable import OutpostCore

/// Collects the frames a decoder produces, over a heap buffer owned by the test.
private final class SLIPHarness {
    let storage: UnsafeMutableRawBufferPointer
    var decoder: SLIPDecoder
    var frames: [[UInt8]] = []

    init(capacity: Int) {
        storage = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 1)
        decoder = SLIPDecoder(frameBuffer: storage)
    }

    deinit { storage.deallocate() }

    func feed(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { raw in
            decoder.feed(raw) { frame in frames.append(Array(frame)) }
        }
    }
}

/// The error `body` throws, or nil when it returns (typed throws keep the error's type).
func wireCaught<E: Error, T>(_ type: E.Type, _ body: () throws -> T) -> E? {
    do {
        _ = try body()
        return nil
    } catch let error as E {
        return error
    } catch {
        XCTFail("unexpected error \(error)")
        return nil
    }
}

final class SLIPTests: XCTestCase {
    let end: UInt8 = 0xC0
    let esc: UInt8 = 0xDB

    func encode(_ payload: [UInt8], leadingEnd: Bool = true) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: payload.count * 2 + 2)
        let count = try payload.withUnsafeBytes { raw in
            try output.withUnsafeMutableBytes { out in try SLIPEncoder.encode(raw, into: out, leadingEnd: leadingEnd) }
        }
        XCTAssertEqual(count, payload.withUnsafeBytes { SLIPEncoder.encodedCount($0, leadingEnd: leadingEnd) })
        return Array(output[0..<count])
    }

    func testEncoderEscapesEndAndEscape() throws {
        XCTAssertEqual(try encode([0x01, 0xC0, 0x02, 0xDB, 0x03]), [end, 0x01, esc, 0xDC, 0x02, esc, 0xDD, 0x03, end])
        XCTAssertEqual(try encode([0xDC, 0xDD], leadingEnd: false), [0xDC, 0xDD, end])
        XCTAssertEqual(try encode([]), [end, end])
    }

    func testEncoderReportsNoRoomAtEveryShortSize() throws {
        let payload: [UInt8] = [0xC0, 0x41, 0xDB]
        let needed = try encode(payload).count
        for size in 0..<needed {
            var output = [UInt8](repeating: 0, count: size)
            let error = payload.withUnsafeBytes { raw in
                output.withUnsafeMutableBytes { out in wireCaught(SLIPEncodeError.self) { try SLIPEncoder.encode(raw, into: out) } }
            }
            XCTAssertEqual(error, .noRoom)
        }
    }

    func testRoundTripOfRandomFramesSplitAtRandomChunkBoundaries() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let frameCount = Int.random(in: 1...6, using: &generator)
            var frames: [[UInt8]] = []
            var stream: [UInt8] = []
            for _ in 0..<frameCount {
                // Bias towards the special bytes so escapes are common.
                let frame = (0..<Int.random(in: 1...64, using: &generator)).map { _ -> UInt8 in
                    [0xC0, 0xDB, 0xDC, 0xDD, UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator)!
                }
                frames.append(frame)
                stream += try encode(frame, leadingEnd: Bool.random(using: &generator))
            }
            let harness = SLIPHarness(capacity: 64)
            var at = 0
            while at < stream.count {
                let size = Int.random(in: 1...(stream.count - at), using: &generator)
                harness.feed(Array(stream[at..<(at + size)]))
                at += size
            }
            XCTAssertEqual(harness.frames, frames)
            XCTAssertEqual(harness.decoder.frameCount, UInt64(frameCount))
            XCTAssertEqual(harness.decoder.badEscapeCount, 0)
            XCTAssertEqual(harness.decoder.oversizeCount, 0)
        }
    }

    func testByteByByteFeedingSplitsEscapeSequences() throws {
        let harness = SLIPHarness(capacity: 16)
        for byte in try encode([0xC0, 0xDB, 0x7E]) { harness.feed([byte]) }
        XCTAssertEqual(harness.frames, [[0xC0, 0xDB, 0x7E]])
    }

    func testEmptyFramesAreIgnoredAndCounted() {
        let harness = SLIPHarness(capacity: 16)
        harness.feed([end, end, end, 0x41, end, end])
        XCTAssertEqual(harness.frames, [[0x41]])
        XCTAssertEqual(harness.decoder.emptyFrameCount, 4)
        XCTAssertEqual(harness.decoder.frameCount, 1)
    }

    func testBadEscapeDropsFrameAndResynchronisesAtNextEnd() {
        let harness = SLIPHarness(capacity: 16)
        // ESC 0x41 is invalid: the rest up to END (0x42 0x43) belongs to the dropped frame.
        harness.feed([0x01, esc, 0x41, 0x42, 0x43, end, 0x44, end])
        XCTAssertEqual(harness.frames, [[0x44]])
        XCTAssertEqual(harness.decoder.badEscapeCount, 1)
        XCTAssertEqual(harness.decoder.frameCount, 1)
    }

    func testEscapeFollowedByEndDropsFrameAndEndResynchronises() {
        let harness = SLIPHarness(capacity: 16)
        harness.feed([0x01, esc, end, 0x45, end])
        XCTAssertEqual(harness.frames, [[0x45]])
        XCTAssertEqual(harness.decoder.badEscapeCount, 1)
        XCTAssertEqual(harness.decoder.emptyFrameCount, 0)
    }

    func testOversizeFrameIsDroppedAndCountedButExactFitPasses() {
        let harness = SLIPHarness(capacity: 4)
        harness.feed([1, 2, 3, 4, end])  // exactly the capacity
        harness.feed([1, 2, 3, 4, 5, 6, 7, end])  // one frame, too long
        harness.feed([1, 2, 3, esc, 0xDC, 9, end])  // escaped byte is the fifth: too long
        harness.feed([8, end])
        XCTAssertEqual(harness.frames, [[1, 2, 3, 4], [8]])
        XCTAssertEqual(harness.decoder.oversizeCount, 2)
        XCTAssertEqual(harness.decoder.frameCount, 2)
    }

    func testGarbageBeforeFirstEndIsAFrameThatTheLeadingEndSeparates() throws {
        let harness = SLIPHarness(capacity: 32)
        harness.feed([0x13, 0x37] + (try encode([0x50, 0x51])))
        // The garbage is delivered as its own frame (the daemon's parser rejects it); ours is intact.
        XCTAssertEqual(harness.frames, [[0x13, 0x37], [0x50, 0x51]])
    }

    func testRandomGarbageNeverTrapsAndCountersAddUp() {
        var generator = SystemRandomNumberGenerator()
        let harness = SLIPHarness(capacity: 8)
        var ends = 0
        for _ in 0..<2000 {
            let byte = [0xC0, 0xDB, UInt8.random(in: 0...255, using: &generator)].randomElement(using: &generator)!
            if byte == 0xC0 { ends += 1 }
            harness.feed([byte])
        }
        for frame in harness.frames { XCTAssertTrue((1...8).contains(frame.count)) }
        let decoder = harness.decoder
        // Every END closes exactly one frame, empty frame, or ends a discard; drops are counted once.
        XCTAssertLessThanOrEqual(decoder.frameCount + decoder.emptyFrameCount, UInt64(ends))
        XCTAssertEqual(decoder.frameCount, UInt64(harness.frames.count))
    }

    func testPushExposesFrameUntilNextPush() {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 8, alignment: 1)
        defer { storage.deallocate() }
        var decoder = SLIPDecoder(frameBuffer: storage)
        XCTAssertFalse(decoder.push(0x61))
        XCTAssertEqual(decoder.frame.count, 0)
        XCTAssertTrue(decoder.push(0xC0))
        XCTAssertEqual(Array(decoder.frame), [0x61])
        XCTAssertFalse(decoder.push(0x62))
        XCTAssertEqual(decoder.frame.count, 0)
        XCTAssertEqual(decoder.capacityBytes, 8)
    }
}
