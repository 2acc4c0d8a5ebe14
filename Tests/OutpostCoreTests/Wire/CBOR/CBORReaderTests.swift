import XCTest

@testable import OutpostCore

/// A tiny CBOR encoder for tests (RFC 8949 preferred serialisation for heads), so packs can be
/// written once and fed to both SenML decoders.
indirect enum CBORTestValue {
    case unsigned(UInt64)
    /// Encoded as major type 1 with argument −1 − value (value must be negative).
    case negative(Int64)
    case text(String)
    case bytes([UInt8])
    case array([CBORTestValue])
    case map([(CBORTestValue, CBORTestValue)])
    case indefiniteArray([CBORTestValue])
    case indefiniteMap([(CBORTestValue, CBORTestValue)])
    case indefiniteText([String])
    case tag(UInt64, CBORTestValue)
    case double(Double)
    case single(Float)
    case half(UInt16)
    case bool(Bool)
    case null
    /// Bytes written as they are.
    case raw([UInt8])

    static func int(_ value: Int64) -> CBORTestValue { value < 0 ? .negative(value) : .unsigned(UInt64(value)) }

    var encoded: [UInt8] {
        switch self {
        case .unsigned(let n): return CBORTestValue.head(0, n)
        case .negative(let n): return CBORTestValue.head(1, UInt64(-1 - n))
        case .text(let s): return CBORTestValue.head(3, UInt64(s.utf8.count)) + Array(s.utf8)
        case .bytes(let b): return CBORTestValue.head(2, UInt64(b.count)) + b
        case .array(let items): return CBORTestValue.head(4, UInt64(items.count)) + items.flatMap(\.encoded)
        case .map(let pairs): return CBORTestValue.head(5, UInt64(pairs.count)) + pairs.flatMap { $0.0.encoded + $0.1.encoded }
        case .indefiniteArray(let items): return [0x9F] + items.flatMap(\.encoded) + [0xFF]
        case .indefiniteMap(let pairs): return [0xBF] + pairs.flatMap { $0.0.encoded + $0.1.encoded } + [0xFF]
        case .indefiniteText(let chunks): return [0x7F] + chunks.flatMap { CBORTestValue.text($0).encoded } + [0xFF]
        case .tag(let tag, let value): return CBORTestValue.head(6, tag) + value.encoded
        case .double(let d): return [0xFB] + CBORTestValue.bigEndian(d.bitPattern, 8)
        case .single(let f): return [0xFA] + CBORTestValue.bigEndian(UInt64(f.bitPattern), 4)
        case .half(let h): return [0xF9] + CBORTestValue.bigEndian(UInt64(h), 2)
        case .bool(let b): return [b ? 0xF5 : 0xF4]
        case .null: return [0xF6]
        case .raw(let bytes): return bytes
        }
    }

    static func head(_ major: UInt8, _ argument: UInt64) -> [UInt8] {
        let top = major << 5
        switch argument {
        case 0..<24: return [top | UInt8(argument)]
        case 24..<256: return [top | 24, UInt8(argument)]
        case 256..<65536: return [top | 25] + bigEndian(argument, 2)
        case 65536..<(1 << 32): return [top | 26] + bigEndian(argument, 4)
        default: return [top | 27] + bigEndian(argument, 8)
        }
    }

    static func bigEndian(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * (count - 1 - $0))) }
    }
}

final class CBORReaderTests: XCTestCase {
    /// Reads every top-level item of `bytes`, skipping containers whole.
    func readAll(_ bytes: [UInt8], maxDepth: Int = 8) throws -> [CBORItem] {
        try bytes.withUnsafeBytes { raw in
            var reader = CBORReader(raw, maxDepth: maxDepth)
            var items: [CBORItem] = []
            while !reader.isAtEnd {
                let item = try reader.read()
                items.append(item)
                try reader.skip(item)
            }
            return items
        }
    }

    func error(_ bytes: [UInt8], maxDepth: Int = 8) -> SenMLError? {
        wireCaught(SenMLError.self) { try readAll(bytes, maxDepth: maxDepth) }
    }

    // RFC 8949 Appendix A examples.
    func testIntegersAtEveryArgumentSize() throws {
        XCTAssertEqual(try readAll([0x00]), [.unsigned(0)])
        XCTAssertEqual(try readAll([0x17]), [.unsigned(23)])
        XCTAssertEqual(try readAll([0x18, 0x18]), [.unsigned(24)])
        XCTAssertEqual(try readAll([0x19, 0x03, 0xE8]), [.unsigned(1000)])
        XCTAssertEqual(try readAll([0x1A, 0x00, 0x0F, 0x42, 0x40]), [.unsigned(1_000_000)])
        XCTAssertEqual(try readAll([0x1B, 0x00, 0x00, 0x00, 0xE8, 0xD4, 0xA5, 0x10, 0x00]), [.unsigned(1_000_000_000_000)])
        XCTAssertEqual(try readAll([0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]), [.unsigned(UInt64.max)])
        XCTAssertEqual(try readAll([0x20]), [.negative(0)])  // -1
        XCTAssertEqual(try readAll([0x38, 0x63]), [.negative(99)])  // -100
    }

