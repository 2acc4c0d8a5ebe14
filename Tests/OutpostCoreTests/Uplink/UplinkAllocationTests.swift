import CMallocCounter
import OutpostCore
import XCTest

/// A sink of a few fixed slots, served first in first out (no heap).
struct SlotSink: DatagramSink {
    static let slotBytes = 1_280
    let memory: UnsafeMutableRawBufferPointer
    var counts: InlineArray<8, Int> = InlineArray(repeating: 0)
    var head = 0
    var count = 0

    init(memory: UnsafeMutableRawBufferPointer) {
        precondition(memory.count >= 8 * SlotSink.slotBytes)
        self.memory = memory
    }

    var hasRoom: Bool { count < 8 }

    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) {
        precondition(hasRoom && bytes.count <= SlotSink.slotBytes)
        let slot = (head + count) % 8
        UnsafeMutableRawBufferPointer(rebasing: memory[(slot * SlotSink.slotBytes)...]).copyMemory(from: bytes)
        counts[slot] = bytes.count
        count += 1
    }

    /// Copies the oldest datagram into `into`; returns its size, or nil when empty.
    mutating func pop(into: UnsafeMutableRawBufferPointer) -> Int? {
        if count == 0 { return nil }
        let size = counts[head]
        into.copyMemory(from: UnsafeRawBufferPointer(rebasing: memory[(head * SlotSink.slotBytes)..<(head * SlotSink.slotBytes + size)]))
        head = (head + 1) % 8
        count -= 1
        return size
    }
}

/// The uplink forwards ≥ 100 000 records (readings, alerts, summaries; Block1 batches) through an
/// in-process upstream with every malloc of the process counted.
final class UplinkAllocationTests: XCTestCase {
    static let recordCount = 102_000  // ≥ 100 000 after the warm-up

