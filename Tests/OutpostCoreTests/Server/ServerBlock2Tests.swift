import CMallocCounter
import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// Block2 (RFC 7959) transfers of bodies that change between block requests: every block of one
/// transfer comes from the copy taken at block 0, with one ETag; slots run out, expire, are reused.
final class ServerBlock2Tests: XCTestCase {
    /// One GET transfer as a client runs it, with `between` run before every block request after block 0.
    struct Transfer {
        var body: [UInt8] = []
        var replies: [Reply] = []
        var eTags: Set<[UInt8]> { Set(replies.map { $0.eTag }) }
    }

    /// GETs `path` from `peer` block by block: block 0 without a Block2 option (or with `exponent`),
    /// then each next block with the size the server chose, as libcoap does.
    func fetch<P: Profile>(
        _ h: ServerHarness<P>, _ path: String, from peer: Endpoint = ServerHarness<P>.peer(1), exponent: UInt8? = nil,
        accept: UInt32? = nil, firstMID: UInt16 = 1, between: () -> Void = {}
    ) throws -> Transfer {
        var transfer = Transfer()
        var number: UInt32 = 0
        var szx: UInt32 = exponent.map { UInt32($0) } ?? 6
        for step in 0..<400 {
            if step > 0 { between() }
            var options: [(UInt16, [UInt8])] = []
            if let accept { options.append(Request.uint(.accept, accept)) }
            if number > 0 || exponent != nil { options.append(Request.uint(.block2, number << 4 | szx)) }
            // A new token per block request, as libcoap sends: the transfer must not depend on it.
            let token: [UInt8] = [0xC0, UInt8(truncatingIfNeeded: step)]
            let mid = firstMID &+ UInt16(truncatingIfNeeded: step)
            let reply = try XCTUnwrap(h.exchange(Request.make(mid: mid, token: token, path: path, options: options), from: peer))
            XCTAssertEqual(reply.code, .content, "block \(number): \(reply.text)")
            transfer.replies.append(reply)
            transfer.body += reply.payload
            guard let block = reply.uint(.block2) else { return transfer }
            XCTAssertEqual(block >> 4, number)
            szx = block & 7
            if block & 8 == 0 { return transfer }
            number += 1
        }
        XCTFail("too many blocks")
        return transfer
    }

