import Foundation
import OutpostCore
import XCTest

/// Damaged media (docs/LOG_FORMAT.md §6): bytes overwritten at record boundaries and inside
/// records of a synced log of several segments, and flipped bits in the file header copies.
/// Recovery must lose exactly the records the damage touches, keep (and forward) every valid
/// record after it, count the loss from the sequence gap, and never append over a valid record.
final class LogDamageTests: XCTestCase {
    /// 8 segments of 4 KiB: a few dozen records per segment, several segments live.
    let geometry = LogGeometry(segmentSizeBytes: 4096, segmentCount: 8)!

    /// One record as written: where it is in the file and what it holds.
    struct Written {
        var sequence: UInt64
        var offset: Int
        var length: Int
        var type: LogRecordType
        var timestampMs: Int64
        var payload: [UInt8]
    }

    /// A synced log of `count` records (readings with an alert every 7th), nothing forwarded, and
    /// where each record sits in the file (found by walking the clean image).
    func syncedLog(count: Int, geometry: LogGeometry? = nil) throws -> (image: [UInt8], written: [Written], logID: UInt64) {
        let geometry = geometry ?? self.geometry
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena = buffer.arena()
        var store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew,
            formatIfBlank: true, formatLogID: 0x0123_4567_89AB_CDEF)
        var workload = LogWorkload(seed: 0xDA_AA6E)
        let name = SensorName("damage-log")
        var appended: [UInt64: (LogRecordType, Int64, [UInt8])] = [:]
        for i in 0..<count {
            let timestamp = Int64(1_700_000_000_000 + i * 1000)
            let sequence: UInt64
            if i % 7 == 3 {
                let alert = AlertEvent(
                    raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature, value: Int32(i), threshold: 40_000,
                    confidenceQ16: 65535, timestampMs: timestamp)
                sequence = try store.append(alert: alert, name: name)
            } else {
                sequence = try store.append(reading: workload.reading(at: timestamp), name: name)
            }
            XCTAssertEqual(sequence, UInt64(i + 1))
        }
        try store.commit()
        for record in try readAll(&store) { appended[record.sequence] = (record.type, record.timestampMs, record.payloadBytes) }
        XCTAssertEqual(appended.count, count)
        let written = walk(disk.bytes, geometry: geometry).map { (sequence, offset, length) in
            Written(sequence: sequence, offset: offset, length: length, type: appended[sequence]!.0, timestampMs: appended[sequence]!.1,
                    payload: appended[sequence]!.2)
        }
        XCTAssertEqual(written.map(\.sequence), (1...UInt64(count)).map { $0 })
        if count >= 200 { XCTAssertGreaterThan(store.liveSegmentCount, 3, "the damage must reach older segments and the head") }
        return (disk.bytes, written, store.logID)
    }

    /// (sequence, file offset, length) of every record of a clean image, oldest segment first.
    func walk(_ image: [UInt8], geometry: LogGeometry) -> [(UInt64, Int, Int)] {
        var segments: [(UInt64, Int, UInt64)] = []
        for i in 0..<geometry.segmentCount {
            let start = Int(geometry.offset(ofSegment: i))
            let header = image[start..<(start + LogFormat.segmentHeaderBytes)].withUnsafeBytes {
                LogSegmentHeader.decode($0, index: UInt32(i), segmentSizeBytes: UInt32(geometry.segmentSizeBytes))
            }
            if let header, header.isLive { segments.append((header.segmentSequence, i, header.firstRecordSequence)) }
        }
        var result: [(UInt64, Int, Int)] = []
        for (_, index, first) in segments.sorted(by: { $0.0 < $1.0 }) {
            let start = Int(geometry.offset(ofSegment: index))
            var offset = start + LogFormat.segmentHeaderBytes
            var expected = first
            while offset + LogFormat.minRecordBytes <= start + geometry.segmentSizeBytes {
                let length = Int(image[offset]) | Int(image[offset + 1]) << 8
                if length < LogFormat.minRecordBytes { break }
                var sequence: UInt64 = 0
                for i in 0..<8 { sequence |= UInt64(image[offset + 4 + i]) << (8 * UInt64(i)) }
                if sequence != expected { break }
                result.append((sequence, offset, length))
                offset += length
                expected += 1
            }
        }
        return result
    }

    /// Overwrites `count` bytes at `offset` of `image` (`zero`: with zeros, else each byte XOR
    /// 0xA5, which always changes it); returns the damaged image and the records whose bytes
    /// actually changed.
    func damage(_ image: [UInt8], written: [Written], at offset: Int, count: Int, zero: Bool) -> ([UInt8], Set<UInt64>) {
        var damaged = image
        var changed: [Int] = []
        for i in offset..<min(offset + count, image.count) {
            damaged[i] = zero ? 0 : image[i] ^ 0xA5
            if damaged[i] != image[i] { changed.append(i) }
        }
        var touched = Set<UInt64>()
        for record in written where changed.contains(where: { $0 >= record.offset && $0 < record.offset + record.length }) {
            touched.insert(record.sequence)
        }
        // Damage to a segment header (a stretch that runs over the end of a segment) makes that
        // segment free: all its records go (segment headers are not resynchronised over).
        let reserved = LogFormat.reservedBytes
        for i in changed where i >= reserved && (i - reserved) % geometry.segmentSizeBytes < LogFormat.segmentHeaderBytes {
            let start = i - (i - reserved) % geometry.segmentSizeBytes
            for record in written where record.offset >= start && record.offset < start + geometry.segmentSizeBytes {
                touched.insert(record.sequence)
            }
        }
        return (damaged, touched)
    }

    /// Recovers `image` and checks that exactly `touched` is lost, every other record is kept
    /// byte for byte and forwarded, the loss is counted, and that appends after recovery (and a
    /// reopen) keep every valid record. Returns a failure description or nil.
    func check(_ image: [UInt8], written: [Written], touched: Set<UInt64>, what: String) throws {
        let disk = SimDisk(bytes: image)
        let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena = buffer.arena()
        var store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: false)
        let kept = written.filter { !touched.contains($0.sequence) }
        let records = try readAll(&store)
        XCTAssertEqual(records.map(\.sequence), kept.map(\.sequence), what)
        if records.map(\.sequence) != kept.map(\.sequence) { return }
        for (record, original) in zip(records, kept) {
            XCTAssertTrue(record.type == original.type && record.timestampMs == original.timestampMs && record.payloadBytes == original.payload,
                          "\(what): record \(record.sequence) differs from what was written")
        }
        XCTAssertEqual(store.recovery.records, kept.count, what)
        // The loss is counted from the sequence gaps, except for damage that ends the head's
        // records (a torn tail: how many records it held is unknown).
        let last = written.last!.sequence
        let trailing = touched.contains(last) ? (touched.filter { s in (s...last).allSatisfy { touched.contains($0) } }.count) : 0
        XCTAssertEqual(store.recovery.skippedRecords, UInt64(touched.count - trailing), what)
        if touched.count > trailing {
            XCTAssertTrue(store.recovery.foundCorruption, what)
            let first = written.first { touched.contains($0.sequence) }!
            XCTAssertEqual(store.recovery.damage[0].firstLostSequence, first.sequence, what)
            XCTAssertEqual(store.recovery.damage[0].offset, Int64(first.offset), what)
        }
        // Appends continue after the last valid record, with the next sequence.
        let nextExpected = (kept.last?.sequence ?? 0) + 1
        XCTAssertEqual(store.nextSequence, max(nextExpected, trailing > 0 ? nextExpected : last + 1), what)
        let name = SensorName("after-damage")
        var workload = LogWorkload(seed: 5)
        var added: [UInt64] = []
        for i in 0..<20 {
            do { added.append(try store.append(reading: workload.reading(at: Int64(i)), name: name)) } catch LogAppendError.full { break }
        }
        try store.commit()
        XCTAssertFalse(added.isEmpty, what)
        let buffer2 = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena2 = buffer2.arena()
        var reopened = try LogStore(
            device: PowerCutDevice(disk), arena: &arena2, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: false)
        let after = try readAll(&reopened)
        XCTAssertEqual(after.map(\.sequence), kept.map(\.sequence) + added, "\(what): after appending")
        // Forwarding everything moves the cursor past the damage.
        if let end = after.last?.sequence {
            reopened.setCursor(end)
            try reopened.commit()
            XCTAssertEqual(reopened.durableCursor, end, what)
        }
    }

    /// Overwrites 1 and 8 bytes at every record boundary and in the middle of every record
    /// (with a changed value; with zeros at every 5th record), the full byte-by-byte sweep of
    /// every record with OUTPOST_DAMAGE_FULL=1.
    func testDamageAtEveryRecordLosesOnlyTheRecordsItTouches() throws {
        let (image, written, _) = try syncedLog(count: 260)
        let full = ProcessInfo.processInfo.environment["OUTPOST_DAMAGE_FULL"] != nil
        var cases = 0
        for (n, record) in written.enumerated() {
            var offsets = [record.offset, record.offset + record.length / 2]
            if full { offsets = Array(record.offset..<(record.offset + record.length)) }
            for offset in offsets {
                for count in [1, 8] {
                    for zero in (n % 5 == 0 ? [false, true] : [false]) {
                        let (damaged, touched) = damage(image, written: written, at: offset, count: count, zero: zero)
                        if touched.isEmpty { continue }
                        try check(damaged, written: written, touched: touched,
                                  what: "\(count) byte(s) \(zero ? "zeroed" : "changed") at \(offset) (record \(record.sequence) at \(record.offset))")
                        cases += 1
                    }
                }
            }
        }
        XCTAssertGreaterThan(cases, 4 * written.count)
    }

    /// Several damaged stretches at once, in different segments and in the head: each costs only
    /// its records, and the report lists each with its offset.
    func testSeveralDamagedStretchesAreEachCountedAndListed() throws {
        let (image, written, _) = try syncedLog(count: 260)
        var damaged = image
        var touched = Set<UInt64>()
        let victims = [10, 11, 60, 130, 200, 240].map { written[$0] }
        for victim in victims {
            let (next, hit) = damage(damaged, written: written, at: victim.offset + 5, count: 8, zero: false)
            damaged = next
            touched.formUnion(hit)
        }
        try check(damaged, written: written, touched: touched, what: "several stretches")
        let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena = buffer.arena()
        let store = try LogStore(
            device: PowerCutDevice(SimDisk(bytes: damaged)), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew,
            formatIfBlank: false, readOnly: true)
        // Records 11 and 12 (indices 10, 11) are adjacent: one stretch.
        XCTAssertEqual(store.recovery.damageCount, 5)
        XCTAssertEqual((0..<5).map { store.recovery.damage[$0].offset }, [10, 60, 130, 200, 240].map { Int64(written[$0].offset) })
        XCTAssertEqual((0..<5).map { store.recovery.damage[$0].lostRecords }, [2, 1, 1, 1, 1])
        XCTAssertEqual(store.recovery.skippedRecords, 6)
    }

    /// The case users met: a synced log of 317 unforwarded readings in one 64 KiB segment, 8
    /// bytes overwritten at file offset 18192. Everything but the damaged record(s) is kept, and
    /// appends go after the last record (sequence 318), not over the records after the damage.
    func testEightBytesOverwrittenInTheHeadKeepTheRecordsAfterThem() throws {
        let big = LogGeometry(segmentSizeBytes: 65536, segmentCount: 3)!
        let disk = SimDisk(sizeBytes: Int(big.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 512 << 10)
        var arena = buffer.arena()
        var store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: big, pageBytes: 4096, policy: .rejectNew, formatIfBlank: true)
        var workload = LogWorkload(seed: 317)
        for i in 0..<317 { try store.append(reading: workload.reading(at: Int64(i)), name: SensorName("field-7")) }
        try store.commit()
        var image = disk.bytes
        for i in 18192..<18200 { image[i] = 0x5A }
        let damagedDisk = SimDisk(bytes: image)
        let buffer2 = LogArenaBuffer(sizeBytes: 512 << 10)
        var arena2 = buffer2.arena()
        var recovered = try LogStore(
            device: PowerCutDevice(damagedDisk), arena: &arena2, geometry: big, pageBytes: 4096, policy: .rejectNew, formatIfBlank: false)
        let records = try readAll(&recovered)
        XCTAssertGreaterThanOrEqual(records.count, 315)
        XCTAssertEqual(UInt64(records.count) + recovered.recovery.skippedRecords, 317)
        XCTAssertEqual(records.last?.sequence, 317)
        XCTAssertEqual(recovered.nextSequence, 318)
        XCTAssertEqual(recovered.recovery.tailBytes, 0)
        XCTAssertTrue(recovered.recovery.foundCorruption)
        XCTAssertEqual(try recovered.append(marker: LogMarkerPayload(code: 1, value: 0), timestampMs: 0), 318)
        try recovered.commit()
        XCTAssertEqual(try readAll(&recovered).count, records.count + 1)
    }

    // MARK: - File header copies

    func testAFlippedBitInEitherHeaderCopyOpensAndIsRepaired() throws {
        let (image, written, logID) = try syncedLog(count: 40)
        for copy in [0, LogFormat.fileHeaderCopyOffset] {
            for bit in 0..<(LogFormat.fileHeaderBytes * 8) {
                var damaged = image
                damaged[copy + bit / 8] ^= 1 << UInt8(bit % 8)
                let disk = SimDisk(bytes: damaged)
                let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
                var arena = buffer.arena()
                var store = try LogStore(
                    device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: false)
                XCTAssertEqual(store.logID, logID, "copy \(copy) bit \(bit)")
                XCTAssertEqual(store.fileVersion, LogFormat.version)
                XCTAssertEqual(store.recovery.damagedHeaderCopyOffset, Int64(copy), "copy \(copy) bit \(bit)")
                XCTAssertTrue(store.recovery.headerCopyRepaired)
                XCTAssertTrue(store.recovery.foundCorruption)
                XCTAssertEqual(try readAll(&store).count, written.count)
                // Repaired: the file is byte for byte what it was before the flip.
                XCTAssertEqual(Array(disk.bytes[0..<LogFormat.reservedBytes]), Array(image[0..<LogFormat.reservedBytes]), "copy \(copy) bit \(bit)")
            }
        }
    }

    func testAReadOnlyOpenReportsADamagedCopyWithoutRepairingIt() throws {
        let (image, _, logID) = try syncedLog(count: 10)
        var damaged = image
        damaged[LogFormat.fileHeaderCopyOffset + 20] ^= 0x10
        let disk = SimDisk(bytes: damaged)
        let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena = buffer.arena()
        let store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: false, readOnly: true)
        XCTAssertEqual(store.logID, logID)
        XCTAssertEqual(store.recovery.damagedHeaderCopyOffset, Int64(LogFormat.fileHeaderCopyOffset))
        XCTAssertFalse(store.recovery.headerCopyRepaired)
        XCTAssertEqual(disk.bytes, damaged)
    }

    func testBothHeaderCopiesBadIsRefusedAndNothingIsWritten() throws {
        let (image, _, _) = try syncedLog(count: 10)
        let copy = LogFormat.fileHeaderCopyOffset
        // Each pair of damage: CRC, CRC + magic, zeroed first copy with a bad second one.
        let damages: [(String, (inout [UInt8]) -> Void, LogOpenError)] = [
            ("both CRCs", { $0[13] ^= 1; $0[copy + 60] ^= 0x80 }, .corruptHeader),
            ("magic and CRC", { $0[0] ^= 4; $0[copy + 30] ^= 1 }, .notALog),
            ("version and version", { $0[4] = 7; $0[copy + 4] = 7 }, .unsupportedVersion(7)),
            ("first zeroed, second bad", { for i in 0..<64 { $0[i] = 0 }; $0[copy + 9] ^= 2 }, .corruptHeader),
        ]
        for (what, apply, expected) in damages {
            var damaged = image
            apply(&damaged)
            let disk = SimDisk(bytes: damaged)
            let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
            var arena = buffer.arena()
            XCTAssertThrowsError(try LogStore(
                device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: true), what) {
                XCTAssertEqual($0 as? LogOpenError, expected, what)
            }
            XCTAssertEqual(disk.bytes, damaged, "\(what): never repaired or formatted over")
        }
    }

    /// Versions 1 and 2 have one header copy: a flipped bit there is still refused, never
    /// repaired (and the bytes at the second copy's offset, zero in those files, are not read as
    /// a header).
    func testAnOlderFileWithItsOnlyHeaderDamagedIsRefused() throws {
        for version: UInt16 in [1, 2] {
            var image = LegacyLogImage(version: version)
            image.append(.marker, payload: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            var damaged = image.bytes
            damaged[13] ^= 0x20
            let disk = SimDisk(bytes: damaged)
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            XCTAssertThrowsError(try openStore(disk, buffer: buffer)) { XCTAssertEqual($0 as? LogOpenError, .corruptHeader) }
            XCTAssertEqual(disk.bytes, damaged)
        }
    }

    /// The decision table of `LogFileHeaderCopies.decide` case by case.
    func testTheHeaderCopyDecision() {
        let v3 = LogFileHeader(geometry: geometry, fileSizeBytes: geometry.fileSizeBytes, logID: 7)
        let other = LogFileHeader(geometry: geometry, fileSizeBytes: geometry.fileSizeBytes, logID: 8)
        let v2 = LogFileHeader(geometry: geometry, fileSizeBytes: geometry.fileSizeBytes, version: 2)
        let copy = LogFormat.fileHeaderCopyOffset
        typealias P = LogFileHeader.Probe
        let cases: [(P, P, P, Int)] = [
            (.valid(v3), .valid(v3), .valid(v3), -1),
            (.valid(v3), .corrupt, .valid(v3), copy),
            (.valid(v3), .blank, .valid(v3), copy),
            (.valid(v3), .valid(other), .valid(v3), copy),
            (.valid(v2), .blank, .valid(v2), -1),
            (.corrupt, .valid(v3), .valid(v3), 0),
            (.notALog, .valid(v3), .valid(v3), 0),
            (.unsupportedVersion(9), .valid(v3), .valid(v3), 0),
            (.blank, .valid(v3), .valid(v3), 0),
            (.corrupt, .valid(v2), .corrupt, -1),
            (.blank, .blank, .blank, -1),
            (.blank, .corrupt, .corrupt, -1),
            (.blank, .notALog, .notALog, -1),
            (.blank, .valid(v2), .corrupt, -1),
            (.corrupt, .corrupt, .corrupt, -1),
            (.notALog, .blank, .notALog, -1),
            (.unsupportedVersion(9), .unsupportedVersion(9), .unsupportedVersion(9), -1),
        ]
        for (first, second, probe, repair) in cases {
            let decided = LogFileHeaderCopies.decide(first: first, second: second)
            XCTAssertEqual(decided.probe, probe, "\(first) / \(second)")
            XCTAssertEqual(decided.repairOffset, repair, "\(first) / \(second)")
        }
    }

    /// A cut between the two header writes of `format` leaves only the second copy: it opens.
    func testAFormatCutBeforeTheFirstCopyOpensFromTheSecond() throws {
        let (image, _, logID) = try syncedLog(count: 0 + 10)
        var damaged = image
        for i in 0..<LogFormat.fileHeaderBytes { damaged[i] = 0 }
        let disk = SimDisk(bytes: damaged)
        let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena = buffer.arena()
        let store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: true)
        XCTAssertEqual(store.logID, logID)
        XCTAssertEqual(store.recovery.records, 10)
        XCTAssertEqual(Array(disk.bytes[0..<64]), Array(image[0..<64]))
    }

    // MARK: - Log id

    func testTheLogIDIsStoredAtFormatAndReadBack() throws {
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena = buffer.arena()
        let store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: true,
            formatLogID: 0xFEED_F00D_1234_5678)
        XCTAssertEqual(store.logID, 0xFEED_F00D_1234_5678)
        XCTAssertTrue(store.logIDIsStored)
        XCTAssertEqual(store.fileVersion, 3)
        // The id is at offset 32 of both copies.
        for copy in [0, LogFormat.fileHeaderCopyOffset] {
            var id: UInt64 = 0
            for i in 0..<8 { id |= UInt64(disk.bytes[copy + 32 + i]) << (8 * UInt64(i)) }
            XCTAssertEqual(id, 0xFEED_F00D_1234_5678)
        }
        // An existing file keeps its id whatever the opener passes.
        let buffer2 = LogArenaBuffer(sizeBytes: 256 << 10)
        var arena2 = buffer2.arena()
        let again = try LogStore(
            device: PowerCutDevice(disk), arena: &arena2, geometry: geometry, pageBytes: 512, policy: .rejectNew, formatIfBlank: true,
            formatLogID: 42)
        XCTAssertEqual(again.logID, 0xFEED_F00D_1234_5678)
    }

    func testOlderFilesGetTheDerivedLogID() throws {
        for version: UInt16 in [1, 2] {
            var image = LegacyLogImage(version: version)
            image.append(.marker, payload: [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            let disk = SimDisk(bytes: image.bytes)
            let buffer = LogArenaBuffer(sizeBytes: 64 << 10)
            var store = try openStore(disk, buffer: buffer)
            XCTAssertEqual(store.fileVersion, version)
            XCTAssertFalse(store.logIDIsStored)
            let derived = image.bytes[0..<64].withUnsafeBytes { LogFileHeader.derivedLogID($0) }
            XCTAssertEqual(store.logID, derived)
            XCTAssertNotEqual(store.logID, 0)
            XCTAssertEqual(try readAll(&store).count, 1)
            // Nothing was written at the second copy's offset of an older file.
            XCTAssertTrue(disk.bytes[LogFormat.fileHeaderCopyOffset..<(LogFormat.fileHeaderCopyOffset + 64)].allSatisfy { $0 == 0 })
        }
        // Versions 1 and 2 of the same geometry derive different ids (the version is in the bytes).
        let ids = [UInt16(1), 2].map { LogFileHeader(geometry: smallGeometry, fileSizeBytes: smallGeometry.fileSizeBytes, version: $0).logID }
        XCTAssertNotEqual(ids[0], ids[1])
    }
}
