import OutpostCore
import XCTest

/// Only durable records leave: the uplink reads the log up to its durable sequence, so under batch
/// durability a record written but not yet synced is never in a batch, and after a power cut no
/// sequence the upstream saw comes back with other content.
final class UplinkDurabilityTests: XCTestCase {
    struct Run {
        /// Sequences in the packs the upstream received, and the durable sequence at each send.
        var seen: Set<UInt64> = []
        var sentBeyondDurable: [UInt64] = []
        var recoveredLast: UInt64 = 0
        /// Readings' temperatures the upstream saw per sequence, and what the recovered log then holds.
        var seenValue: [UInt64: Double] = [:]
        var reused: [UInt64] = []
    }

    /// Batch durability: appends every 10 ms, writes every tick, syncs every 100 ms, the uplink
    /// ticking in between; then a power cut loses everything since the last sync, the log is
    /// recovered and new readings appended.
    func run(durableOnly: Bool) throws -> Run {
        let buffer = LogArenaBuffer(sizeBytes: 1 << 20)
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let store = try openStore(disk, buffer: buffer)
        var source = UplinkLogSource(store: store, durableOnly: durableOnly)
        disk.startRecording()
        let h = UplinkHarness { $0.maxRecordsPerBatch = 8 }
        var uplink = h.uplink
        var sink = RecordingSink()
        let server = FakeUpstream()
        var result = Run()
        var nowMs = TestRecords.startMs
        var value: Int32 = 0
        // 125 steps: the last five are written after the last sync.
        for step in 0..<125 {
            nowMs += 10
            value += 1
            let reading = TestRecords.reading(timestampMs: nowMs, features: [(.temperature, value * 1_000)]).reading!
            _ = try source.store.append(reading: reading.reading, name: reading.name)
            if step % 10 == 9 { _ = try source.store.commit() } else { _ = try source.store.write() }
            uplink.tick(nowMs: nowMs, source: &source, sink: &sink)
            for _ in 0..<100 where !sink.sent.isEmpty {
                let out = sink.sent
                sink.sent.removeAll()
                for (_, bytes) in out {
                    let reply = Reply(bytes)
                    if let records = try? UplinkPackRecord.decodePack(reply.payload) {
                        for record in records {
                            guard let sequence = record.sequence else { continue }
                            if sequence > source.store.durableSequence { result.sentBeyondDurable.append(sequence) }
                            result.seen.insert(sequence)
                            result.seenValue[sequence] = record.value
                        }
                    }
                    for answer in server.handle(bytes) {
                        answer.withUnsafeBytes { uplink.receive($0, from: UplinkHarness.upstream, nowMs: nowMs, source: &source, sink: &sink) }
                    }
                }
            }
            if let cursor = uplink.takeCursorUpdate() { source.store.setCursor(cursor) }
        }
        // The last steps were written, not synced; the power goes at the last write.
        let lastWrite = try XCTUnwrap(disk.events.indices.last { if case .write = disk.events[$0] { return true } else { return false } })
        let (image, _, _) = disk.imageAfterCut(event: lastWrite, bytes: 0, survival: .lost, seed: 1)
        let after = SimDisk(bytes: image)
        let buffer2 = LogArenaBuffer(sizeBytes: 1 << 20)
        var recovered = try openStore(after, buffer: buffer2)
        result.recoveredLast = recovered.lastWrittenSequence
        // New readings after the restart take the next sequences.
        for i in 0..<30 {
            let reading = TestRecords.reading(timestampMs: nowMs + Int64(i), features: [(.temperature, -1_000)]).reading!
            _ = try recovered.append(reading: reading.reading, name: reading.name)
        }
        _ = try recovered.commit()
        for record in try readAll(&recovered) where result.seen.contains(record.sequence) {
            let temperature = record.reading.map { Double($0.reading.features.values[0]) / 1_000 }
            if temperature != result.seenValue[record.sequence] { result.reused.append(record.sequence) }
        }
        for sequence in result.seen where sequence > result.recoveredLast && sequence <= recovered.lastWrittenSequence {
            if !result.reused.contains(sequence) { result.reused.append(sequence) }
        }
        return result
    }

    func testUnsyncedRecordsNeverLeaveAndNoSeenSequenceIsReusedAfterACut() throws {
        let result = try run(durableOnly: true)
        XCTAssertGreaterThan(result.seen.count, 50, "the uplink forwarded as it went")
        XCTAssertEqual(result.sentBeyondDurable, [], "a record written but not synced was in a batch")
        XCTAssertLessThanOrEqual(result.seen.max() ?? 0, result.recoveredLast, "the cut took back a record the upstream has")
        XCTAssertEqual(result.reused, [])
    }

    func testForwardingWrittenRecordsWouldReuseSequences() throws {
        // The control: forwarding what is merely written lets the cut take back records the
        // upstream has, and their sequences come back with other readings.
        let result = try run(durableOnly: false)
        XCTAssertFalse(result.sentBeyondDurable.isEmpty)
        XCTAssertFalse(result.reused.isEmpty)
    }
}