    func testForwardingAllocatesNothing() {
        let upstream = Endpoint.ipv4(127, 0, 0, 1, port: 5683)
        var settings = UplinkSettings(upstream: upstream, path: UplinkPath("ingest"), nodeId: SensorName("node-1"))
        settings.maxRecordsPerBatch = 24
        let buffers = UplinkTestBuffers(settings: settings, recordCapacity: 2_048)
        // The uplink points into these buffers: they must outlive the last tick.
        defer { withExtendedLifetime(buffers) {} }
        var nowMs = TestRecords.startMs
        var uplink = buffers.uplink(settings: settings, nowMs: nowMs)
        var source = UplinkMemorySource(records: buffers.records)
        var sink = SlotSink(memory: buffers.sinkMemory)
        let request = buffers.request
        let answer = buffers.answer
        let templates = [
            TestRecords.reading(features: [(.temperature, 21_125), (.humidity, 40_000), (.pressure, 1_013_251)], batteryMilliPercent: 90_500),
            TestRecords.reading("sensor-002", features: [(.vibration, 1_234), (.power, 5)]),
            TestRecords.alert(),
            TestRecords.summary(features: 3),
        ]
        var answered = 0
        var appended = 0

        // Warm-up: the first batches of each kind run before counting starts, so lazily initialised
        // runtime state is not mistaken for a steady-state allocation.
        var counting = false
        // Each pass appends what fits, ticks, and serves every datagram; bounded generously.
        for _ in 0..<(Self.recordCount * 4) {
            if appended >= Self.recordCount && uplink.cursor >= source.uplinkLastSequence { break }
            if !counting && appended >= 2_000 {
                malloc_counter_start()
                counting = true
            }
            while appended < Self.recordCount && source.uplinkLastSequence - uplink.cursor < 2_000 {
                var record = templates[appended % 50 == 49 ? 2 : (appended % 500 == 17 ? 3 : appended % 2)]
                record.timestampMs = nowMs
                source.append(record)
                appended += 1
            }
            uplink.tick(nowMs: nowMs, source: &source, sink: &sink)
            while let size = sink.pop(into: request) {
                let message = try! CoAPMessage(parsing: UnsafeRawBufferPointer(rebasing: request[0..<size]))
                if message.type != .confirmable { continue }
                let block = try! message.block1()
                var writer = try! CoAPMessageWriter(
                    buffer: answer, type: .acknowledgement, code: block?.more == true ? .continue : .changed,
                    messageID: message.messageID, token: message.token)
                if let block { try! writer.appendOption(.block1, uint: block.value) }
                answered += 1
                uplink.receive(writer.message, from: upstream, nowMs: nowMs, source: &source, sink: &sink)
            }
            _ = uplink.takeCursorUpdate()
            nowMs += 5
        }
        let allocations = malloc_counter_stop()
        print("uplink allocations: \(allocations) over \(appended) records, \(answered) datagrams, \(uplink.counters.batchesAcknowledged) batches")
        XCTAssertEqual(allocations, 0)
        XCTAssertEqual(appended, Self.recordCount)
        XCTAssertEqual(uplink.cursor, UInt64(Self.recordCount))
        XCTAssertEqual(uplink.counters.recordsForwarded, UInt64(Self.recordCount))
        XCTAssertGreaterThan(uplink.counters.datagramsSent, uplink.counters.batchesSent, "some batches needed Block1")
    }
    /// The other steady states: outages (retransmissions, backoffs, pings and their answers) and
    /// refused records (halving, set-aside markers appended to the source), every malloc counted.
    func testOutagesPingsAndRejectionsAllocateNothing() {
        let upstream = Endpoint.ipv4(127, 0, 0, 1, port: 5683)
        var settings = UplinkSettings(upstream: upstream, path: UplinkPath("ingest"), nodeId: SensorName("node-1"))
        settings.maxRecordsPerBatch = 24
        settings.maxRejectionsInARow = 1_000_000
        let buffers = UplinkTestBuffers(settings: settings, recordCapacity: 4_096)
        defer { withExtendedLifetime(buffers) {} }
        var nowMs = TestRecords.startMs
        var uplink = buffers.uplink(settings: settings, nowMs: nowMs)
        var source = UplinkMemorySource(records: buffers.records)
        var sink = SlotSink(memory: buffers.sinkMemory)
        let request = buffers.request
        let answer = buffers.answer
        let templates = [
            TestRecords.reading(features: [(.temperature, 21_125), (.humidity, 40_000)]),
            TestRecords.alert(),
            TestRecords.reading("poison", features: [(.temperature, 1)]),
        ]
        let total = 60_000
        var appended = 0
        var poisoned = 0
        // The pack being received: its token, and whether a block held the poison sensor's name.
        var packToken = CoAPToken()
        var packPoisoned = false
        var counting = false
        for _ in 0..<2_000_000 {
            if appended >= total && uplink.cursor >= source.uplinkLastSequence { break }
            // Warm-up: a first set-aside and a first answered ping run before counting starts.
            if !counting && uplink.counters.recordsRejected >= 1 && uplink.counters.probesAnswered >= 1 {
                malloc_counter_start()
                counting = true
            }
            // Two records per 5 ms pass (400/s), so the run spans both kinds of outage.
            var added = 0
            while appended < total && added < 2 && source.uplinkLastSequence - uplink.cursor < 4_000 {
                added += 1
                let kind = appended % 997 == 500 ? 2 : (appended % 50 == 49 ? 1 : 0)
                if kind == 2 { poisoned += 1 }
                var record = templates[kind]
                record.timestampMs = nowMs
                source.append(record)
                appended += 1
            }
            // Down 10 s (pings answer while a block is retransmitted) and 110 s (the exchange gives
            // up after about 62-93 s, backoffs) of every 150 s of simulated time.
            let second = (nowMs / 1_000) % 150
            let linkUp = !((second >= 10 && second < 20) || (second >= 30 && second < 140))
            uplink.tick(nowMs: nowMs, source: &source, sink: &sink)
            while let size = sink.pop(into: request) {
                if !linkUp { continue }
                let message = try! CoAPMessage(parsing: UnsafeRawBufferPointer(rebasing: request[0..<size]))
                if message.type != .confirmable { continue }
                if message.code == .empty {
                    let rst = try! CoAPMessageWriter(buffer: answer, type: .reset, code: .empty, messageID: message.messageID)
                    uplink.receive(rst.message, from: upstream, nowMs: nowMs, source: &source, sink: &sink)
                    continue
                }
                let block = try! message.block1()
                if block == nil || block!.number == 0 || message.token != packToken {
                    packToken = message.token
                    packPoisoned = false
                }
                let payload = message.payload
                if payload.count >= 6 {
                    for i in 0...(payload.count - 6) where payload[i] == 0x70 && payload[i + 1] == 0x6F && payload[i + 2] == 0x69
                        && payload[i + 3] == 0x73 && payload[i + 4] == 0x6F && payload[i + 5] == 0x6E {
                        packPoisoned = true
                    }
                }
                let more = block?.more == true
                let code: CoAPCode = more ? .continue : (packPoisoned ? .badRequest : .changed)
                var writer = try! CoAPMessageWriter(buffer: answer, type: .acknowledgement, code: code, messageID: message.messageID, token: message.token)
                if let block { try! writer.appendOption(.block1, uint: block.value) }
                uplink.receive(writer.message, from: upstream, nowMs: nowMs, source: &source, sink: &sink)
            }
            if let rejected = uplink.rejectionToRecord {
                var marker = TestRecords.marker(code: LogMarkerPayload.rejectedByUpstream, value: rejected)
                marker.timestampMs = nowMs
                uplink.rejectionRecorded(markerSequence: source.append(marker))
            }
            _ = uplink.takeCursorUpdate()
            nowMs += 5
        }
        let allocations = malloc_counter_stop()
        print("uplink allocations with outages and rejections: \(allocations); \(uplink.counters.recordsRejected) rejected, \(uplink.counters.probesSent) pings, \(uplink.counters.timeouts) timeouts")
        XCTAssertTrue(counting)
        XCTAssertEqual(allocations, 0)
        XCTAssertEqual(uplink.cursor, source.uplinkLastSequence)
        XCTAssertEqual(uplink.counters.recordsRejected, UInt64(poisoned))
        XCTAssertGreaterThan(uplink.counters.probesAnswered, 0)
        XCTAssertGreaterThan(uplink.counters.timeouts, 0)
    }
}
