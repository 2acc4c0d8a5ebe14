import Foundation
@testable import OutpostCore
import OutpostProfiles
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Carving: layout and values in both kinds of arena, pages a zeroed arena leaves unwritten
/// (resident memory read from /proc/self/smaps), and that tables carved with zero instead of their
/// start values behave exactly like tables written in full.
final class ArenaTests: XCTestCase {
    static let pageBytes = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Anonymous memory of `pages` pages between two inaccessible guard pages, so the kernel keeps
    /// it as a mapping of its own (not merged with a neighbour) and smaps reports it alone.
    final class Mapping {
        let base: UnsafeMutableRawPointer
        let sizeBytes: Int
        private let whole: UnsafeMutableRawPointer
        private let wholeBytes: Int

        init(pages: Int) {
            let page = ArenaTests.pageBytes
            wholeBytes = (pages + 2) * page
            let raw = mmap(nil, wholeBytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            precondition(raw != MAP_FAILED, "mmap failed")
            whole = raw!
            base = whole + page
            sizeBytes = pages * page
            precondition(mprotect(base, sizeBytes, PROT_READ | PROT_WRITE) == 0, "mprotect failed")
            // A transparent huge page would make a whole 2 MiB resident at the first write.
            _ = madvise(base, sizeBytes, MADV_NOHUGEPAGE)
        }

        deinit { munmap(whole, wholeBytes) }

        /// Resident bytes of the mapping (`Rss:` of its smaps entry): pages written, not pages only
        /// read (those map the kernel's shared zero page, which smaps does not count).
        func residentBytes() throws -> Int {
            let smaps = try Mapping.readProcFile("/proc/self/smaps")
            let start = String(UInt(bitPattern: base), radix: 16) + "-"
            var inMapping = false
            for line in smaps.split(separator: "\n") {
                if line.first?.isHexDigit == true && line.contains("-") && line.contains(" ") {
                    inMapping = line.hasPrefix(start)
                    continue
                }
                if inMapping && line.hasPrefix("Rss:") {
                    let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                    return try XCTUnwrap(kib) * 1024
                }
            }
            throw MappingError.noSmapsEntry
        }

        enum MappingError: Error { case cannotRead, noSmapsEntry }

        /// The text of a /proc file (they report size 0, so read until the end).
        static func readProcFile(_ path: String) throws -> String {
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw MappingError.cannotRead }
            defer { close(fd) }
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            for _ in 0..<4_096 {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                guard n >= 0 else { throw MappingError.cannotRead }
                if n == 0 { return String(decoding: bytes, as: UTF8.self) }
                bytes += chunk[0..<n]
            }
            throw MappingError.cannotRead
        }
    }

    struct Padded: BitwiseCopyable, Equatable {
        var flag: UInt8
        var value: UInt32
    }

    // ---- layout -----------------------------------------------------------------------------

    /// The offsets of four carves of mixed alignment, from the arena's base.
    private func carveMixed(_ arena: inout Arena, from base: UnsafeMutableRawPointer) -> [Int] {
        func offset<T>(_ buffer: UnsafeMutableBufferPointer<T>) -> Int { UnsafeRawPointer(buffer.baseAddress!) - UnsafeRawPointer(base) }
        return [
            offset(arena.carve(3, of: UInt8(0))),
            offset(arena.carve(5, of: UInt64(7))),
            offset(arena.carve(1, of: Int16(-1))),
            offset(arena.carve(9, of: Padded(flag: 0, value: 0))),
        ]
    }

    func testBothKindsCarveTheSameLayoutAsBytesAfterPredicts() {
        let mapping = Mapping(pages: 4)
        let garbage = UnsafeMutableRawPointer.allocate(byteCount: mapping.sizeBytes, alignment: 64)
        defer { garbage.deallocate() }
        garbage.initializeMemory(as: UInt8.self, repeating: 0xA5, count: mapping.sizeBytes)
        var zeroed = Arena(zeroedBase: mapping.base, sizeBytes: mapping.sizeBytes)
        var plain = Arena(base: garbage, sizeBytes: mapping.sizeBytes)
        XCTAssertTrue(zeroed.isZeroed)
        XCTAssertFalse(plain.isZeroed)

        var predicted: [Int] = []
        var used = 0
        used = Arena.bytes(after: used, 3, of: UInt8.self); predicted.append(used - 3)
        used = Arena.bytes(after: used, 5, of: UInt64.self); predicted.append(used - 5 * 8)
        used = Arena.bytes(after: used, 1, of: Int16.self); predicted.append(used - 2)
        used = Arena.bytes(after: used, 9, of: Padded.self); predicted.append(used - 9 * MemoryLayout<Padded>.stride)
        XCTAssertEqual(carveMixed(&zeroed, from: mapping.base), predicted)
        XCTAssertEqual(carveMixed(&plain, from: garbage), predicted)
        XCTAssertEqual(zeroed.usedBytes, used)
        XCTAssertEqual(plain.usedBytes, used)
    }

