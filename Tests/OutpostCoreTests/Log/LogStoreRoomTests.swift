import OutpostCore
import XCTest

/// `LogStore.appendableBytes(upTo:)`: the daemon's admission check must never promise room an
/// append then refuses, and must see the room forwarding gives back (reject-new).
final class LogStoreRoomTests: XCTestCase {
    let sensor = SensorName("room-1")

    func reading(_ i: Int) -> ProcessedReading {
        var features = FeatureVector()
        features[.temperature] = Int32(i)
        return ProcessedReading(sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: Int64(i), features: features, batteryMilliPercent: nil)
    }

    func testRejectNewPromiseIsKeptUntilFullThenZeroThenBackAfterForwarding() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .rejectNew, buffer: buffer)
        let limit = 8 * LogFormat.maxRecordBytes
        XCTAssertEqual(store.appendableBytes(upTo: limit), limit, "an empty log has room")
        var appended = 0
        // Bounded: a 4-segment log of 4 KiB holds far fewer than 10 000 readings.
        for i in 1...10_000 {
            let promised = store.appendableBytes(upTo: limit)
            if promised < LogFormat.maxRecordBytes {
                break
            }
            // Whatever was promised must be kept: an append of a full-size-or-smaller record works.
            XCTAssertNoThrow(try store.append(reading: reading(i), name: sensor), "promised \(promised) bytes at \(i)")
            appended += 1
            if i % 16 == 0 { try store.commit() }
        }
        XCTAssertGreaterThan(appended, 50)
        XCTAssertLessThan(store.appendableBytes(upTo: limit), LogFormat.maxRecordBytes)
        try store.commit()
        // Forwarding everything frees whole segments: room again, without dropping anything.
        store.setCursor(UInt64(appended))
        XCTAssertEqual(store.appendableBytes(upTo: limit), limit)
        XCTAssertNoThrow(try store.append(reading: reading(0), name: sensor))
        XCTAssertEqual(store.counters.droppedReadings, 0)
    }

    func testDropOldestAlwaysHasRoomAndFailedOrOutOfSpaceHasNone() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var store = try openStore(disk, policy: .dropOldest, buffer: buffer)
        for i in 1...2_000 { try store.append(reading: reading(i), name: sensor) }
        XCTAssertEqual(store.appendableBytes(upTo: 1_000), 1_000, "drop-oldest makes room")
        XCTAssertEqual(store.appendableBytes(upTo: 0), 0)
        XCTAssertGreaterThan(store.counters.droppedReadings, 0)
        // Out of device space: nothing is promised until a write succeeds again.
        disk.noSpace = true
        XCTAssertThrowsError(try store.commit())
        XCTAssertEqual(store.state, .noSpace)
        XCTAssertEqual(store.appendableBytes(upTo: 1_000), 0)
        disk.noSpace = false
        try store.commit()
        XCTAssertEqual(store.appendableBytes(upTo: 1_000), 1_000)
        // A failed fdatasync is fail-stop: never any room again.
        try store.append(reading: reading(1), name: sensor)
        disk.failSync = -5
        XCTAssertThrowsError(try store.commit())
        XCTAssertEqual(store.appendableBytes(upTo: 1_000), 0)
    }
}