    func testFloatsOfAllThreeWidths() throws {
        XCTAssertEqual(try readAll([0xF9, 0x00, 0x00]), [.float(0.0)])
        XCTAssertEqual(try readAll([0xF9, 0x3C, 0x00]), [.float(1.0)])
        XCTAssertEqual(try readAll([0xF9, 0x3E, 0x00]), [.float(1.5)])
        XCTAssertEqual(try readAll([0xF9, 0x7B, 0xFF]), [.float(65504.0)])
        XCTAssertEqual(try readAll([0xF9, 0x00, 0x01]), [.float(5.960464477539063e-8)])
        XCTAssertEqual(try readAll([0xF9, 0x04, 0x00]), [.float(0.00006103515625)])
        XCTAssertEqual(try readAll([0xF9, 0xC4, 0x00]), [.float(-4.0)])
        XCTAssertEqual(try readAll([0xF9, 0x7C, 0x00]), [.float(.infinity)])
        XCTAssertEqual(try readAll([0xF9, 0xFC, 0x00]), [.float(-.infinity)])
        guard case .float(let nan) = try readAll([0xF9, 0x7E, 0x00])[0] else { return XCTFail("not a float") }
        XCTAssertTrue(nan.isNaN)
        XCTAssertEqual(try readAll([0xFA, 0x47, 0xC3, 0x50, 0x00]), [.float(100000.0)])
        XCTAssertEqual(try readAll([0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A]), [.float(1.1)])
    }

    func testEveryHalfFloatMatchesTheHostConversion() throws {
        #if arch(arm64)
        for bits in UInt16.min...UInt16.max {
            let expected = Double(Float16(bitPattern: bits))
            let actual = CBORReader.double(half: bits)
            XCTAssertTrue(expected == actual || (expected.isNaN && actual.isNaN), "\(bits)")
        }
        #else
        // No Float16 on this host: check against the definition on a sweep of exponents.
        for exponent in 1...30 {
            let bits = UInt16(exponent << 10 | 0x155)
            let expected = Double(0x155 + 1024) * pow(2.0, Double(exponent - 25))
            XCTAssertEqual(CBORReader.double(half: bits), expected)
        }
        #endif
    }

    func testSimpleValuesAndStrings() throws {
        XCTAssertEqual(try readAll([0xF4, 0xF5, 0xF6, 0xF7, 0xF0, 0xF8, 0xFF]), [.boolean(false), .boolean(true), .null, .undefined, .simple(16), .simple(255)])
        let items = try readAll(CBORTestValue.text("IETF").encoded + CBORTestValue.bytes([1, 2]).encoded)
        XCTAssertEqual(items, [.text(CBORString(start: 1, end: 5, chunked: false)), .bytes(CBORString(start: 6, end: 8, chunked: false))])
    }

    func testIndefiniteTextConcatenatesChunks() throws {
        let bytes = CBORTestValue.indefiniteText(["strea", "", "ming"]).encoded
        try bytes.withUnsafeBytes { raw in
            var reader = CBORReader(raw)
            guard case .text(let string) = try reader.read() else { return XCTFail("not text") }
            XCTAssertTrue(string.chunked)
            var collected: [UInt8] = []
            reader.forEachByte(of: string) { collected.append($0) }
            XCTAssertEqual(String(decoding: collected, as: UTF8.self), "streaming")
            XCTAssertTrue(reader.isAtEnd)
        }
    }

    func testSkipWalksNestedDefiniteAndIndefiniteContainers() throws {
        let nested = CBORTestValue.array([
            .int(1), .map([(.text("a"), .indefiniteArray([.int(2), .tag(1, .int(3))]))]),
            .indefiniteMap([(.int(-5), .bytes([9]))]),
        ])
        XCTAssertEqual(try readAll(nested.encoded + [0x01]), [.array(count: 3), .unsigned(1)])
    }

    func testMalformedItemsAreRejected() {
        let cases: [([UInt8], SenMLErrorReason, Int)] = [
            ([0x1C], .reservedAdditionalInfo, 0),
            ([0x1D], .reservedAdditionalInfo, 0),
            ([0x7E], .reservedAdditionalInfo, 0),
            ([0x1F], .badIndefinite, 0),  // indefinite unsigned
            ([0x3F], .badIndefinite, 0),
            ([0xDF], .badIndefinite, 0),  // indefinite tag
            ([0xF8, 0x10], .badSimple, 0),  // two-byte simple below 32
            ([0x18], .unexpectedEnd, 0),
            ([0x19, 0x01], .unexpectedEnd, 0),
            ([0x62, 0x61], .unexpectedEnd, 0),  // text of 2, 1 byte present
            ([0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], .unexpectedEnd, 0),  // huge length
            ([0x9B, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], .unexpectedEnd, 0),  // count above bytes left
            ([0x82, 0x01], .unexpectedEnd, 0),  // count above bytes left
            ([0x7F, 0x61, 0x61], .unexpectedEnd, 0),  // no break
            ([0x7F, 0x41, 0x61, 0xFF], .badIndefinite, 1),  // byte chunk in text
            ([0x7F, 0x7F, 0xFF, 0xFF], .badIndefinite, 1),  // nested indefinite chunk
            ([0x82, 0x01, 0xFF], .badIndefinite, 2),  // break inside a definite array
            ([0xBF, 0x01, 0xFF], .badIndefinite, 2),  // odd item count in an indefinite map
            ([0x9F, 0x01], .unexpectedEnd, 2),
            ([0xC1], .unexpectedEnd, 1),  // tag without content
        ]
        for (bytes, reason, offset) in cases {
            XCTAssertEqual(error(bytes), SenMLError(reason, at: offset), "\(bytes)")
        }
    }

    func testDepthLimitStopsDeepNesting() {
        let deep = [UInt8](repeating: 0x81, count: 9) + [0x00]
        XCTAssertEqual(error(deep, maxDepth: 8)?.reason, .tooDeep)
        XCTAssertNoThrow(try readAll(deep, maxDepth: 9))
        let tags = [UInt8](repeating: 0xC1, count: 9) + [0x00]
        XCTAssertEqual(error(tags, maxDepth: 8)?.reason, .tooDeep)
    }
}
