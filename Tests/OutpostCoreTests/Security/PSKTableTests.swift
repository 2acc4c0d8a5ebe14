import OutpostCore
import XCTest

/// The key file (`IDENTITY:KEY-HEX:PATTERN[,PATTERN...]`, docs/SECURITY.md): what is taken, what is
/// refused with which line, and that a refused load leaves the table in force alone.
final class PSKTableTests: XCTestCase {
    var memory: UnsafeMutableRawBufferPointer!

    override func tearDown() {
        memory?.deallocate()
        memory = nil
    }

    func table(capacity: Int = 4) -> PSKTable {
        memory = UnsafeMutableRawBufferPointer.allocate(byteCount: PSKTable.storageBytes(capacity: capacity), alignment: 16)
        return PSKTable(storage: memory)
    }

    func load(_ table: inout PSKTable, _ text: String) throws(PSKFileError) {
        let bytes = Array(text.utf8)
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 1)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        try table.load(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(copy)[0..<bytes.count]))
    }

    func refusal(_ text: String, capacity: Int = 4) -> PSKFileError? {
        var t = table(capacity: capacity)
        do { try load(&t, text) } catch { return error }
        return nil
    }

    static let key16 = "00112233445566778899aabbccddeeff"

    func testEntriesCommentsAndSpaces() throws {
        var t = table()
        try load(&t, """
            # sensors of the north field
            north-gw : \(Self.key16) : field-n-* , pump-1   # two patterns

            \tsouth:\(Self.key16.uppercased())00:south-1\r
            """)
        XCTAssertEqual(t.count, 2)
        XCTAssertEqual(Array(t.identity(0)), Array("north-gw".utf8))
        XCTAssertEqual(Array(t.key(0)), [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF])
        XCTAssertEqual(t.key(1).count, 17)
        XCTAssertEqual(Array(t.identity(1)), Array("south".utf8))
        XCTAssertEqual(t.find(UnsafeRawBufferPointer(start: nil, count: 0)), nil)
        let south = Array("south".utf8)
        XCTAssertEqual(south.withUnsafeBytes { t.find($0) }, 1)

        let north = t.scope(0)
        XCTAssertTrue(north.permits(SensorName("field-n-7")))
        XCTAssertTrue(north.permits(SensorName("field-n-")))
        XCTAssertTrue(north.permits(SensorName("pump-1")))
        XCTAssertFalse(north.permits(SensorName("pump-10")), "a name without '*' is exact")
        XCTAssertFalse(north.permits(SensorName("field-s-1")))
        XCTAssertFalse(north.permits(SensorName("south-1")))
        XCTAssertTrue(t.scope(1).permits(SensorName("south-1")))
        XCTAssertFalse(t.scope(1).permits(SensorName("south-10")))
        XCTAssertFalse(t.scope(7).permits(SensorName("south-1")), "an index not in the table writes nothing")
        XCTAssertTrue(WriteScope.unrestricted.permits(SensorName("anything")))
    }

    func testStarAloneAllowsEverySensor() throws {
        var t = table()
        try load(&t, "admin:\(Self.key16):*\n")
        XCTAssertTrue(t.scope(0).permits(SensorName("x")))
    }

    func testRefusedLinesNameTheirLineAndReason() {
        let k = Self.key16
        XCTAssertEqual(refusal("# c\nonly-identity\n"), PSKFileError(line: 2, reason: .missingField))
        XCTAssertEqual(refusal("a:\(k)\n"), PSKFileError(line: 1, reason: .missingField))
        XCTAssertEqual(refusal(":\(k):s\n"), PSKFileError(line: 1, reason: .badIdentity))
        XCTAssertEqual(refusal("a b:\(k):s\n"), PSKFileError(line: 1, reason: .badIdentity))
        XCTAssertEqual(refusal(String(repeating: "i", count: 65) + ":\(k):s\n"), PSKFileError(line: 1, reason: .identityTooLong))
        XCTAssertEqual(refusal("a:\(k)0:s\n"), PSKFileError(line: 1, reason: .badKey), "odd digit count")
        XCTAssertEqual(refusal("a:\(k.dropLast(2))zz:s\n"), PSKFileError(line: 1, reason: .badKey))
        XCTAssertEqual(refusal("a:0011:s\n"), PSKFileError(line: 1, reason: .keyLength), "shorter than 16 bytes")
        XCTAssertEqual(refusal("a:" + String(repeating: "ab", count: 65) + ":s\n"), PSKFileError(line: 1, reason: .keyLength))
        XCTAssertEqual(refusal("a:\(k):\n"), PSKFileError(line: 1, reason: .noPatterns))
        XCTAssertEqual(refusal("a:\(k):s,,t\n"), PSKFileError(line: 1, reason: .badPattern))
        XCTAssertEqual(refusal("a:\(k):s*t\n"), PSKFileError(line: 1, reason: .badPattern), "'*' only at the end")
        XCTAssertEqual(refusal("a:\(k):sen\"sor\n"), PSKFileError(line: 1, reason: .badPattern))
        XCTAssertEqual(refusal("a:\(k):" + String(repeating: "n", count: 33) + "\n"), PSKFileError(line: 1, reason: .badPattern))
        let many = (0..<20).map { "sensor-\($0)-abcdefghijklmn" }.joined(separator: ",")
        XCTAssertEqual(refusal("a:\(k):\(many)\n"), PSKFileError(line: 1, reason: .patternsTooLong))
        XCTAssertEqual(refusal("a:\(k):s\n\nb:\(k):t\na:\(k):u\n"), PSKFileError(line: 4, reason: .duplicateIdentity))
        XCTAssertEqual(refusal("a:\(k):s\nb:\(k):t\nc:\(k):u\n", capacity: 2), PSKFileError(line: 3, reason: .tooManyIdentities))
        XCTAssertEqual(refusal("a:\(k):" + String(repeating: "s,", count: 600) + "\n"), PSKFileError(line: 1, reason: .lineTooLong))
    }

    func testRefusedLoadKeepsTheTableInForce() throws {
        var t = table()
        try load(&t, "first:\(Self.key16):one\n")
        XCTAssertThrowsError(try load(&t, "second:\(Self.key16):two\nbroken\n"))
        XCTAssertEqual(t.count, 1)
        XCTAssertEqual(Array(t.identity(0)), Array("first".utf8))
        XCTAssertTrue(t.scope(0).permits(SensorName("one")))
        // A good load replaces it whole, twice in a row (both halves of the storage used).
        try load(&t, "second:\(Self.key16):two\nthird:\(Self.key16):three\n")
        XCTAssertEqual(t.count, 2)
        XCTAssertEqual(Array(t.identity(1)), Array("third".utf8))
        try load(&t, "")
        XCTAssertEqual(t.count, 0, "an empty file (or only comments) empties the table")
    }

    func testMessagesAreSentences() {
        for raw in 0...10 {
            let reason = PSKFileError.Reason(rawValue: UInt8(raw))!
            XCTAssertGreaterThan(PSKFileError(line: 1, reason: reason).text.utf8CodeUnitCount, 20)
        }
    }
}
