import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest

/// The fairness rules of the server (docs/SECURITY.md, "Fair service"): the source table and its
/// token buckets, the per-source shares of sensors, Block1 slots and observers, Observe leases,
/// the amplification limit and read-only listeners.
final class SourceTableTests: XCTestCase {
    let settings = FairnessSettings(requestsPerS: 10, readingsPerS: 100, observeLeaseS: 60, amplificationFactor: 4)

    func table(slots: Int) -> (SourceTable, UnsafeMutableRawPointer) {
        let bytes = SourceTable.arenaBytes(after: 0, slotCount: slots) + 64
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        var arena = Arena(base: memory, sizeBytes: bytes)
        return (SourceTable(arena: &arena, slotCount: slots), memory)
    }

    func testRequestBucketHoldsTwoSecondsAndRefillsAtItsRate() {
        var (t, memory) = table(slots: 8)
        defer { memory.deallocate() }
        let peer = Endpoint.ipv4(10, 0, 0, 1, port: 5000)
        var nowMs: Int64 = 1_000_000
        var taken = 0
        for _ in 0..<50 where t.takeRequest(t.lookup(peer, nowMs: nowMs, settings: settings)) { taken += 1 }
        XCTAssertEqual(taken, 20, "a full bucket: two seconds at 10/s")
        nowMs += 500
        taken = 0
        for _ in 0..<50 where t.takeRequest(t.lookup(peer, nowMs: nowMs, settings: settings)) { taken += 1 }
        XCTAssertEqual(taken, 5, "half a second refills five")
        // Another port of the same address is the same source; another address is not.
        XCTAssertFalse(t.takeRequest(t.lookup(.ipv4(10, 0, 0, 1, port: 6000), nowMs: nowMs, settings: settings)))
        XCTAssertTrue(t.takeRequest(t.lookup(.ipv4(10, 0, 0, 2, port: 5000), nowMs: nowMs, settings: settings)))
        // A clock that went back refills nothing and takes nothing away.
        XCTAssertFalse(t.takeRequest(t.lookup(peer, nowMs: nowMs - 5_000, settings: settings)))
    }

    func testReadingBucketAndContention() {
        var (t, memory) = table(slots: 8)
        defer { memory.deallocate() }
        let a = t.lookup(.ipv4(10, 0, 0, 1, port: 1), nowMs: 5_000, settings: settings)
        XCTAssertFalse(t.contended, "one source is nobody's competitor")
        XCTAssertTrue(t.takeReadings(a, count: 150))
        XCTAssertFalse(t.takeReadings(a, count: 60), "200 in the bucket, 150 taken")
        XCTAssertTrue(t.overShare(a, settings: settings), "less than half the bucket left")
        let b = t.lookup(.ipv4(10, 0, 0, 2, port: 1), nowMs: 5_100, settings: settings)
        XCTAssertTrue(t.contended)
        XCTAssertFalse(t.overShare(b, settings: settings))
        _ = t.lookup(.ipv4(10, 0, 0, 2, port: 1), nowMs: 6_100, settings: settings)
        XCTAssertTrue(t.contended, "the second before still had two sources")
        _ = t.lookup(.ipv4(10, 0, 0, 2, port: 1), nowMs: 8_100, settings: settings)
        XCTAssertFalse(t.contended, "two quiet seconds later only one")
    }

    func testAFullTableSharesOneEntryAndIdleEntriesAreTakenOver() {
        var (t, memory) = table(slots: 4)
        defer { memory.deallocate() }
        var indexes = Set<Int>()
        for n in 0..<40 { indexes.insert(t.lookup(.ipv4(10, 1, 0, UInt8(n), port: 1), nowMs: 1_000, settings: settings)) }
        XCTAssertEqual(t.count, 4, "bounded")
        XCTAssertTrue(indexes.contains(t.othersIndex), "the rest share one entry")
        XCTAssertEqual(indexes.count, 5)
        XCTAssertGreaterThan(t.othersDatagrams, 0)
        // The shared entry's bucket is shared: 40 sources, 36 of them in it, 20 tokens.
        var taken = 0
        for n in 4..<40 where t.takeRequest(t.lookup(.ipv4(10, 1, 0, UInt8(n), port: 1), nowMs: 1_000, settings: settings)) { taken += 1 }
        XCTAssertLessThanOrEqual(taken, 20)
        // A minute later the idle entries go to new sources.
        let fresh = t.lookup(.ipv4(10, 2, 0, 1, port: 1), nowMs: 1_000 + SourceTable.idleMs, settings: settings)
        XCTAssertNotEqual(fresh, t.othersIndex)
        XCTAssertEqual(t.evictions, 1)
    }

