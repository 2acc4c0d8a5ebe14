import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// The gaps of fair service filled by the sensor share and the duplicate share
/// (docs/SECURITY.md §7): a full sensor table gives back first the slots of a source over its
/// share (to a source within its own), every eviction leaves a marker for the log naming the
/// sensor and why, one source cannot push others' exchanges out of the duplicate ledger, and a
/// CON GET is read whole in small Block2 blocks under the amplification limit.
final class ServerSensorReclaimTests: XCTestCase {
    typealias M = ServerHarness<ProfileMedium>
    typealias T = ServerHarness<ProfileTest>

    func name(_ text: String) -> SensorName { SensorName(Array(text.utf8).span)! }

    /// Records every eviction the server drains (tests only: it allocates).
    struct EvictionRecorder: OutboxConsumer {
        var evictions: [(String, UInt64, Int64)] = []
        mutating func consume(_ event: OutboxEvent, sensor: SensorName) {}
        mutating func consumeEviction(_ notice: SensorEvictionNotice) {
            let name = String(decoding: (0..<Int(notice.sensor.count)).map { notice.sensor[$0] }, as: UTF8.self)
            evictions.append((name, notice.reason, notice.timestampMs))
        }
    }

    /// A medium server whose table is full: `flood` sensors from one source (over its share),
    /// one each from `capacity - flood` small sources; the outbox drained.
    func fullTable(flood: Int) -> (M, EvictionRecorder) {
        let h = M()
        let flooder = M.peer(1)
        var mid: UInt16 = 1
        for i in 0..<flood {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("flood-\(i)", 21), mid: mid), from: flooder)?.code, .changed)
            mid += 1
            h.nowMs += 10
        }
        for i in 0..<(ProfileMedium.sensorCapacity - flood) {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("small-\(i)", 21), mid: mid), from: M.peer(10 + i))?.code, .changed)
            mid += 1
            h.nowMs += 10
        }
        XCTAssertEqual(h.server.pipeline.sensors.count, ProfileMedium.sensorCapacity)
        var recorder = EvictionRecorder()
        h.server.drainOutbox(into: &recorder)
        XCTAssertTrue(recorder.evictions.isEmpty)
        return (h, recorder)
    }

    func testSlotsOfASourceOverItsShareGoBackFirstAndAreLogged() throws {
        let flood = ProfileMedium.sensorCapacity - ProfileMedium.sensorReserve
        var (h, recorder) = fullTable(flood: flood)
        let flooder = M.peer(1)
        let entry = (0...h.server.sources.othersIndex).map { h.server.sources[$0] }.first { $0.inUse && $0.key == SourceTable.key(of: flooder) }
        XCTAssertEqual(entry?.held, UInt16(flood), "the flooder holds its sensors")
        // The flooder's newest names keep talking; flood-0 is its longest silent.
        h.nowMs += 1_000
        for i in 1..<flood { _ = h.exchange(Request.post(Request.temperature("flood-\(i)", 22), mid: UInt16(1_000 + i)), from: flooder) }
        h.server.drainOutbox(into: &recorder)
        // A new source gets a place: flood-0's slot.
        let honest = M.peer(500)
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("honest", 20), mid: 3_000), from: honest)?.code, .changed)
        XCTAssertEqual(h.server.counters.sensorsReclaimed, 1)
        XCTAssertEqual(h.server.pipeline.counters.sensorsEvicted, 1)
        XCTAssertNil(h.server.pipeline.sensors.find(name("flood-0")))
        XCTAssertEqual(h.server.pipeline.sensors.find(name("honest")), 0, "flood-0's index")
        h.server.drainOutbox(into: &recorder)
        XCTAssertEqual(recorder.evictions.count, 1)
        XCTAssertEqual(recorder.evictions.first?.0, "flood-0")
        XCTAssertEqual(recorder.evictions.first?.1, LogMarkerPayload.evictedOverShare)
        // The flooder itself takes nobody's place: a new name of it is refused.
        let refused = h.exchange(Request.post(Request.temperature("flood-new", 21), mid: 3_001), from: flooder)
        XCTAssertEqual(refused?.code, .serviceUnavailable)
        XCTAssertEqual(h.server.counters.sensorsReclaimed, 1)
        // A new source asking for more than its own share at once takes nobody's place: the
        // pack is refused whole and every small source keeps its sensor.
        let many = (0..<16).map { "{\"bn\":\"m\($0)/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20}" }
        XCTAssertEqual(h.exchange(Request.post("[" + many.joined(separator: ",") + "]", mid: 3_002), from: M.peer(501))?.code, .serviceUnavailable)
        for i in 0..<(ProfileMedium.sensorCapacity - flood) {
            XCTAssertNotNil(h.server.pipeline.sensors.find(name("small-\(i)")))
        }
        XCTAssertEqual(h.server.counters.sensorsReclaimed, 1, "refused whole: nothing taken")
        // /health and /metrics count it.
        XCTAssertTrue(try read(h, "health").contains("\"sensors_reclaimed\":1"))
        XCTAssertTrue(try read(h, "metrics").contains("outpost_sensors_reclaimed_total 1"))
    }

    /// The whole body of `path`, block by block.
    func read(_ h: M, _ path: String) throws -> String {
        var body: [UInt8] = []
        var next: UInt32? = nil
        for mid in 0..<200 {
            let options = next.map { [Request.uint(.block2, $0)] } ?? []
            let reply = try XCTUnwrap(h.exchange(Request.make(mid: UInt16(20_000 + mid), path: path, options: options), from: M.peer(900)))
            body += reply.payload
            guard let block = reply.uint(.block2), block & 8 != 0 else { break }
            next = (UInt32(body.count) >> ((block & 7) + 4)) << 4 | (block & 7)
        }
        return String(decoding: body, as: UTF8.self)
    }

    func testNoSourceOverItsShareMeansTheTableIsFull() {
        // Every source holds one or two sensors: nobody is over its share.
        let h = M()
        var mid: UInt16 = 1
        for i in 0..<ProfileMedium.sensorCapacity {
            XCTAssertEqual(h.exchange(Request.post(Request.temperature("s-\(i)", 21), mid: mid), from: M.peer(1 + i / 2))?.code, .changed)
            mid += 1
        }
        var recorder = EvictionRecorder()
        h.server.drainOutbox(into: &recorder)
        let reply = h.exchange(Request.post(Request.temperature("late", 21), mid: mid), from: M.peer(400))
        XCTAssertEqual(reply?.code, .serviceUnavailable)
        XCTAssertEqual(h.server.counters.sensorsReclaimed, 0)
        XCTAssertEqual(h.server.pipeline.counters.sensorsEvicted, 0)
    }

    func testOfflineEvictionLeavesAMarkerNotice() {
        let h = T()  // 6 sensors
        h.server.pipeline.alerts.setOfflineAfter(ms: 10_000)
        h.server.pipeline.sensorEvictAfterMs = 20_000
        for i in 0..<6 { XCTAssertEqual(h.exchange(Request.post(Request.temperature("s\(i)", 21), mid: UInt16(1 + i)))?.code, .changed) }
        var recorder = EvictionRecorder()
        h.server.drainOutbox(into: &recorder)
        h.nowMs += 15_000
        for i in 1..<6 { XCTAssertEqual(h.exchange(Request.post(Request.temperature("s\(i)", 22), mid: UInt16(10 + i)))?.code, .changed) }
        h.server.tick(nowMs: h.nowMs, into: &h.sink, consumer: &recorder)
        h.nowMs += 10_000
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("n1", 30), mid: 30))?.code, .changed)
        XCTAssertEqual(h.server.noticeCount, 1)
        h.server.drainOutbox(into: &recorder)
        XCTAssertEqual(recorder.evictions.map { $0.0 }, ["s0"])
        XCTAssertEqual(recorder.evictions.first?.1, LogMarkerPayload.evictedOffline)
        XCTAssertEqual(recorder.evictions.first?.2, h.nowMs)
        XCTAssertEqual(h.server.counters.sensorsReclaimed, 0, "offline, not over share")
    }

    func testEvictionMarkerPayloadRoundTripsAndRefusesBadLengths() throws {
        let marker = LogMarkerPayload(code: LogMarkerPayload.sensorEvicted, value: LogMarkerPayload.evictedOverShare, sensor: SensorName("flood-7"))
        XCTAssertEqual(marker.encodedBytes, 12 + 1 + 7)
        var bytes = [UInt8](repeating: 0, count: 64)
        let length = bytes.withUnsafeMutableBytes { marker.encode(into: $0) }
        XCTAssertEqual(length, 20)
        let decoded = try XCTUnwrap(bytes[0..<length].withUnsafeBytes { LogMarkerPayload(decoding: $0) })
        XCTAssertEqual(decoded, marker)
        XCTAssertEqual("\(decoded.codeName)", "sensor_evicted")
        XCTAssertEqual("\(decoded.reasonName)", "over_share")
        // A name cut short, trailing bytes, a name on another code: refused.
        XCTAssertNil(bytes[0..<(length - 1)].withUnsafeBytes { LogMarkerPayload(decoding: $0) })
        XCTAssertNil(bytes[0..<(length + 1)].withUnsafeBytes { LogMarkerPayload(decoding: $0) })
        bytes[0] = UInt8(LogMarkerPayload.readingsDropped)
        XCTAssertNil(bytes[0..<length].withUnsafeBytes { LogMarkerPayload(decoding: $0) })
        // The 12-byte markers are unchanged.
        let plain = LogMarkerPayload(code: LogMarkerPayload.readingsDropped, value: 9)
        XCTAssertEqual(plain.encodedBytes, 12)
        let plainLength = bytes.withUnsafeMutableBytes { plain.encode(into: $0) }
        XCTAssertEqual(bytes[0..<plainLength].withUnsafeBytes { LogMarkerPayload(decoding: $0) }, plain)
    }

    func testOneSourceCannotPushOthersOutOfTheLedger() {
        let h = M()  // a ledger of 10 240 records, a source's share 2 560
        let capacity = ProfileMedium.duplicateRecordCount
        let honest = M.peer(1)
        let flooder = M.peer(2)
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 77), from: honest)?.code, .changed)
        var refusedAt = -1
        let sends = capacity + 20
        for i in 0..<sends {
            let before = h.server.counters.sourceDuplicateShare
            _ = h.send(Request.post(Request.temperature("s2", 21), .nonConfirmable, mid: UInt16(truncatingIfNeeded: 100 + i)), from: flooder)
            h.nowMs += 2
            if i % 32 == 31 { h.tick() }
            if h.server.counters.sourceDuplicateShare != before && refusedAt < 0 { refusedAt = i }
        }
        XCTAssertEqual(h.server.ledger.count, capacity)
        XCTAssertEqual(refusedAt, capacity - 1, "refused once the next record would push the honest one")
        XCTAssertEqual(h.server.counters.sourceDuplicateShare, UInt64(sends - refusedAt))
        // The honest exchange is still recognised: its retransmission is not processed again.
        let accepted = h.server.pipeline.counters.readingsAccepted
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("s1", 21), mid: 77), from: honest)?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, accepted)
        // A CON of the flooder is answered 5.03 with Max-Age, not processed.
        let con = h.exchange(Request.post(Request.temperature("s2", 21), mid: 60_999), from: flooder)
        XCTAssertEqual(con?.code, .serviceUnavailable)
        XCTAssertEqual(con?.uint(.maxAge), 8)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, accepted)
        // Alone, a source uses the whole ledger (it pushes out only its own records).
        let alone = M()
        for i in 0..<sends {
            _ = alone.send(Request.post(Request.temperature("s2", 21), .nonConfirmable, mid: UInt16(truncatingIfNeeded: 100 + i)), from: flooder)
            alone.nowMs += 2
            if i % 32 == 31 { alone.tick() }
        }
        XCTAssertEqual(alone.server.counters.sourceDuplicateShare, 0)
        XCTAssertGreaterThan(alone.server.ledger.evictedEarly, 0, "it pushed out its own")
    }

    func testLedgerCountsRecordsPerSourceAddress() {
        let bytes = DuplicateLedger.arenaBytes(after: 0, capacity: 8, ownerBuckets: 64) + 64
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: bytes)
        var ledger = DuplicateLedger(arena: &arena, capacity: 8, ownerBuckets: 64)
        // Two ports of one address are one source; another address is another.
        let a1 = Endpoint.ipv4(127, 0, 0, 1, port: 1_000)
        let a2 = Endpoint.ipv4(127, 0, 0, 1, port: 2_000)
        let b = Endpoint.ipv4(127, 0, 0, 2, port: 1_000)
        XCTAssertEqual(ledger.ownerBucket(of: a1), ledger.ownerBucket(of: a2))
        XCTAssertNotEqual(ledger.ownerBucket(of: a1), ledger.ownerBucket(of: b))
        XCTAssertEqual(ledger.ownerBucket(of: .serial(line: 0)), -1, "a serial line is not counted")
        for i in 0..<6 { ledger.insert(i % 2 == 0 ? a1 : a2, messageID: UInt16(i), nowMs: 1_000, answer: .drop) }
        for i in 6..<8 { ledger.insert(b, messageID: UInt16(i), nowMs: 1_000, answer: .drop) }
        XCTAssertEqual(ledger.owners.held(ledger.ownerBucket(of: a1)), 6)
        XCTAssertEqual(ledger.owners.held(ledger.ownerBucket(of: b)), 2)
        XCTAssertTrue(ledger.wouldPushOther(peer: b, cap: 2, nowMs: 1_000), "full, the head is a's, b holds its cap")
        XCTAssertFalse(ledger.wouldPushOther(peer: a2, cap: 2, nowMs: 1_000), "its own record goes")
        XCTAssertFalse(ledger.wouldPushOther(peer: b, cap: 3, nowMs: 1_000))
        XCTAssertFalse(ledger.wouldPushOther(peer: .serial(line: 0), cap: 0, nowMs: 1_000))
        ledger.removeNewest(1)
        XCTAssertEqual(ledger.owners.held(ledger.ownerBucket(of: b)), 1)
        // Past the lifetime nothing live is pushed, and the expired records left their counts.
        XCTAssertFalse(ledger.wouldPushOther(peer: b, cap: 0, nowMs: 1_000 + DuplicateLedger.holdMs + 8_000))
        _ = ledger.expire(nowMs: 1_000 + DuplicateLedger.holdMs + 8_000, limit: 8)
        XCTAssertEqual(ledger.owners.held(ledger.ownerBucket(of: a1)), 0)
        XCTAssertEqual(ledger.owners.held(ledger.ownerBucket(of: b)), 0)
    }

    func testLedgerCountsAnIPv6SourceOnceWhateverItsPort() {
        let bytes = DuplicateLedger.arenaBytes(after: 0, capacity: 8, ownerBuckets: 64) + 64
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: bytes)
        var ledger = DuplicateLedger(arena: &arena, capacity: 8, ownerBuckets: 64)
        var address = InlineArray<16, UInt8>(repeating: 0)
        address[0] = 0xFD
        address[15] = 1
        var other = address
        other[15] = 2
        let ports = (0..<6).map { Endpoint(kind: Endpoint.kindIPv6, port: UInt16(40_000 + $0), address: address, scopeOrLine: 0) }
        let b = Endpoint(kind: Endpoint.kindIPv6, port: 40_000, address: other, scopeOrLine: 0)
        // A host rotating its source port is still one source for the cap.
        for (i, peer) in ports.enumerated() {
            XCTAssertEqual(ledger.ownerBucket(of: peer), ledger.ownerBucket(of: ports[0]))
            ledger.insert(peer, messageID: UInt16(i), nowMs: 1_000, answer: .drop)
        }
        XCTAssertEqual(ledger.owners.held(ledger.ownerBucket(of: ports[0])), 6)
        XCTAssertNotEqual(ledger.ownerBucket(of: b), ledger.ownerBucket(of: ports[0]))
        // The same message id from two ports stays two exchanges.
        ledger.insert(ports[1], messageID: 0, nowMs: 1_000, answer: .drop)
        XCTAssertEqual(ledger.owners.held(ledger.ownerBucket(of: ports[0])), 7)
    }

    func testConGetIsReadWholeInSmallBlocksUnderTheLimit() throws {
        let h = M()
        h.server.fairness.amplificationFactor = 4
        let peer = M.peer(7)
        var body: [UInt8] = []
        var next: UInt32? = nil  // the Block2 option of the next request (none for block 0)
        var size2: UInt32? = nil
        var blocks = 0
        for mid in 1...2_000 {
            let options = next.map { [Request.uint(.block2, $0)] } ?? []
            let request = Request.make(.confirmable, .get, mid: UInt16(mid), token: [1, 2, 3, 4], path: "health", options: options)
            let reply = try XCTUnwrap(h.exchange(request, from: peer))
            XCTAssertEqual(reply.code, .content)
            XCTAssertLessThanOrEqual(reply.bytes.count, 4 * request.count)
            if size2 == nil { size2 = reply.uint(.size2) }
            body += reply.payload
            blocks += 1
            let block = try XCTUnwrap(reply.uint(.block2))
            if block & 8 == 0 { break }
            // The next block in the server's block size.
            let exponent = block & 7
            next = (UInt32(body.count) >> (exponent + 4)) << 4 | exponent
        }
        XCTAssertGreaterThan(blocks, 4, "small blocks")
        XCTAssertEqual(UInt32(body.count), try XCTUnwrap(size2), "every block of one representation")
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(body)))
    }
}
