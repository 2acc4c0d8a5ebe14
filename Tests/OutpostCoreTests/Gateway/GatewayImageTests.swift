import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest

/// `POST /images/{camera}` through the whole gateway (`GatewayHarness`, the test profile: two
/// transfers, 4 KiB limit): each Block1 block is cut into `imageChunk` records, its 2.31 / 2.04
/// leaves only after the sync covering them, errors of RFC 7959 §2.3 end the transfer with an
/// abort record, and the steady state allocates nothing.
final class GatewayImageTests: XCTestCase {
    static let jpeg: UInt32 = 22

    /// Deterministic bytes standing for an image.
    static func body(_ count: Int, seed: UInt8 = 7) -> [UInt8] {
        var x = UInt32(seed) &* 2_654_435_761
        return (0..<count).map { _ in
            x = x &* 1_103_515_245 &+ 12_345
            return UInt8(truncatingIfNeeded: x >> 16)
        }
    }

    /// Block `number` (`exponent`: size 16 << exponent) of `body` as a CON request.
    static func block(
        _ body: [UInt8], number: Int, exponent: UInt8 = 4, mid: UInt16, camera: String = "cam1", format: UInt32 = jpeg,
        size1: UInt32? = nil
    ) -> [UInt8] {
        let size = 16 << Int(exponent)
        let start = number * size
        let end = min(start + size, body.count)
        let more = end < body.count
        var options = [Request.uint(.contentFormat, format), Request.uint(.block1, UInt32(number) << 4 | (more ? 8 : 0) | UInt32(exponent))]
        if let size1 { options.append(Request.uint(.size1, size1)) }
        return Request.make(.confirmable, .post, mid: mid, token: [UInt8(truncatingIfNeeded: mid), 9], path: "images/\(camera)",
                            options: options, payload: Array(body[start..<end]))
    }

