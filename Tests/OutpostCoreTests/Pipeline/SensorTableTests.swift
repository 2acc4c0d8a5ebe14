import OutpostCore
import XCTest

final class SensorTableTests: XCTestCase {
    func name(_ text: String) -> SensorName {
        Array(text.utf8).withUnsafeBufferPointer { SensorName($0.span)! }
    }

    func withTable(slots: Int, capacity: Int, _ body: (inout SensorTable) -> Void) {
        let bytes = SensorTable.arenaBytes(after: 0, slotCount: slots, capacity: capacity)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: bytes)
        var table = SensorTable(arena: &arena, slotCount: slots, capacity: capacity)
        XCTAssertEqual(arena.usedBytes, bytes, "arenaBytes must match what init carves")
        body(&table)
    }

    func testInsertFindAndStableIndices() {
        withTable(slots: 64, capacity: 48) { table in
            for i in 0..<48 { XCTAssertEqual(table.findOrInsert(name("s\(i)")), .inserted(i)) }
            for i in 0..<48 {
                XCTAssertEqual(table.findOrInsert(name("s\(i)")), .found(i))
                XCTAssertEqual(table.find(name("s\(i)")), i)
                XCTAssertEqual(table.name(at: i), name("s\(i)"))
            }
            XCTAssertEqual(table.count, 48)
            XCTAssertNil(table.find(name("unknown")))
        }
    }

    func testFullTableRefusesAndCountsButKeepsServingKnownSensors() {
        withTable(slots: 8, capacity: 6) { table in
            for i in 0..<6 { XCTAssertEqual(table.findOrInsert(name("s\(i)")), .inserted(i)) }
            XCTAssertEqual(table.findOrInsert(name("new-1")), .full)
            XCTAssertEqual(table.findOrInsert(name("new-2")), .full)
            XCTAssertEqual(table.refusedCount, 2)
            XCTAssertEqual(table.findOrInsert(name("s3")), .found(3))
            XCTAssertNil(table.find(name("new-1")))
            XCTAssertEqual(table.count, 6)
        }
    }

    func testCollidingNamesProbeLinearly() {
        // With 4 slots every name shares few slots: all must still be found.
        withTable(slots: 4, capacity: 3) { table in
            XCTAssertEqual(table.findOrInsert(name("a")), .inserted(0))
            XCTAssertEqual(table.findOrInsert(name("b")), .inserted(1))
            XCTAssertEqual(table.findOrInsert(name("c")), .inserted(2))
            XCTAssertEqual(table.find(name("a")), 0)
            XCTAssertEqual(table.find(name("b")), 1)
            XCTAssertEqual(table.find(name("c")), 2)
        }
    }

    func testSensorNameRules() {
        func make(_ bytes: [UInt8]) -> SensorName? { bytes.withUnsafeBufferPointer { SensorName($0.span) } }
        XCTAssertNil(make([]))
        XCTAssertNil(make(Array(repeating: 0x61, count: 33)))
        XCTAssertNotNil(make(Array(repeating: 0x61, count: 32)))
        XCTAssertNil(make(Array("a b".utf8)))
        XCTAssertNil(make(Array("a\"b".utf8)))
        XCTAssertNil(make(Array("a,b".utf8)))
        XCTAssertNil(make([0x61, 0xC3, 0xA9]))
        XCTAssertEqual(make(Array("urn:dev:mac:0024befffe804ff1".utf8))?.count, 28)
        XCTAssertNotEqual(name("ab"), name("abc"))
        XCTAssertEqual(name("ab").hash32, name("ab").hash32)
    }
}
