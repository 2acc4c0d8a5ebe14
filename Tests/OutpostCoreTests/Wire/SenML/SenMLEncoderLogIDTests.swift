import OutpostCore
import XCTest

/// The log id in the pack (docs/UPLINK_FORMAT.md §2): `lid` on the first record, next to `bn`, and
/// nowhere else; absent when the source has none. The uplink takes it from its source.
final class SenMLEncoderLogIDTests: XCTestCase {
    func pack(logID: UInt64, count: Int) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 8)
        defer { buffer.deallocate() }
        var encoder = SenMLEncoder(buffer: buffer, nodeId: SensorName("node-1"), logID: logID)
        for i in 0..<count {
            var record = TestRecords.reading("s1", timestampMs: TestRecords.startMs + Int64(i), features: [(.temperature, 21_000), (.humidity, 40_000)])
            record.sequence = UInt64(i + 1)
            XCTAssertEqual(encoder.append(record), .appended)
        }
        return Array(encoder.finish())
    }

    func testTheFirstRecordCarriesTheLogIDNextToTheBaseName() throws {
        // A 64-bit id above Int64.max is an unsigned CBOR integer of 8 bytes (0x1B ...).
        let id: UInt64 = 0xF123_4567_89AB_CDEF
        let bytes = pack(logID: id, count: 3)
        let records = try UplinkPackRecord.decodePack(bytes)
        XCTAssertEqual(records.count, 6, "two SenML records per reading")
        XCTAssertEqual(records[0].baseName, "node-1/")
        XCTAssertEqual(records[0].fields["lid"], .int(Int64(bitPattern: id)))
        for record in records.dropFirst() {
            XCTAssertNil(record.fields["lid"])
            XCTAssertNil(record.fields["bn"])
        }
        // The label's encoding: text "lid", then 0x1B and the id big-endian.
        let label: [UInt8] = [0x63, 0x6C, 0x69, 0x64, 0x1B, 0xF1, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]
        XCTAssertNotNil(bytes.indices.first { bytes[$0...].starts(with: label) })
        // The core's own SenML decoder still reads the readings (it ignores the extension).
        let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: 16)
        defer { readings.deallocate() }
        let result = try bytes.withUnsafeBytes { try SenMLDecoder.decodeCBOR($0, nowMs: TestRecords.startMs, into: readings) }
        XCTAssertEqual(result.readingCount, 3)
    }

    func testNoLogIDMeansNoLabel() throws {
        let records = try UplinkPackRecord.decodePack(pack(logID: 0, count: 2))
        XCTAssertTrue(records.allSatisfy { $0.fields["lid"] == nil })
        XCTAssertEqual(records[0].baseName, "node-1/")
    }

    func testTheLogSourceReportsItsStoreLogID() throws {
        let disk = SimDisk(sizeBytes: Int(smallGeometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
        var arena = buffer.arena()
        let store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: smallGeometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: true,
            formatLogID: 0xABCD)
        let source = UplinkLogSource(store: store, durableOnly: false)
        XCTAssertEqual(source.uplinkLogID, 0xABCD)
    }
}