    /// Every image chunk record of a log recovered from `image`.
    static func chunks(_ image: [UInt8]) throws -> [(payload: LogImageChunkPayload, bytes: [UInt8])] {
        let disk = SimDisk(bytes: image)
        let geometry = GatewayHarness.geometry
        let buffer = LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512) + 4096)
        var arena = buffer.arena()
        var store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .dropOldest, formatIfBlank: true)
        return try readAll(&store).compactMap { record in
            guard let chunk = record.imageChunk else { return nil }
            let bytes = record.withPayload { Array($0[chunk.bytesOffset..<(chunk.bytesOffset + chunk.bytesCount)]) }
            return (chunk, bytes)
        }
    }

    func replies(_ h: GatewayHarness) -> [Reply] { h.network.sent.map { Reply($0.bytes) } }

    /// Uploads `body` in blocks of `exponent`, one block per tick; returns the replies' codes.
    @discardableResult
    func upload(_ h: GatewayHarness, _ body: [UInt8], exponent: UInt8 = 4, firstMID: UInt16 = 1, camera: String = "cam1") -> [CoAPCode] {
        let size = 16 << Int(exponent)
        let blocks = max(1, (body.count + size - 1) / size)
        var codes: [CoAPCode] = []
        for n in 0..<blocks {
            let mid = firstMID + UInt16(n)
            h.network.post(GatewayImageTests.block(body, number: n, exponent: exponent, mid: mid, camera: camera), from: GatewayHarness.peer(1))
            h.tick()
            codes.append(replies(h).last { $0.messageID == mid }?.code ?? .empty)
        }
        return codes
    }

    func testAnUploadIsLoggedChunkByChunkAndJoinsByteForByte() throws {
        let h = try GatewayHarness(durability: .sync)
        let body = GatewayImageTests.body(3_000)
        let codes = upload(h, body)
        XCTAssertEqual(codes, Array(repeating: CoAPCode.continue, count: 11) + [.changed])
        let chunks = try GatewayImageTests.chunks(h.disk.bytes)
        // 256-byte blocks of at most 184-byte chunks: two records per block, one for the last
        // block's 184 bytes.
        XCTAssertEqual(chunks.count, 23)
        XCTAssertEqual(chunks.map { Int($0.payload.chunkIndex) }, Array(0..<23))
        XCTAssertEqual(chunks.flatMap(\.bytes), body)
        var offset = 0
        for chunk in chunks {
            XCTAssertEqual(Int(chunk.payload.offsetBytes), offset)
            XCTAssertEqual(chunk.payload.transferID, 1)
            XCTAssertEqual(chunk.payload.contentFormat, 22)
            XCTAssertEqual(chunk.payload.camera, SensorName("cam1"))
            XCTAssertFalse(chunk.payload.isAborted)
            offset += chunk.bytes.count
        }
        XCTAssertEqual(chunks.map(\.payload.isLast), Array(repeating: false, count: 22) + [true])
        XCTAssertEqual(h.gateway.server.counters.imagesCompleted, 1)
        XCTAssertEqual(h.gateway.server.images.activeCount, 0)
        // The next upload gets the next transfer id.
        upload(h, GatewayImageTests.body(100), firstMID: 50)
        XCTAssertEqual(try GatewayImageTests.chunks(h.disk.bytes).last?.payload.transferID, 2)
    }

    func testNoContinueLeavesBeforeTheSyncThatCoversItsBlock() throws {
        let h = try GatewayHarness(durability: .sync)
        let body = GatewayImageTests.body(2_000)
        upload(h, body)
        var checked = 0
        for sent in h.network.sent {
            let reply = Reply(sent.bytes)
            guard reply.code == .continue || reply.code == .changed, let block1 = reply.uint(.block1) else { continue }
            let end = min(body.count, Int(block1 >> 4 + 1) * 256)
            let durable = try GatewayImageTests.chunks(GatewayHarness.syncedImage(h.disk, events: sent.diskEvents)).flatMap(\.bytes)
            XCTAssertGreaterThanOrEqual(durable.count, end, "block \(block1 >> 4) answered before its chunks were synced")
            XCTAssertEqual(Array(durable.prefix(end)), Array(body.prefix(end)))
            checked += 1
        }
        XCTAssertEqual(checked, 8)
    }

    /// The check above has teeth: without syncs (`none`), the answers leave before any sync.
    func testTheSyncCheckFindsContinuesWithoutSyncs() throws {
        let h = try GatewayHarness(durability: .none)
        upload(h, GatewayImageTests.body(2_000))
        let first = try XCTUnwrap(h.network.sent.first)
        XCTAssertEqual(Reply(first.bytes).code, .continue)
        XCTAssertEqual(try GatewayImageTests.chunks(GatewayHarness.syncedImage(h.disk, events: first.diskEvents)).count, 0)
    }

    func testAFailedCommitWithholdsTheContinue() throws {
        let h = try GatewayHarness(durability: .sync, pageBytes: 2048)
        let body = GatewayImageTests.body(1_000)
        h.disk.noSpace = true
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 1), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertFalse(replies(h).contains { $0.messageID == 1 }, "no 2.31 for a block whose commit failed")
        // Space again: the retransmission is answered (from the duplicate cache) once a commit
        // wrote the block, and the block is in the log once.
        h.disk.noSpace = false
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 1), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(replies(h).last { $0.messageID == 1 }?.code, .continue)
        XCTAssertEqual(try GatewayImageTests.chunks(h.disk.bytes).flatMap(\.bytes), Array(body.prefix(256)))
    }

    func testOutOfOrderAndMissingBlocksAre408AndEndTheTransferAborted() throws {
        let h = try GatewayHarness(durability: .sync)
        let body = GatewayImageTests.body(2_000)
        h.network.post(GatewayImageTests.block(body, number: 1, mid: 1), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(replies(h).last?.code, .requestEntityIncomplete, "no block 0 first")
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 2), from: GatewayHarness.peer(1))
        h.tick()
        h.network.post(GatewayImageTests.block(body, number: 2, mid: 3), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(replies(h).last?.code, .requestEntityIncomplete, "a gap: 0 then 2")
        h.tick()
        let chunks = try GatewayImageTests.chunks(h.disk.bytes)
        XCTAssertEqual(chunks.count, 3, "block 0's two chunks, then the abort")
        let abort = try XCTUnwrap(chunks.last)
        XCTAssertTrue(abort.payload.isAborted)
        XCTAssertEqual(abort.payload.transferID, 1)
        XCTAssertEqual(abort.payload.chunkIndex, 2)
        XCTAssertEqual(abort.payload.offsetBytes, 256, "what the log had of it")
        XCTAssertEqual(abort.bytes, [])
        XCTAssertEqual(h.gateway.server.counters.imagesAborted, 1)
        // A changed Content-Format mid-upload breaks it too.
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 4), from: GatewayHarness.peer(1))
        h.tick()
        h.network.post(GatewayImageTests.block(body, number: 1, mid: 5, format: 42), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(replies(h).last?.code, .requestEntityIncomplete)
    }

    func testAnUploadOverTheLimitIs413WithSize1AndEndsAborted() throws {
        let h = try GatewayHarness(durability: .sync)
        // Announced too large (Size1, RFC 7959 §4): refused before anything is kept.
        let big = GatewayImageTests.body(5_000)
        h.network.post(GatewayImageTests.block(big, number: 0, mid: 1, size1: 5_000), from: GatewayHarness.peer(1))
        h.tick()
        let announced = try XCTUnwrap(replies(h).last)
        XCTAssertEqual(announced.code, .requestEntityTooLarge)
        XCTAssertEqual(announced.uint(.size1), 4_096)
        XCTAssertEqual(try GatewayImageTests.chunks(h.disk.bytes).count, 0)
        // Not announced: refused at the block that passes the limit; the transfer ends aborted.
        let codes = upload(h, big, firstMID: 10)
        XCTAssertEqual(codes.prefix(17), ArraySlice(Array(repeating: CoAPCode.continue, count: 16) + [.requestEntityTooLarge]))
        h.tick()
        let chunks = try GatewayImageTests.chunks(h.disk.bytes)
        XCTAssertEqual(chunks.filter { !$0.payload.isAborted }.flatMap(\.bytes), Array(big.prefix(4_096)))
        XCTAssertEqual(chunks.filter(\.payload.isAborted).count, 1)
        // A lower limit by option.
        h.gateway.server.setImageLimit(bytes: 300)
        h.network.post(GatewayImageTests.block(big, number: 0, mid: 100, size1: 301), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(replies(h).last?.uint(.size1), 300)
        // 0: no images at all.
        h.gateway.server.setImageLimit(bytes: 0)
        h.network.post(GatewayImageTests.block(big, number: 0, mid: 101), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(replies(h).last?.code, .notFound)
    }

    func testAnIdleTransferEndsAbortedInTheLog() throws {
        let h = try GatewayHarness(durability: .sync)
        let body = GatewayImageTests.body(2_000)
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 1), from: GatewayHarness.peer(1))
        h.tick()
        h.tick(advanceMs: ImageTransferTable.idleLimitMs + 1)
        h.tick()
        let chunks = try GatewayImageTests.chunks(h.disk.bytes)
        XCTAssertEqual(chunks.last?.payload.isAborted, true)
        XCTAssertEqual(h.gateway.server.counters.imagesExpired, 1)
        XCTAssertEqual(h.gateway.server.images.activeCount + h.gateway.server.images.abortsPending, 0)
        // The late block 1 finds no transfer.
        h.network.post(GatewayImageTests.block(body, number: 1, mid: 2), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(replies(h).last?.code, .requestEntityIncomplete)
    }

    func testOneSourceHoldsAtMostItsShareOfTransfers() throws {
        let h = try GatewayHarness(durability: .sync)
        let body = GatewayImageTests.body(2_000)
        // Two ports of one address: the second transfer is over the source's share (1 of 2).
        var first = GatewayHarness.peer(1)
        var second = first
        second.port &+= 1
        first.port &+= 0
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 1, camera: "a"), from: first)
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 2, camera: "b"), from: second)
        h.tick()
        let answers = replies(h)
        XCTAssertEqual(answers.first { $0.messageID == 1 }?.code, .continue)
        XCTAssertEqual(answers.first { $0.messageID == 2 }?.code, .serviceUnavailable)
        XCTAssertNotNil(answers.first { $0.messageID == 2 }?.uint(.maxAge))
        // Another address takes the other slot.
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 3, camera: "c"), from: GatewayHarness.peer(2))
        h.tick()
        XCTAssertEqual(replies(h).last?.code, .continue)
        XCTAssertEqual(h.gateway.server.images.activeCount, 2)
    }

    func testWhileSourcesCompeteABlockPaysAReadingTokenPerRecord() throws {
        let h = try GatewayHarness(durability: .sync)
        // A bucket of 10 reading tokens: five 256-byte blocks (two records each).
        h.gateway.server.fairness = FairnessSettings(readingsPerS: 5)
        h.network.post(GatewayHarness.reading(1, mid: 500), from: GatewayHarness.peer(2))
        h.tick(advanceMs: 0)
        let body = GatewayImageTests.body(4_000)
        for n in 0..<8 { h.network.post(GatewayImageTests.block(body, number: n, mid: UInt16(1 + n)), from: GatewayHarness.peer(1)) }
        h.tick(advanceMs: 0)
        let answered = replies(h).filter { $0.messageID >= 1 && $0.messageID <= 8 }
        XCTAssertEqual(answered.map(\.code), Array(repeating: CoAPCode.continue, count: 5), "the rest dropped unanswered")
        XCTAssertEqual(h.gateway.server.counters.sourceReadingRate, 3)
        XCTAssertEqual(try GatewayImageTests.chunks(h.disk.bytes).flatMap(\.bytes), Array(body.prefix(5 * 256)))
    }

    func testARestartEndsTheUnfinishedTransferAbortedAndContinuesTheIds() throws {
        let h = try GatewayHarness(durability: .sync)
        upload(h, GatewayImageTests.body(300))  // transfer 1, complete
        let body = GatewayImageTests.body(2_000)
        h.network.post(GatewayImageTests.block(body, number: 0, mid: 20), from: GatewayHarness.peer(1))
        h.network.post(GatewayImageTests.block(body, number: 1, mid: 21), from: GatewayHarness.peer(1))
        h.tick()  // transfer 2 stops here: the gateway "restarts"
        // A new server restored from the log's records.
        let memory = UnsafeMutableRawPointer.allocate(byteCount: Server<ProfileTest>.arenaBytes(after: 0) + 4096, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: Server<ProfileTest>.arenaBytes(after: 0) + 4096)
        var server = Server<ProfileTest>(
            arena: &arena, identity: ServerIdentity(nodeId: SensorName("node-1"), profile: ProfileTest.name, startMs: GatewayHarness.startMs))
        let disk = SimDisk(bytes: h.disk.bytes)
        let buffer = LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: GatewayHarness.geometry, pageBytes: 512) + 4096)
        var logArena = buffer.arena()
        var store = try LogStore(
            device: PowerCutDevice(disk), arena: &logArena, geometry: GatewayHarness.geometry, pageBytes: 512, policy: .dropOldest,
            formatIfBlank: true)
        for record in try readAll(&store) { server.restore(record, pass: .originals, nowMs: GatewayHarness.startMs) }
        XCTAssertEqual(server.images.nextID, 3)
        XCTAssertEqual(server.images.abortsPending, 1)
        var consumer = RecordingImageConsumer()
        server.drainOutbox(into: &consumer)
        XCTAssertEqual(consumer.chunks.count, 1)
        XCTAssertEqual(consumer.chunks.first?.transferID, 2)
        XCTAssertEqual(consumer.chunks.first?.flags, LogImageChunkPayload.flagAborted)
        XCTAssertEqual(consumer.chunks.first?.offsetBytes, 512)
        XCTAssertEqual(consumer.chunks.first?.chunkIndex, 4)
        XCTAssertEqual(server.images.abortsPending, 0)
    }

    func testSteadyImageUploadsAllocateNothing() throws {
        let h = try GatewayHarness(durability: .sync, pageBytes: 512)
        // Uploads of 1 000 bytes in 256-byte blocks, one block per tick, all built beforehand.
        let body = GatewayImageTests.body(1_000)
        var ends: [Int] = []
        var mid: UInt16 = 1
        for _ in 0..<300 {
            for n in 0..<4 {
                h.network.post(GatewayImageTests.block(body, number: n, mid: mid), from: GatewayHarness.peer(1))
                mid &+= 1
                ends.append(h.network.inbound.count)
            }
        }
        h.network.recordSent = false
        h.disk.recording = false
        var counting = false
        for tick in 0..<ends.count {
            if tick == 40 {
                malloc_counter_start()
                counting = true
            }
            h.network.deliverUpTo = ends[tick]
            h.tick()
        }
        let allocations = counting ? malloc_counter_stop() : 0
        XCTAssertEqual(allocations, 0)
        XCTAssertEqual(h.gateway.server.counters.imagesCompleted, 300)
        XCTAssertEqual(h.network.sentCount, 1_200)
    }
}

/// Keeps the image chunks the server drains (the outbox events are dropped).
struct RecordingImageConsumer: OutboxConsumer {
    var chunks: [ImageChunk] = []
    mutating func consume(_ event: OutboxEvent, sensor: SensorName) {}
    mutating func consumeImageChunk(_ chunk: ImageChunk) -> Bool {
        chunks.append(chunk)
        return true
    }
}
