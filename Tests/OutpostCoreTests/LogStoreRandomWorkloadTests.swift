@testable import OutpostCore
import XCTest

/// Minimal reproductions of what the randomized log workloads found.
final class LogStoreRandomWorkloadTests: XCTestCase {}

extension LogStoreRandomWorkloadTests {
    /// Found by seed 28 (1024x3, drop-oldest, `.never`); reachable with `.ordered` too when records
    /// are written without a sync (batch durability). A drop erases the segment ahead of the new
    /// head with an unsynced write; the head then fills with records written by `write()`; the
    /// power cut loses the erase but keeps the records. Recovery finds no free segment ahead and
    /// drops it into the nearly full head: the drop's closing check ("a drop left no room for a
    /// record") trapped, killing the daemon at every start.
    func testRecoveryDropIntoANearlyFullHeadDoesNotTrap() throws {
        let geometry = LogGeometry(segmentSizeBytes: 1024, segmentCount: 3)!
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, geometry: geometry, policy: .dropOldest, buffer: buffer)
        let name = SensorName("t")
        var features = FeatureVector()
        features[.temperature] = 1
        func reading(_ i: Int) -> ProcessedReading {
            ProcessedReading(sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: Int64(i), features: features, batteryMilliPercent: nil)
        }
        func header(_ segment: Int) -> [UInt8] {
            let start = Int(geometry.offset(ofSegment: segment))
            return Array(disk.bytes[start..<(start + LogFormat.segmentHeaderBytes)])
        }
        // Wrap until a roll drops the segment ahead of the new head; keep that segment's live header.
        var saved: (segment: Int, header: [UInt8])? = nil
        var i = 0
        while saved == nil {
            i += 1
            XCTAssertLessThan(i, 1000)
            let headers = (0..<geometry.segmentCount).map(header)
            let erased = store.counters.erasedSegments
            let before = store.head
            try store.append(alert: AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
                value: Int32(i), threshold: 0, confidenceQ16: 0, timestampMs: Int64(i)), name: name)
            try store.append(reading: reading(i), name: name)
            try store.commit()
            if store.head != before && store.counters.erasedSegments > erased && before >= 0 {
                let ahead = (store.head + 1) % geometry.segmentCount
                saved = (ahead, headers[ahead])
            }
        }
        // Fill the head with records written but never synced, up to its last few bytes.
        while store.headHasRoom(40) {
            i += 1
            try store.append(reading: reading(i), name: name)
        }
        try store.write()
        // The cut: every write kept except the erase of the segment ahead.
        var image = disk.bytes
        let start = Int(geometry.offset(ofSegment: saved!.segment))
        image.replaceSubrange(start..<(start + LogFormat.segmentHeaderBytes), with: saved!.header)
        let cut = SimDisk(bytes: image)
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        var reopened = try openStore(cut, geometry: geometry, policy: .dropOldest, buffer: buffer2)
        XCTAssertGreaterThan(reopened.counters.erasedSegments, 0, "recovery finished the drop")
        // And the log goes on: the next records roll into the erased segment.
        for j in 0..<40 { try reopened.append(reading: reading(10_000 + j), name: name) }
        try reopened.commit()
        XCTAssertEqual(try readAll(&reopened).last?.timestampMs, 10_039)
    }
}

extension LogStoreRandomWorkloadTests {
    /// Found by seeds 150, 262, 363, 749 (`.ordered`): "a power cut looked like corruption of
    /// synced data". Records written without a commit, then the process is killed: the page cache
    /// keeps them and the reopened store read them back and called them durable without a sync.
    /// A power cut then loses them, although `durableSequence` (what the uplink forwards) covered
    /// them; once the head rolled over them without a sync, the cut left a newer live header above
    /// the lost stretch, which recovery reports as corruption.
    func testReopenAfterAKillMakesWhatItCallsDurableDurable() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .rejectNew, buffer: buffer)
        var workload = LogWorkload(seed: 3)
        let name = SensorName("boiler-1")
        for i in 0..<5 { try store.append(reading: workload.reading(at: Int64(i)), name: name) }
        try store.commit()
        disk.startRecording()
        for i in 5..<10 { try store.append(reading: workload.reading(at: Int64(i)), name: name) }
        try store.write()
        // Killed: every write is still in the page cache.
        let buffer2 = LogArenaBuffer(sizeBytes: 64 << 10)
        let reopened = try openStore(disk, policy: .rejectNew, buffer: buffer2)
        XCTAssertEqual(reopened.durableSequence, 10)
        // A power cut now, losing every write not synced.
        var image = disk.baseImage
        if let lastSync = disk.events.lastIndex(where: { if case .sync = $0 { return true } else { return false } }) {
            for event in disk.events[...lastSync] {
                if case .write(let offset, let bytes, _, _) = event { image.replaceSubrange(offset..<(offset + bytes.count), with: bytes) }
            }
        }
        let buffer3 = LogArenaBuffer(sizeBytes: 64 << 10)
        var afterCut = try openStore(SimDisk(bytes: image), policy: .rejectNew, buffer: buffer3)
        XCTAssertEqual(try readAll(&afterCut).map(\.sequence), Array(1...10), "every record the reopened store called durable")
    }
}