    /// Moves the counters `/health` and `/metrics` show: a reading from another peer, 7 ms later.
    func churn<P: Profile>(_ h: ServerHarness<P>, mid: inout UInt16) {
        mid &+= 1
        h.nowMs += 7
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("churn", 21), mid: mid), from: ServerHarness<P>.peer(900))?.code, .changed)
    }

    func object(_ payload: [UInt8]) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any], String(decoding: payload, as: UTF8.self))
    }

    /// The samples of a Prometheus text body.
    func samples(_ body: [UInt8]) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.count, 2, String(line))
            samples[String(parts[0])] = Double(parts[1])
        }
        return samples
    }

    // MARK: - Changing resources

    func testChangingHealthIsTransferredWithOneETag() throws {
        let h = ServerHarness<ProfileTest>()
        var mid: UInt16 = 10_000
        let before = h.server.counters.requests
        let transfer = try fetch(h, "health", exponent: 1) { churn(h, mid: &mid) }
        XCTAssertGreaterThan(transfer.replies.count, 10, "32-byte blocks of a ~500-byte body")
        XCTAssertEqual(transfer.eTags.count, 1, "one representation")
        XCTAssertEqual(transfer.replies.first?.uint(.size2), UInt32(transfer.body.count))
        let health = try object(transfer.body)
        // The body is the state at block 0: its own request counted, none of the churn.
        let counters = try XCTUnwrap(health["counters"] as? [String: Any])
        XCTAssertEqual(counters["requests"] as? Int, Int(before) + 1)
        XCTAssertEqual(counters["readings_accepted"] as? Int, 0)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, UInt64(transfer.replies.count - 1), "the churn did happen")
        XCTAssertEqual(h.server.counters.block2SnapshotsTaken, 1)
        XCTAssertEqual(h.server.counters.block2BlocksFromSnapshot, UInt64(transfer.replies.count - 1))
        XCTAssertEqual(h.server.counters.block2BlocksFresh, 0)
        // The old behaviour would have failed: a fresh rendering now differs from the copy.
        let fresh = try fetch(h, "health", exponent: 1, firstMID: 20_000)
        XCTAssertNotEqual(fresh.eTags, transfer.eTags)
    }

    func testChangingMetricsOnMediumIsTransferredWithOneETag() throws {
        let h = ServerHarness<ProfileMedium>()
        var mid: UInt16 = 10_000
        let transfer = try fetch(h, "metrics") { churn(h, mid: &mid) }
        XCTAssertGreaterThanOrEqual(transfer.replies.count, 3, "1024-byte blocks of a ~3.5 KiB body")
        XCTAssertEqual(transfer.eTags.count, 1)
        let values = samples(transfer.body)
        XCTAssertEqual(values["outpost_datagrams_total"], 1, "the state at block 0")
        XCTAssertEqual(values["outpost_readings_total"], 0)
        XCTAssertEqual(values["outpost_tick_latency_seconds_count"], 0, "the body is complete to its last line")
        // A second transfer sees the churn and the first transfer's copy.
        let second = try fetch(h, "metrics", firstMID: 20_000)
        let now = samples(second.body)
        XCTAssertEqual(now["outpost_readings_total"], Double(transfer.replies.count - 1))
        XCTAssertEqual(now["outpost_block2_snapshots_total{result=\"taken\"}"], 1, "rendered before its own copy was taken")
        XCTAssertEqual(now["outpost_block2_later_blocks_total{source=\"snapshot\"}"], Double(transfer.replies.count - 1))
        XCTAssertEqual(now["outpost_block2_later_blocks_total{source=\"fresh\"}"], 0)
    }

    func testLowProfileHealthAndMetricsInSmallDatagrams() throws {
        let h = ServerHarness<ProfileLow>()
        var mid: UInt16 = 10_000
        for path in ["health", "metrics"] {
            let transfer = try fetch(h, path, firstMID: path == "health" ? 1 : 1_000) { churn(h, mid: &mid) }
            XCTAssertGreaterThan(transfer.replies.count, 1, path)
            XCTAssertTrue(transfer.replies.allSatisfy { $0.bytes.count <= ProfileLow.maxDatagramBytes })
            XCTAssertEqual(transfer.eTags.count, 1, path)
            XCTAssertEqual(transfer.replies.first?.uint(.size2), UInt32(transfer.body.count))
            if path == "health" { XCTAssertNotNil(try object(transfer.body)["counters"]) }
        }
        XCTAssertEqual(h.server.counters.block2SnapshotsTaken, 2)
        XCTAssertEqual(h.server.counters.block2SnapshotsRefused, 0)
        XCTAssertEqual(h.server.snapshots.capacity, 1)
    }

    func testCBORAndJSONOfOneResourceAreSeparateTransfers() throws {
        let h = ServerHarness<ProfileMedium>()  // 2 slots
        let peer = ServerHarness<ProfileMedium>.peer(3)
        func block(_ n: UInt32, accept: UInt32, mid: UInt16) throws -> Reply {
            let options = [Request.uint(.accept, accept), Request.uint(.block2, n << 4 | 1)]
            return try XCTUnwrap(h.exchange(Request.make(mid: mid, path: "health", options: options), from: peer))
        }
        let json0 = try block(0, accept: 50, mid: 1)
        let cbor0 = try block(0, accept: 60, mid: 2)
        var mid: UInt16 = 100
        churn(h, mid: &mid)
        let json1 = try block(1, accept: 50, mid: 3)
        let cbor1 = try block(1, accept: 60, mid: 4)
        XCTAssertEqual(json1.eTag, json0.eTag)
        XCTAssertEqual(cbor1.eTag, cbor0.eTag)
        XCTAssertNotEqual(json0.eTag, cbor0.eTag)
        XCTAssertEqual(json1.uint(.contentFormat), 50)
        XCTAssertEqual(cbor1.uint(.contentFormat), 60)
        XCTAssertEqual(h.server.counters.block2BlocksFromSnapshot, 2)
    }

    // MARK: - Restart, retransmission, ETag in the request

    func testBlockZeroAgainRestartsTheTransferInTheSameSlot() throws {
        let h = ServerHarness<ProfileTest>()
        let peer = ServerHarness<ProfileTest>.peer(1)
        var mid: UInt16 = 10_000
        func get(_ n: UInt32, mid: UInt16) throws -> Reply {
            try XCTUnwrap(h.exchange(Request.make(mid: mid, path: "health", options: [Request.uint(.block2, n << 4 | 2)]), from: peer))
        }
        let first0 = try get(0, mid: 1)
        churn(h, mid: &mid)
        XCTAssertEqual(try get(1, mid: 2).eTag, first0.eTag)
        churn(h, mid: &mid)
        let again0 = try get(0, mid: 3)
        XCTAssertNotEqual(again0.eTag, first0.eTag, "a new block 0 renders the current state")
        XCTAssertEqual(h.server.snapshots.liveCount(nowMs: h.nowMs), 1, "the transfer kept its one slot")
        // The rest of the restarted transfer comes from the new copy, whole and consistent.
        var body = again0.payload
        var n: UInt32 = 1
        var reply = again0
        while reply.uint(.block2).map({ $0 & 8 != 0 }) ?? false {
            churn(h, mid: &mid)
            reply = try get(n, mid: UInt16(3 + n))
            XCTAssertEqual(reply.eTag, again0.eTag, "block \(n)")
            body += reply.payload
            n += 1
            if n > 100 { return XCTFail("too many blocks") }
        }
        XCTAssertEqual(UInt32(body.count), again0.uint(.size2))
        XCTAssertNotNil(try object(body)["counters"])
        XCTAssertEqual(h.server.counters.block2SnapshotsTaken, 2)
        XCTAssertEqual(h.server.counters.block2SnapshotsRefused, 0)
    }

    func testRetransmittedBlockZeroIsAnsweredFromTheCopy() throws {
        let h = ServerHarness<ProfileTest>()
        // 256-byte blocks: too large for the duplicate cache, so a retransmission is processed again.
        let request = Request.make(mid: 77, path: "health", options: [Request.uint(.block2, 4)])
        let first = try XCTUnwrap(h.exchange(request))
        var mid: UInt16 = 10_000
        churn(h, mid: &mid)
        // The same CON (same message ID), as if our answer was lost.
        let again = try XCTUnwrap(h.exchange(request))
        XCTAssertEqual(h.server.counters.duplicatesReprocessed, 1)
        XCTAssertEqual(again.eTag, first.eTag)
        XCTAssertEqual(again.payload, first.payload)
        XCTAssertEqual(again.uint(.size2), first.uint(.size2))
        // A new message ID is a new block 0: the current state.
        let fresh = try XCTUnwrap(h.exchange(Request.make(mid: 78, path: "health", options: [Request.uint(.block2, 4)])))
        XCTAssertNotEqual(fresh.eTag, first.eTag)
    }

    func testRequestETagOfAnotherRepresentationGetsAFreshBlock() throws {
        let h = ServerHarness<ProfileTest>()
        let first = try XCTUnwrap(h.exchange(Request.make(mid: 1, path: "health", options: [Request.uint(.block2, 2)])))
        var mid: UInt16 = 10_000
        churn(h, mid: &mid)
        let block1 = Request.uint(.block2, 1 << 4 | 2)
        // Naming the copy's ETag: served from the copy.
        let same = try XCTUnwrap(h.exchange(Request.make(mid: 2, path: "health", options: [(CoAPOptionNumber.eTag.rawValue, first.eTag), block1])))
        XCTAssertEqual(same.eTag, first.eTag)
        XCTAssertEqual(h.server.counters.block2BlocksFromSnapshot, 1)
        // Naming only another ETag: the client holds something else, the block is rendered fresh.
        let other = try XCTUnwrap(h.exchange(Request.make(mid: 3, path: "health", options: [(CoAPOptionNumber.eTag.rawValue, [1, 2, 3, 4]), block1])))
        XCTAssertEqual(other.code, .content)
        XCTAssertNotEqual(other.eTag, first.eTag)
        XCTAssertEqual(h.server.counters.block2BlocksFresh, 1)
        // The copy is still there for the client that has it.
        let still = try XCTUnwrap(h.exchange(Request.make(mid: 4, path: "health", options: [Request.uint(.block2, 2 << 4 | 2)])))
        XCTAssertEqual(still.eTag, first.eTag)
    }

    func testWholeAnswerDropsTheTransfersCopy() throws {
        let h = ServerHarness<ProfileTest>()
        XCTAssertEqual(try XCTUnwrap(h.exchange(Request.make(mid: 1, path: "health", options: [Request.uint(.block2, 2)]))).code, .content)
        XCTAssertEqual(h.server.snapshots.liveCount(nowMs: h.nowMs), 1)
        // The same peer GETs it whole (it fits a 1152-byte datagram): the copy serves nobody now.
        let whole = try XCTUnwrap(h.exchange(Request.make(mid: 2, path: "health")))
        XCTAssertFalse(whole.has(.block2))
        XCTAssertEqual(h.server.snapshots.liveCount(nowMs: h.nowMs), 0)
    }

    // MARK: - Slots: none free, too large, expiry, reuse

    func testNoFreeSlotServesBlockZeroAndLaterBlocksFresh() throws {
        let h = ServerHarness<ProfileTest>()  // 1 slot
        let a = ServerHarness<ProfileTest>.peer(1), b = ServerHarness<ProfileTest>.peer(2)
        func get(_ n: UInt32, mid: UInt16, from peer: Endpoint) throws -> Reply {
            try XCTUnwrap(h.exchange(Request.make(mid: mid, path: "health", options: [Request.uint(.block2, n << 4 | 2)]), from: peer))
        }
        let a0 = try get(0, mid: 1, from: a)
        let b0 = try get(0, mid: 1, from: b)
        XCTAssertEqual(b0.code, .content, "block 0 is served without a slot")
        XCTAssertNotNil(b0.uint(.size2))
        XCTAssertEqual(h.server.counters.block2SnapshotsTaken, 1)
        XCTAssertEqual(h.server.counters.block2SnapshotsRefused, 1)
        var mid: UInt16 = 10_000
        churn(h, mid: &mid)
        let b1 = try get(1, mid: 2, from: b)
        XCTAssertEqual(b1.code, .content)
        XCTAssertNotEqual(b1.eTag, b0.eTag, "rendered fresh: the old behaviour")
        XCTAssertEqual(h.server.counters.block2BlocksFresh, 1)
        XCTAssertEqual(try get(1, mid: 2, from: a).eTag, a0.eTag, "the slot's owner is unaffected")
        XCTAssertEqual(h.server.counters.block2BlocksFromSnapshot, 1)
    }

    func testBodyLargerThanASlotIsSentAsRendered() throws {
        let h = ServerHarness<ProfileTest>()  // 1 slot of 768 bytes; metrics are about 3.5 KiB
        let m0 = try XCTUnwrap(h.exchange(Request.make(mid: 1, path: "metrics", options: [Request.uint(.block2, 6)])))
        XCTAssertGreaterThan(Int(try XCTUnwrap(m0.uint(.size2))), ProfileTest.block2SnapshotBytes)
        XCTAssertEqual(h.server.counters.block2SnapshotsRefused, 1)
        XCTAssertEqual(h.server.snapshots.liveCount(nowMs: h.nowMs), 0)
        let m1 = try XCTUnwrap(h.exchange(Request.make(mid: 2, path: "metrics", options: [Request.uint(.block2, 1 << 4 | 6)])))
        XCTAssertEqual(m1.code, .content)
        XCTAssertEqual(h.server.counters.block2BlocksFresh, 1)
    }

    func testLaterBlockWithoutACopyIsRenderedFresh() throws {
        let h = ServerHarness<ProfileTest>()
        let reply = try XCTUnwrap(h.exchange(Request.make(mid: 1, path: "health", options: [Request.uint(.block2, 3 << 4 | 2)])))
        XCTAssertEqual(reply.code, .content)
        XCTAssertEqual(reply.uint(.block2).map { $0 >> 4 }, 3)
        XCTAssertEqual(reply.payload.count, 64)
        XCTAssertEqual(h.server.counters.block2BlocksFresh, 1)
        XCTAssertEqual(h.server.counters.block2SnapshotsTaken, 0, "only block 0 takes a copy")
        // Beyond the body without a copy: 4.02, as before.
        XCTAssertEqual(h.exchange(Request.make(mid: 2, path: "health", options: [Request.uint(.block2, 500 << 4 | 2)]))?.code, .badOption)
    }

    func testCopyExpiresAfterItsLifetime() throws {
        let h = ServerHarness<ProfileTest>()
        let a = ServerHarness<ProfileTest>.peer(1), b = ServerHarness<ProfileTest>.peer(2)
        func get(_ n: UInt32, mid: UInt16, from peer: Endpoint) throws -> Reply {
            try XCTUnwrap(h.exchange(Request.make(mid: mid, path: "health", options: [Request.uint(.block2, n << 4 | 2)]), from: peer))
        }
        let a0 = try get(0, mid: 1, from: a)
        h.nowMs += Block2Snapshots.lifetimeMs - 1
        XCTAssertEqual(try get(1, mid: 2, from: a).eTag, a0.eTag, "still within the lifetime")
        h.nowMs += 1
        let late = try get(2, mid: 3, from: a)
        XCTAssertEqual(late.code, .content)
        XCTAssertNotEqual(late.eTag, a0.eTag, "too old: rendered fresh")
        XCTAssertEqual(h.server.counters.block2BlocksFresh, 1)
        XCTAssertEqual(h.server.snapshots.liveCount(nowMs: h.nowMs), 0)
        // An expired slot is free for another peer (freed by tick, or taken over at block 0).
        _ = try get(0, mid: 4, from: a)
        h.tick(advanceMs: Block2Snapshots.lifetimeMs)
        XCTAssertEqual(h.server.snapshots.liveCount(nowMs: h.nowMs), 0)
        let b0 = try get(0, mid: 5, from: b)
        XCTAssertEqual(h.server.counters.block2SnapshotsRefused, 0)
        var mid: UInt16 = 10_000
        churn(h, mid: &mid)
        XCTAssertEqual(try get(1, mid: 6, from: b).eTag, b0.eTag)
    }

    func testFinishedTransferYieldsItsSlotButStillAnswersItsLastBlock() throws {
        let h = ServerHarness<ProfileTest>()  // 1 slot
        let a = ServerHarness<ProfileTest>.peer(1), b = ServerHarness<ProfileTest>.peer(2)
        var mid: UInt16 = 10_000
        let transfer = try fetch(h, "health", from: a, exponent: 4) { churn(h, mid: &mid) }
        XCTAssertEqual(transfer.eTags.count, 1)
        let last = try XCTUnwrap(transfer.replies.last)
        let lastNumber = try XCTUnwrap(last.uint(.block2)) >> 4
        // A retransmitted last request (its answer was lost) still gets the same block.
        let lastAgain = try XCTUnwrap(h.exchange(Request.make(mid: 999, path: "health", options: [Request.uint(.block2, lastNumber << 4 | 4)]), from: a))
        XCTAssertEqual(lastAgain.payload, last.payload)
        XCTAssertEqual(lastAgain.eTag, last.eTag)
        // Another peer's block 0 takes over the finished transfer's slot.
        let b0 = try XCTUnwrap(h.exchange(Request.make(mid: 1, path: "health", options: [Request.uint(.block2, 4)]), from: b))
        XCTAssertEqual(h.server.counters.block2SnapshotsRefused, 0)
        churn(h, mid: &mid)
        let b1 = try XCTUnwrap(h.exchange(Request.make(mid: 2, path: "health", options: [Request.uint(.block2, 1 << 4 | 4)]), from: b))
        XCTAssertEqual(b1.eTag, b0.eTag)
    }

    // MARK: - Memory

    func testSnapshotsAreInTheArenaAndTheFootprint() {
        func check<P: Profile>(_ profile: P.Type) {
            let h = ServerHarness<P>()
            XCTAssertEqual(h.server.snapshots.capacity, P.block2SnapshotCount, "\(P.name)")
            XCTAssertEqual(h.server.snapshots.slotBytes, P.block2SnapshotBytes, "\(P.name)")
            XCTAssertGreaterThanOrEqual(
                Server<P>.arenaBytes(after: 0),
                Pipeline<P>.arenaBytesRequired + P.responseBodyBytes + P.block2SnapshotCount * P.block2SnapshotBytes, "\(P.name)")
            XCTAssertLessThanOrEqual(Server<P>.footprintBytes, P.footprintLimitBytes, "\(P.name)")
        }
        check(ProfileLow.self)
        check(ProfileMedium.self)
        check(ProfileHigh.self)
        check(ProfileTest.self)
    }

    /// Thousands of block-wise transfers by many peers, with churn, slot exhaustion, expiry and
    /// restarts: nothing is allocated once started.
    func testBlockwiseTransfersAllocateNothing() {
        func run<P: Profile>(_ profile: P.Type) -> (allocations: UInt64, fromSnapshot: UInt64, fresh: UInt64) {
            let h = ServerHarness<P>()
            let peers = (0..<8).map { ServerHarness<P>.peer($0) }
            let paths = ["health", "metrics", "sensors"]
            // Every request built before counting, back to back: bytes, and (start, end, peer) each.
            var bytes: [UInt8] = []
            var spans: [(start: Int, end: Int, peer: Int)] = []
            func add(_ datagram: [UInt8], peer: Int) {
                spans.append((bytes.count, bytes.count + datagram.count, peer))
                bytes += datagram
            }
            var next = [Int](repeating: 0, count: peers.count)
            var mid: UInt16 = 0
            for i in 0..<20_000 {
                let peer = i % peers.count
                mid &+= 1
                if i % 5 == 0 {
                    add(Request.post(Request.temperature("s\(i % 3)", 21), mid: mid), peer: peer)
                    continue
                }
                // Each peer walks blocks 0...5 of one resource, then moves to the next resource.
                let path = paths[(next[peer] / 6 + peer) % paths.count]
                let number = next[peer] % 6
                next[peer] += 1
                add(Request.make(mid: mid, path: path, options: [Request.uint(.block2, UInt32(number) << 4 | 2)]), peer: peer)
            }
            // Warm-up outside the count: a reading and one rendering of each resource.
            _ = h.send(Request.post(Request.temperature("s0", 21), mid: 60_000), from: peers[0])
            for (n, path) in paths.enumerated() { _ = h.send(Request.make(mid: UInt16(60_001 + n), path: path), from: peers[0]) }
            var sink = CountingSink()
            h.server.tick(nowMs: h.nowMs, into: &sink)
            let response = h.response
            var nowMs = h.nowMs
            malloc_counter_start()
            bytes.withUnsafeBytes { all in
                for k in 0..<spans.count {
                    let span = spans[k]
                    let datagram = UnsafeRawBufferPointer(rebasing: all[span.start..<span.end])
                    _ = h.server.handle(datagram: datagram, from: peers[span.peer], nowMs: nowMs, response: response)
                    nowMs += 3
                    if k % 50 == 0 { h.server.tick(nowMs: nowMs, into: &sink) }
                }
            }
            let allocations = malloc_counter_stop()
            return (allocations, h.server.counters.block2BlocksFromSnapshot, h.server.counters.block2BlocksFresh)
        }
        for result in [run(ProfileMedium.self), run(ProfileTest.self)] {
            XCTAssertEqual(result.allocations, 0)
            XCTAssertGreaterThan(result.fromSnapshot, 100)
            XCTAssertGreaterThan(result.fresh, 0, "exhaustion and expiry paths ran too")
        }
    }
}

extension Reply {
    /// The ETag option's value (empty when absent).
    var eTag: [UInt8] { options.first { $0.number == CoAPOptionNumber.eTag.rawValue }?.value ?? [] }
}