    func testSensorReserveIsKeptForSmallSources() {
        let h = ServerHarness<ProfileMedium>()
        let flooder = ServerHarness<ProfileMedium>.peer(1)
        let capacity = ProfileMedium.sensorCapacity
        var accepted = 0
        for i in 0..<capacity {
            let reply = h.exchange(Request.post(Request.temperature("flood-\(i)", 21), mid: UInt16(i + 1)), from: flooder)
            if reply?.code == .changed { accepted += 1 }
            h.nowMs += 20
        }
        XCTAssertEqual(accepted, capacity - ProfileMedium.sensorReserve, "one source stops at the reserve")
        XCTAssertGreaterThan(h.server.counters.sourceSensorShare, 0)
        // A new source still finds room, up to its share.
        let honest = ServerHarness<ProfileMedium>.peer(2)
        for i in 0..<ProfileMedium.sourceSensorShareMin {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("honest-\(i)", 21), mid: UInt16(500 + i)), from: honest)?.code, .changed)
        }
        let over = h.exchange(Request.post(Request.temperature("honest-x", 21), mid: 600), from: honest)
        XCTAssertEqual(over?.code, .serviceUnavailable, "above its share a small source is held too")
        // Known sensors are always served.
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("flood-0", 22), mid: 700), from: flooder)?.code, .changed)
    }

    func testRequestsAboveTheRateAreDroppedAndCounted() {
        let h = ServerHarness<ProfileTest>()
        h.server.fairness = settings
        var answered = 0
        for i in 0..<100 where h.send(Request.make(mid: UInt16(i + 1), path: "health"), from: ServerHarness<ProfileTest>.peer(3)) != nil {
            answered += 1
        }
        XCTAssertEqual(answered, 20)
        XCTAssertEqual(h.server.counters.sourceRequestRate, 80)
        // Another source is served at once.
        XCTAssertEqual(h.exchange(Request.make(mid: 1, path: "health"), from: ServerHarness<ProfileTest>.peer(4))?.code, .content)
    }

    func testReadingsAboveTheRateAreDroppedUnrememberedWhileContended() {
        let h = ServerHarness<ProfileTest>()
        h.server.fairness = settings  // 100 readings/s, 200 in the bucket
        let flooder = ServerHarness<ProfileTest>.peer(5)
        _ = h.exchange(Request.make(mid: 1, path: "health"), from: ServerHarness<ProfileTest>.peer(6))  // a second source
        var changed = 0
        var silent = 0
        for i in 0..<300 {
            if h.server.outboxNeedsDrain { h.tick() }
            if let reply = h.exchange(Request.post(Request.temperature("s1", 21), mid: UInt16(i + 1)), from: flooder) {
                if reply.code == .changed { changed += 1 }
            } else {
                silent += 1
            }
        }
        XCTAssertEqual(changed, 200)
        XCTAssertEqual(silent, 100)
        XCTAssertEqual(h.server.counters.sourceReadingRate, 100)
        // The dropped CON was not remembered: its retransmission a second later is taken.
        h.nowMs += 1_000
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 300), from: flooder)?.code, .changed)
    }

    func testBlock1AndObserverShares() throws {
        let h = ServerHarness<ProfileMedium>()
        let source = { (port: UInt16) in Endpoint.ipv4(10, 9, 9, 9, port: port) }
        var busy = 0
        for k in 0..<ProfileMedium.block1SlotCount {
            let block0 = Request.make(
                .confirmable, .post, mid: UInt16(k + 1), path: "readings",
                options: [Request.uint(.contentFormat, 110), Request.uint(.block1, 0 << 4 | 1 << 3 | 2)],
                payload: Array(repeating: 0x20, count: 64))
            let reply = try XCTUnwrap(h.exchange(block0, from: source(UInt16(1000 + k))))
            if reply.code == .serviceUnavailable { busy += 1 }
        }
        XCTAssertEqual(busy, ProfileMedium.block1SlotCount - ProfileMedium.sourceBlock1Share)
        XCTAssertEqual(h.server.counters.sourceBlock1Share, UInt64(busy))
        XCTAssertEqual(h.server.block1.busyCount, ProfileMedium.sourceBlock1Share, "the other slots stay free for others")

        var observing = 0
        for k in 0..<ProfileMedium.observerCount {
            let get = Request.make(mid: UInt16(100 + k), token: [UInt8(k)], path: "alerts", options: [Request.uint(.observe, 0)])
            if try XCTUnwrap(h.exchange(get, from: source(UInt16(2000 + k)))).has(.observe) { observing += 1 }
        }
        XCTAssertEqual(observing, ProfileMedium.sourceObserverShare)
        XCTAssertGreaterThan(h.server.counters.sourceObserverShare, 0)
        // A renewal of a registration it holds is not a new one.
        let renew = Request.make(mid: 300, token: [0], path: "alerts", options: [Request.uint(.observe, 0)])
        XCTAssertTrue(try XCTUnwrap(h.exchange(renew, from: source(2000))).has(.observe))
    }

    func testObserveRegistrationsExpireUnlessRenewed() throws {
        let h = ServerHarness<ProfileTest>()
        h.server.fairness = settings  // 60 s lease
        let kept = ServerHarness<ProfileTest>.peer(7)
        let gone = ServerHarness<ProfileTest>.peer(8)
        for (n, peer) in [kept, gone].enumerated() {
            let get = Request.make(mid: UInt16(n + 1), token: [9], path: "alerts", options: [Request.uint(.observe, 0)])
            XCTAssertTrue(try XCTUnwrap(h.exchange(get, from: peer)).has(.observe))
        }
        h.tick(advanceMs: 40_000)
        XCTAssertEqual(h.server.observers.count, 2)
        let renew = Request.make(mid: 10, token: [9], path: "alerts", options: [Request.uint(.observe, 0)])
        XCTAssertTrue(try XCTUnwrap(h.exchange(renew, from: kept)).has(.observe))
        h.tick(advanceMs: 25_000)
        XCTAssertEqual(h.server.observers.count, 1, "the unrenewed registration ended")
        XCTAssertEqual(h.server.counters.observersExpired, 1)
        XCTAssertNotNil(h.server.observers.find(kept, token: [UInt8(9)].withUnsafeBytes { CoAPToken($0) }))
    }

    func testGetAnswersStayWithinTheAmplificationFactor() throws {
        let h = ServerHarness<ProfileMedium>()
        h.server.fairness.amplificationFactor = 4
        let spoofed = ServerHarness<ProfileMedium>.peer(9)
        let get = Request.make(.nonConfirmable, .get, mid: 1, token: [], path: "metrics")
        let answer = try XCTUnwrap(h.send(get, from: spoofed))
        XCTAssertLessThanOrEqual(answer.count, 4 * get.count, "NON: at most 4x the request")
        XCTAssertGreaterThan(h.server.counters.amplificationLimited, 0)
        // A CON's piggybacked answer goes to a spoofed address just the same: limited too.
        let conGet = Request.make(.confirmable, .get, mid: 2, token: [], path: "metrics")
        let con = try XCTUnwrap(h.exchange(conGet, from: spoofed))
        XCTAssertLessThanOrEqual(con.bytes.count, 4 * conGet.count, "CON: at most 4x the request")
        XCTAssertEqual(con.code, .content)
        XCTAssertTrue(con.has(.block2), "the first block of a small size")
        // A serial line (attached: not spoofable) gets a full block.
        let line = Endpoint.serial(line: 0)
        let attached = try XCTUnwrap(h.send(conGet, from: line))
        XCTAssertGreaterThan(attached.count, 4 * conGet.count)
        // With the limit off, the NON gets a full block.
        h.server.fairness.amplificationFactor = 0
        let full = try XCTUnwrap(h.send(Request.make(.nonConfirmable, .get, mid: 3, token: [], path: "metrics"), from: spoofed))
        XCTAssertGreaterThan(full.count, 4 * get.count)
    }

    func testReadOnlyRefusesWritesWith403AndServesGet() throws {
        let h = ServerHarness<ProfileTest>()
        let peer = ServerHarness<ProfileTest>.peer(10)
        let response = h.response
        let post = Request.post(Request.temperature("s1", 21), mid: 1)
        let length = post.withUnsafeBytes { h.server.handle(datagram: $0, from: peer, nowMs: h.nowMs, response: response, readOnly: true) }
        XCTAssertEqual(Reply(Array(UnsafeRawBufferPointer(rebasing: response[0..<length]))).code, .forbidden)
        XCTAssertEqual(h.server.counters.readOnlyRefused, 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 0)
        let get = Request.make(mid: 2, path: "health")
        let n = get.withUnsafeBytes { h.server.handle(datagram: $0, from: peer, nowMs: h.nowMs, response: response, readOnly: true) }
        XCTAssertEqual(Reply(Array(UnsafeRawBufferPointer(rebasing: response[0..<n]))).code, .content)
    }

    func testAllowListPrefixes() {
        var address = InlineArray<16, UInt8>(repeating: 0)
        address[0] = 192
        address[1] = 168
        address[2] = 1
        let net = SourcePrefix(kind: Endpoint.kindIPv4, bits: 23, address: address)!
        var access = ListenerAccess.open
        XCTAssertTrue(access.admits(.ipv4(127, 0, 0, 1, port: 1)), "open admits all")
        XCTAssertTrue(access.allow(net))
        XCTAssertTrue(access.admits(.ipv4(192, 168, 0, 9, port: 1)), "/23 holds 192.168.0.x")
        XCTAssertFalse(access.admits(.ipv4(192, 168, 2, 9, port: 1)))
        XCTAssertFalse(access.admits(.ipv4(127, 0, 0, 1, port: 1)))
        var v6 = InlineArray<16, UInt8>(repeating: 0)
        v6[0] = 0xFD
        XCTAssertTrue(access.allow(SourcePrefix(kind: Endpoint.kindIPv6, bits: 8, address: v6)!))
        var peer6 = v6
        peer6[15] = 7
        XCTAssertTrue(access.admits(Endpoint(kind: Endpoint.kindIPv6, port: 1, address: peer6, scopeOrLine: 0)))
        peer6[0] = 0xFE
        XCTAssertFalse(access.admits(Endpoint(kind: Endpoint.kindIPv6, port: 1, address: peer6, scopeOrLine: 0)))
        XCTAssertNil(SourcePrefix(kind: Endpoint.kindIPv4, bits: 33, address: address))
        var copy = ListenerAccess.open
        XCTAssertFalse(copy.same(as: access))
        XCTAssertTrue(copy.allow(net))
        XCTAssertTrue(copy.allow(SourcePrefix(kind: Endpoint.kindIPv6, bits: 8, address: v6)!))
        XCTAssertTrue(copy.same(as: access), "the same rules, built apart")
        copy.readOnly = true
        XCTAssertFalse(copy.same(as: access))
        for _ in 2..<ListenerAccess.allowMax { XCTAssertTrue(access.allow(net)) }
        XCTAssertFalse(access.allow(net), "bounded")
    }

    /// The steady state with the source table active allocates nothing: a flooding source (new
    /// sensor names, GETs, over its rates) and honest sources through `handle` and `tick`.
    func testFloodAndHonestSourcesAllocateNothing() {
        let h = ServerHarness<ProfileMedium>()
        let flooder = ServerHarness<ProfileMedium>.peer(11)
        let honest = (0..<8).map { ServerHarness<ProfileMedium>.peer(100 + $0) }
        let datagrams = (0..<4_000).map { i -> [UInt8] in
            switch i % 4 {
            case 0, 1: return Request.post(Request.temperature("flood-\(i)", 21), .nonConfirmable, mid: UInt16(i))
            case 2: return Request.make(.nonConfirmable, .get, mid: UInt16(i), token: [], path: "metrics")
            default: return Request.post(Request.temperature("honest-\(i % 8)", 20), mid: UInt16(i))
            }
        }
        var sink = CountingSink()
        var consumer = DiscardingOutboxConsumer()
        for d in datagrams.prefix(16) { _ = h.send(d, from: flooder) }
        h.server.tick(nowMs: h.nowMs, into: &sink, consumer: &consumer)
        let response = h.response
        var nowMs = h.nowMs
        malloc_counter_start()
        // An index loop: iterating `enumerated()` allocates per step in a debug build.
        for i in 0..<datagrams.count {
            let d = datagrams[i]
            let peer = i % 4 == 3 ? honest[i % 8] : flooder
            if h.server.outboxNeedsDrain { h.server.drainOutbox(into: &consumer) }
            _ = d.withUnsafeBytes { h.server.handle(datagram: $0, from: peer, nowMs: nowMs, response: response) }
            nowMs += 1
            if i % 50 == 0 { h.server.tick(nowMs: nowMs, into: &sink, consumer: &consumer) }
        }
        let allocations = malloc_counter_stop()
        XCTAssertEqual(allocations, 0)
        XCTAssertGreaterThan(h.server.counters.sourceSensorShare + h.server.counters.sourceReadingRate, 0)
    }
}