    /// The check a zeroed arena relies on (a non-zero byte there is a broken contract and traps).
    func testIsAllZeroFindsANonZeroByteAnywhere() {
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
        defer { bytes.deallocate() }
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
        // Every start (aligned or not) and length, so both the word loop and the byte tail count.
        for start in 0..<9 {
            for count in 0...(64 - start) {
                let region = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + count)])
                XCTAssertTrue(Arena.isAllZero(region))
                for position in 0..<count {
                    bytes[start + position] = 0x80
                    XCTAssertFalse(Arena.isAllZero(region), "start \(start) count \(count) position \(position)")
                    bytes[start + position] = 0
                }
            }
        }
        XCTAssertTrue(Arena.isAllZero(UnsafeRawBufferPointer(start: nil, count: 0)))
    }

    // ---- values -----------------------------------------------------------------------------

    func testPlainArenaWritesEveryValueOverGarbage() {
        let bytes = 4096
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { memory.deallocate() }
        memory.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
        var arena = Arena(base: memory, sizeBytes: bytes)
        let zeros = arena.carve(100, of: UInt32(0))
        let minusOnes = arena.carve(50, of: Int16(-1))
        let padded = arena.carve(20, of: Padded(flag: 0, value: 0))
        XCTAssertTrue(zeros.allSatisfy { $0 == 0 })
        XCTAssertTrue(minusOnes.allSatisfy { $0 == -1 })
        XCTAssertTrue(padded.allSatisfy { $0 == Padded(flag: 0, value: 0) })
    }

    func testZeroedArenaHoldsEveryValueItWasAskedFor() {
        let mapping = Mapping(pages: 4)
        var arena = Arena(zeroedBase: mapping.base, sizeBytes: mapping.sizeBytes)
        let zeros = arena.carve(100, of: UInt32(0))
        let minusOnes = arena.carve(50, of: Int16(-1))
        let sevens = arena.carve(30, of: Padded(flag: 7, value: 7))
        let zeroPadded = arena.carve(30, of: Padded(flag: 0, value: 0))
        let oneByte = arena.carve(1, of: UInt8(1))
        XCTAssertTrue(zeros.allSatisfy { $0 == 0 })
        XCTAssertTrue(minusOnes.allSatisfy { $0 == -1 })
        XCTAssertTrue(sevens.allSatisfy { $0 == Padded(flag: 7, value: 7) })
        XCTAssertTrue(zeroPadded.allSatisfy { $0 == Padded(flag: 0, value: 0) })
        XCTAssertEqual(oneByte[0], 1)
        // The buffers are ordinary memory: writes stick and do not leak into neighbours.
        zeros[99] = 42
        XCTAssertEqual(minusOnes[0], -1)
        XCTAssertEqual(zeros[98], 0)
    }

    func testEmptyCarvesAndAFullArena() {
        let mapping = Mapping(pages: 1)
        var arena = Arena(zeroedBase: mapping.base, sizeBytes: mapping.sizeBytes)
        XCTAssertEqual(arena.carve(0, of: UInt64(0)).count, 0)
        XCTAssertEqual(arena.carve(0, of: UInt64(9)).count, 0)
        XCTAssertEqual(arena.usedBytes, 0)
        let all = arena.carve(mapping.sizeBytes / 8, of: UInt64(0))
        XCTAssertEqual(all.count, mapping.sizeBytes / 8)
        XCTAssertEqual(arena.usedBytes, arena.sizeBytes, "an exact fit is allowed")
        XCTAssertEqual(arena.carve(0, of: UInt8(0)).count, 0, "nothing more fits, but nothing is asked")
    }

    // ---- resident memory --------------------------------------------------------------------

    func testZeroedArenaLeavesPagesOfZeroValuesUnwritten() throws {
        let page = ArenaTests.pageBytes
        let mapping = Mapping(pages: 32)
        var arena = Arena(zeroedBase: mapping.base, sizeBytes: mapping.sizeBytes)
        XCTAssertEqual(try mapping.residentBytes(), 0)

        // 16 pages of zeros: checked (read), never written.
        let table = arena.carve(16 * page / 4, of: UInt32(0))
        XCTAssertEqual(try mapping.residentBytes(), 0, "carving zeros must not make pages resident")
        // A non-zero value is written: exactly the one page it covers becomes resident.
        let marks = arena.carve(page / 2, of: Int16(-1))
        XCTAssertEqual(try mapping.residentBytes(), page)
        XCTAssertTrue(marks.allSatisfy { $0 == -1 })
        // Using a table makes only the pages used resident.
        table[0] = 1
        table[table.count - 1] = 1
        XCTAssertEqual(try mapping.residentBytes(), 3 * page)
    }

    func testPlainArenaWritesEveryPage() throws {
        let page = ArenaTests.pageBytes
        let mapping = Mapping(pages: 32)
        var arena = Arena(base: mapping.base, sizeBytes: mapping.sizeBytes)
        _ = arena.carve(16 * page / 4, of: UInt32(0))
        XCTAssertEqual(try mapping.residentBytes(), 16 * page, "memory of unknown content is written")
    }

    func testAFullMediumPipelineInAZeroedArenaLeavesMostOfItUnwritten() throws {
        let page = ArenaTests.pageBytes
        let bytes = Pipeline<ProfileMedium>.arenaBytesRequired
        let mapping = Mapping(pages: (bytes + page - 1) / page)
        var arena = Arena(zeroedBase: mapping.base, sizeBytes: mapping.sizeBytes)
        var pipeline = Pipeline<ProfileMedium>(arena: &arena)
        let resident = try mapping.residentBytes()
        XCTAssertLessThan(resident, bytes / 2, "tables with zero start values stay unwritten until used")
        // Readings from a few sensors touch a few more pages, not the whole capacity.
        var source = ReadingSource(seed: 3)
        for step in 0..<200 { _ = pipeline.process(source.reading(sensor: step % 4, timestampMs: 1_000 * Int64(step))) }
        XCTAssertLessThan(try mapping.residentBytes() - resident, bytes / 4)
    }

    // ---- tables carved with zero behave like tables written in full ----------------------------

    func testPipelineInZeroedArenaMatchesPipelineInWrittenGarbage() throws {
        let bytes = Pipeline<ProfileMedium>.arenaBytesRequired
        let garbage = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { garbage.deallocate() }
        garbage.initializeMemory(as: UInt8.self, repeating: 0xA5, count: bytes)
        let zeroed = try XCTUnwrap(calloc(1, bytes + 64))
        defer { free(zeroed) }
        let zeroedBase = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: zeroed) + 63) & ~63)!
        var plainArena = Arena(base: garbage, sizeBytes: bytes)
        var zeroedArena = Arena(zeroedBase: zeroedBase, sizeBytes: bytes)
        var plain = Pipeline<ProfileMedium>(arena: &plainArena)
        var fresh = Pipeline<ProfileMedium>(arena: &zeroedArena)
        XCTAssertEqual(plainArena.usedBytes, zeroedArena.usedBytes)

        // Sensors come and go, buckets roll over, readings go late and out of order.
        var source = ReadingSource(seed: 11)
        var timeMs: Int64 = 1_700_000_000_000
        for step in 0..<6_000 {
            let sensor = Int(source.next() % 40)
            let jitterMs = Int64(source.next() % 30_000)
            timeMs += 700
            let reading = source.reading(sensor: sensor, timestampMs: timeMs - jitterMs)
            XCTAssertEqual(plain.process(reading), fresh.process(reading), "step \(step)")
            if step % 97 == 0 {
                plain.tick(nowMs: timeMs)
                fresh.tick(nowMs: timeMs)
            }
            while let event = plain.outbox.popFirst() { XCTAssertEqual(fresh.outbox.popFirst(), event) }
            XCTAssertNil(fresh.outbox.popFirst())
        }
        XCTAssertEqual(plain.windows.lateReadings, fresh.windows.lateReadings)
        for sensor in 0..<ProfileMedium.sensorCapacity {
            for spanIndex in 0..<WindowSpan.count {
                let span = try XCTUnwrap(WindowSpan.at(spanIndex))
                let a = plain.windows.summary(sensor: sensor, span: span, nowMs: timeMs)
                let b = fresh.windows.summary(sensor: sensor, span: span, nowMs: timeMs)
                XCTAssertEqual(a.normalCount, b.normalCount)
                XCTAssertEqual(a.warningCount, b.warningCount)
                XCTAssertEqual(a.alertCount, b.alertCount)
                XCTAssertEqual(a.anomalyCount, b.anomalyCount)
                for feature in 0..<5 { XCTAssertEqual(a.features[feature], b.features[feature], "sensor \(sensor) feature \(feature)") }
            }
        }
    }
}
