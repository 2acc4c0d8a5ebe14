import CMallocCounter
import XCTest

@testable import OutpostCore

/// A SenML field value for test packs written once and encoded as both JSON and CBOR.
enum SenMLTestValue {
    case text(String)
    /// Decimal text; CBOR gets an integer when it is one, else a double.
    case number(String)
    case bool(Bool)
    case data([UInt8])
    /// A nested value (for unknown labels): JSON `{"x":[1]}`, CBOR `{"x": [1]}`.
    case nested
}

typealias SenMLTestRecord = [(String, SenMLTestValue)]

enum SenMLTestPack {
    static let cborLabels: [String: Int64] = [
        "bver": -1, "bn": -2, "bt": -3, "bu": -4, "bv": -5, "bs": -6,
        "n": 0, "u": 1, "v": 2, "vs": 3, "vb": 4, "s": 5, "t": 6, "ut": 7, "vd": 8,
    ]

    static func json(_ pack: [SenMLTestRecord]) -> [UInt8] {
        func quoted(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
        let records = pack.map { record in
            "{" + record.map { label, value in
                let text: String
                switch value {
                case .text(let s): text = quoted(s)
                case .number(let n): text = n
                case .bool(let b): text = b ? "true" : "false"
                case .data(let d): text = quoted(Data(d).base64EncodedString())
                case .nested: text = "{\"x\":[1,{\"y\":null}]}"
                }
                return quoted(label) + ":" + text
            }.joined(separator: ",") + "}"
        }
        return Array(("[" + records.joined(separator: ",") + "]").utf8)
    }

    static func cbor(_ pack: [SenMLTestRecord]) -> [UInt8] {
        CBORTestValue.array(pack.map { record in
            .map(record.map { label, value in
                let key: CBORTestValue = cborLabels[label].map { .int($0) } ?? .text(label)
                let item: CBORTestValue
                switch value {
                case .text(let s): item = .text(s)
                case .number(let n): item = Int64(n).map { .int($0) } ?? .double(Double(n)!)
                case .bool(let b): item = .bool(b)
                case .data(let d): item = .bytes(d)
                case .nested: item = .map([(.text("x"), .array([.int(1), .map([(.text("y"), .null)])]))])
                }
                return (key, item)
            })
        }).encoded
    }
}

final class SenMLDecoderTests: XCTestCase {
    let nowMs: Int64 = 1_700_000_000_000

    func decode(_ payload: [UInt8], cbor: Bool, capacity: Int = 8) throws -> ([Reading], SenMLDecodeResult) {
        var readings = [Reading](repeating: Reading(sensor: SensorName(), timestampMs: 0), count: capacity)
        let result = try payload.withUnsafeBytes { raw in
            try readings.withUnsafeMutableBufferPointer { out in
                cbor
                    ? try SenMLDecoder.decodeCBOR(raw, nowMs: nowMs, into: out)
                    : try SenMLDecoder.decodeJSON(raw, nowMs: nowMs, into: out)
            }
        }
        return (Array(readings[0..<result.readingCount]), result)
    }

    /// Decodes `pack` as JSON and as CBOR, checks both agree, returns the readings.
    func decodeBoth(_ pack: [SenMLTestRecord], capacity: Int = 8, file: StaticString = #filePath, line: UInt = #line) throws -> ([Reading], SenMLDecodeResult) {
        let fromJSON = try decode(SenMLTestPack.json(pack), cbor: false, capacity: capacity)
        let fromCBOR = try decode(SenMLTestPack.cbor(pack), cbor: true, capacity: capacity)
        XCTAssertEqual(fromJSON.0, fromCBOR.0, "JSON and CBOR readings differ", file: file, line: line)
        XCTAssertEqual(fromJSON.1, fromCBOR.1, file: file, line: line)
        return fromJSON
    }

    /// The reason both encodings of `pack` are refused for (checked equal), or nil if accepted.
    func reasonBoth(_ pack: [SenMLTestRecord], capacity: Int = 8, file: StaticString = #filePath, line: UInt = #line) -> SenMLErrorReason? {
        let json = wireCaught(SenMLError.self) { try decode(SenMLTestPack.json(pack), cbor: false, capacity: capacity) }
        let cbor = wireCaught(SenMLError.self) { try decode(SenMLTestPack.cbor(pack), cbor: true, capacity: capacity) }
        XCTAssertEqual(json?.reason, cbor?.reason, "JSON and CBOR disagree", file: file, line: line)
        return json?.reason
    }

    func jsonError(_ text: String) -> SenMLError? {
        wireCaught(SenMLError.self) { try decode(Array(text.utf8), cbor: false) }
    }

    func cborError(_ bytes: [UInt8]) -> SenMLError? {
        wireCaught(SenMLError.self) { try decode(bytes, cbor: true) }
    }

    func reading(_ sensor: StaticString, _ timestampMs: Int64, _ features: [(Feature, Int32)] = []) -> Reading {
        var reading = Reading(sensor: SensorName(sensor), timestampMs: timestampMs)
        for (feature, value) in features { reading.features[feature] = value }
        return reading
    }

    // MARK: - Accepted packs

    // RFC 8428 §5.1.2 (multiple data points), with our quantities instead of voltage and current.
    func testRFC8428MultipleDataPointsWithBaseFields() throws {
        let pack: [SenMLTestRecord] = [
            [("bn", .text("urn:dev:ow:10e2073a01080063/")), ("bt", .number("1.276020076001e+09")), ("bu", .text("Cel")),
             ("bver", .number("5")), ("n", .text("temperature")), ("v", .number("23.1"))],
            [("n", .text("temperature")), ("t", .number("-5")), ("v", .number("23.0"))],
            [("n", .text("humidity")), ("u", .text("%RH")), ("v", .number("45.5"))],
        ]
        let (readings, result) = try decodeBoth(pack)
        let sensor = SensorName("urn:dev:ow:10e2073a01080063")
        var first = Reading(sensor: sensor, timestampMs: 1_276_020_076_001)
        first.features[.temperature] = 23_100
        first.features[.humidity] = 45_500
        var second = Reading(sensor: sensor, timestampMs: 1_276_020_071_001)
        second.features[.temperature] = 23_000
        XCTAssertEqual(readings, [first, second])
        XCTAssertEqual(result, SenMLDecodeResult(readingCount: 2, unknownQuantityCount: 0))
    }

    func testRelativeTimesAreAddedToNow() throws {
        let pack: [SenMLTestRecord] = [
            [("n", .text("s1/temperature")), ("u", .text("Cel")), ("v", .number("1"))],  // no time: now
            [("n", .text("s2/temperature")), ("u", .text("Cel")), ("v", .number("1")), ("t", .number("-2.5"))],
            [("bt", .number("-10")), ("n", .text("s3/temperature")), ("u", .text("Cel")), ("v", .number("1")), ("t", .number("4"))],
            // 2^28 − 1 s is still relative; 2^28 s is an absolute time.
            [("bt", .number("0")), ("n", .text("s4/temperature")), ("u", .text("Cel")), ("v", .number("1")), ("t", .number("268435455"))],
            [("n", .text("s5/temperature")), ("u", .text("Cel")), ("v", .number("1")), ("t", .number("268435456"))],
        ]
        let (readings, _) = try decodeBoth(pack)
        XCTAssertEqual(readings.map(\.timestampMs), [nowMs, nowMs - 2_500, nowMs - 6_000, nowMs + 268_435_455_000, 268_435_456_000])
    }

    func testAbsoluteTimeAndBaseValueAndUnitOverride() throws {
        let pack: [SenMLTestRecord] = [
            [("bn", .text("sensor-001/")), ("bt", .number("1700000000")), ("bv", .number("20")), ("bu", .text("Cel")),
             ("n", .text("temperature")), ("v", .number("1.5"))],
            [("n", .text("pressure")), ("u", .text("hPa")), ("bv", .number("0")), ("v", .number("1013.25"))],
        ]
        let (readings, _) = try decodeBoth(pack)
        XCTAssertEqual(readings, [reading("sensor-001", 1_700_000_000_000, [(.temperature, 21_500), (.pressure, 1_013_250)])])
    }

    func testEveryUnitAndQuantity() throws {
        // (quantity, unit, value, check) — expected values follow from the physics, not the code.
        let cases: [(String, String, String, (Reading) -> Bool)] = [
            ("temperature", "Cel", "-12.5", { $0.features[.temperature] == -12_500 }),
            ("temperature", "K", "300", { $0.features[.temperature] == 26_850 }),
            ("humidity", "%RH", "55.5", { $0.features[.humidity] == 55_500 }),
            ("pressure", "Pa", "101325", { $0.features[.pressure] == 1_013_250 }),
            ("pressure", "hPa", "1013.25", { $0.features[.pressure] == 1_013_250 }),
            ("pressure", "bar", "1.01325", { $0.features[.pressure] == 1_013_250 }),
            ("vibration", "m/s2", "0.25", { $0.features[.vibration] == 250 }),
            ("power", "W", "12.5", { $0.features[.power] == 12_500 }),
            ("power_consumption", "kW", "1.5", { $0.features[.power] == 1_500_000 }),
            ("battery", "%EL", "87.5", { $0.batteryMilliPercent == 87_500 }),
        ]
        for (quantity, unit, value, check) in cases {
            let pack: [SenMLTestRecord] = [[("n", .text("dev/" + quantity)), ("u", .text(unit)), ("v", .number(value))]]
            let (readings, _) = try decodeBoth(pack)
            XCTAssertEqual(readings.count, 1)
            XCTAssertTrue(readings.first.map(check) ?? false, "\(quantity) \(unit) \(value)")
        }
    }

    func testLatitudeAndLongitudeFormOneLocation() throws {
        let pack: [SenMLTestRecord] = [
            [("bn", .text("tracker:7:")), ("n", .text("lat")), ("u", .text("lat")), ("v", .number("52.5"))],
            [("n", .text("lon")), ("u", .text("lon")), ("v", .number("-13.25"))],
        ]
        let (readings, _) = try decodeBoth(pack)
        XCTAssertEqual(readings.count, 1)
        XCTAssertEqual(readings[0].sensor, SensorName("tracker:7"))
        XCTAssertEqual(readings[0].location, Location(latitudeE7: 525_000_000, longitudeE7: -132_500_000))
    }

    func testRecordsMergePerSensorAndTime() throws {
        let pack: [SenMLTestRecord] = [
            [("bt", .number("1700000000")), ("bu", .text("Cel")), ("n", .text("a/temperature")), ("v", .number("1"))],
            [("n", .text("b/temperature")), ("v", .number("2"))],
            [("n", .text("a/power")), ("u", .text("W")), ("v", .number("3"))],
            [("n", .text("a/temperature")), ("t", .number("1")), ("v", .number("4"))],
        ]
        let (readings, result) = try decodeBoth(pack)
        XCTAssertEqual(readings, [
            reading("a", 1_700_000_000_000, [(.temperature, 1_000), (.power, 3_000)]),
            reading("b", 1_700_000_000_000, [(.temperature, 2_000)]),
            reading("a", 1_700_000_001_000, [(.temperature, 4_000)]),
        ])
        XCTAssertEqual(result.readingCount, 3)
    }

    func testUnknownQuantitiesAreCountedAndUnknownLabelsIgnored() throws {
        let pack: [SenMLTestRecord] = [
            [("n", .text("dev/co2")), ("u", .text("ppm")), ("v", .number("400"))],
            [("n", .text("dev/status")), ("vs", .text("ok"))],
            [("n", .text("dev/door")), ("vb", .bool(true))],
            [("n", .text("dev/blob")), ("vd", .data([1, 2, 3]))],
            [("n", .text("dev/temperature")), ("u", .text("Cel")), ("v", .number("5")), ("ext", .nested), ("ut", .number("60")),
             ("s", .number("7")), ("bs", .number("1"))],
        ]
        let (readings, result) = try decodeBoth(pack)
        XCTAssertEqual(readings, [reading("dev", nowMs, [(.temperature, 5_000)])])
        XCTAssertEqual(result, SenMLDecodeResult(readingCount: 1, unknownQuantityCount: 4))
    }

    func testEmptyPackAndBaseOnlyRecords() throws {
        XCTAssertEqual(try decodeBoth([]).1, SenMLDecodeResult(readingCount: 0, unknownQuantityCount: 0))
        let pack: [SenMLTestRecord] = [
            [("bn", .text("dev/")), ("bu", .text("W"))],
            [("n", .text("power")), ("v", .number("1"))],
        ]
        XCTAssertEqual(try decodeBoth(pack).0, [reading("dev", nowMs, [(.power, 1_000)])])
    }

    func testJSONEscapesInNamesAndUnitsAreResolved() throws {
        let text = #"[{"bn":"sensor\u002d001\/","n":"temp\u0065rature","\u0075":"C\u0065l","v":1}]"#
        let (readings, _) = try decode(Array(text.utf8), cbor: false)
        XCTAssertEqual(readings, [reading("sensor-001", nowMs, [(.temperature, 1_000)])])
    }

    func testIndefiniteLengthCBORPack() throws {
        let pack = CBORTestValue.indefiniteArray([
            .indefiniteMap([(.int(0), .indefiniteText(["dev/", "temp", "erature"])), (.int(1), .text("Cel")), (.int(2), .half(0x3E00))]),
        ])
        let (readings, _) = try decode(pack.encoded, cbor: true)
        XCTAssertEqual(readings, [reading("dev", nowMs, [(.temperature, 1_500)])])
    }

    func testCBORSingleAndHalfFloatValues() throws {
        let pack = CBORTestValue.array([
            .map([(.int(0), .text("dev/humidity")), (.int(1), .text("%RH")), (.int(2), .single(45.25))]),
            .map([(.int(0), .text("dev/power")), (.int(1), .text("W")), (.int(2), .negative(-3))]),
        ])
        let (readings, _) = try decode(pack.encoded, cbor: true)
        XCTAssertEqual(readings, [reading("dev", nowMs, [(.humidity, 45_250), (.power, -3_000)])])
    }

    func testDecodeByContentFormat() throws {
        var readings = [Reading](repeating: Reading(sensor: SensorName(), timestampMs: 0), count: 2)
        let json = SenMLTestPack.json([[("n", .text("d/power")), ("u", .text("W")), ("v", .number("2"))]])
        let cbor = SenMLTestPack.cbor([[("n", .text("d/power")), ("u", .text("W")), ("v", .number("2"))]])
        for (payload, format) in [(json, CoAPContentFormat.senmlJSON), (cbor, CoAPContentFormat.senmlCBOR)] {
            let result = try payload.withUnsafeBytes { raw in
                try readings.withUnsafeMutableBufferPointer { try SenMLDecoder.decode(raw, contentFormat: format, nowMs: 5, into: $0) }
            }
            XCTAssertEqual(result?.readingCount, 1)
            XCTAssertEqual(readings[0].features[.power], 2_000)
        }
        let other = try json.withUnsafeBytes { raw in
            try readings.withUnsafeMutableBufferPointer { try SenMLDecoder.decode(raw, contentFormat: CoAPContentFormat.json, nowMs: 5, into: $0) }
        }
        XCTAssertNil(other)
    }

    func testDecodingDoesNotAllocate() throws {
        let json = SenMLTestPack.json([
            [("bn", .text("sensor-001/")), ("bu", .text("Cel")), ("n", .text("temperature")), ("v", .number("21.5")), ("ext", .nested)],
            [("n", .text("lat")), ("u", .text("lat")), ("v", .number("1"))], [("n", .text("lon")), ("u", .text("lon")), ("v", .number("2"))],
        ])
        let cbor = SenMLTestPack.cbor([[("n", .text("s/temperature")), ("u", .text("Cel")), ("v", .number("21.5")), ("ext", .nested)]])
        let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: 4)
        defer { readings.deallocate() }
        let jsonBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: json.count, alignment: 1)
        let cborBytes = UnsafeMutableRawBufferPointer.allocate(byteCount: cbor.count, alignment: 1)
        defer { jsonBytes.deallocate(); cborBytes.deallocate() }
        jsonBytes.copyBytes(from: json)
        cborBytes.copyBytes(from: cbor)
        // One pass before counting: the runtime's one-time lazy work (type metadata in a debug
        // build) is not the decoder's, and without it this test failed when run alone.
        _ = try? SenMLDecoder.decodeJSON(UnsafeRawBufferPointer(jsonBytes), nowMs: 1, into: readings)
        _ = try? SenMLDecoder.decodeCBOR(UnsafeRawBufferPointer(cborBytes), nowMs: 1, into: readings)
        var total = 0
        malloc_counter_start()
        for _ in 0..<10 {
            total += (try? SenMLDecoder.decodeJSON(UnsafeRawBufferPointer(jsonBytes), nowMs: 1, into: readings))?.readingCount ?? -100
            total += (try? SenMLDecoder.decodeCBOR(UnsafeRawBufferPointer(cborBytes), nowMs: 1, into: readings))?.readingCount ?? -100
        }
        let allocations = malloc_counter_stop()
        XCTAssertEqual(total, 20)
        XCTAssertEqual(allocations, 0)
    }

    // MARK: - Refused packs (both encodings)

    func testSemanticErrorsInBothEncodings() {
        let temp: SenMLTestRecord = [("n", .text("d/temperature")), ("u", .text("Cel")), ("v", .number("1"))]
        let cases: [([SenMLTestRecord], SenMLErrorReason)] = [
            ([[("bver", .number("11"))] + temp], .badVersion),
            ([[("bver", .number("2.5"))] + temp], .badVersion),
            ([[("bver", .number("-1"))] + temp], .badVersion),
            ([[("bver", .text("10"))] + temp], .wrongType),
            ([temp + [("foo_", .number("1"))]], .mustUnderstand),
            ([temp + [("v", .number("2"))]], .duplicateLabel),
            ([[("n", .number("1"))]], .wrongType),
            ([[("n", .text("d/temperature")), ("u", .text("Cel")), ("v", .text("1"))]], .wrongType),
            ([[("n", .text("d/temperature")), ("u", .text("Cel")), ("vb", .bool(true))]], .wrongType),
            ([[("n", .text("d/temperature")), ("u", .text("Cel")), ("vs", .number("1"))]], .wrongType),
            ([[("n", .text("d/temperature")), ("u", .text("Cel")), ("vb", .number("1"))]], .wrongType),
            ([[("n", .text("d/temperature")), ("u", .text("Cel"))]], .missingValue),
            ([[("n", .text("d/temperature")), ("v", .number("1"))]], .missingUnit),
            ([[("n", .text("d/temperature")), ("u", .text("degF")), ("v", .number("1"))]], .unknownUnit),
            ([[("n", .text("d/pressure")), ("u", .text("kPa")), ("v", .number("1"))]], .unknownUnit),
            ([[("n", .text("d/temperature")), ("u", .text("W")), ("v", .number("1"))]], .wrongUnit),
            ([[("n", .text("d/battery")), ("u", .text("%RH")), ("v", .number("1"))]], .wrongUnit),
            ([[("n", .text("d/lat")), ("u", .text("lon")), ("v", .number("1"))]], .wrongUnit),
            ([[("n", .text("d/lon")), ("u", .text("lat")), ("v", .number("1"))]], .wrongUnit),
            ([[("n", .text("temperature")), ("u", .text("Cel")), ("v", .number("1"))]], .noSensor),
            ([[("n", .text("d/")), ("u", .text("Cel")), ("v", .number("1"))]], .noSensor),
            ([[("n", .text("/temperature")), ("u", .text("Cel")), ("v", .number("1"))]], .badName),
            ([[("n", .text("d d/temperature")), ("u", .text("Cel")), ("v", .number("1"))]], .badName),
            ([[("u", .text("Cel")), ("v", .number("1"))]], .badName),
            ([[("n", .text(String(repeating: "a", count: 33) + "/temperature")), ("u", .text("Cel")), ("v", .number("1"))]], .nameTooLong),
            ([[("bn", .text(String(repeating: "a", count: 60) + "/")), ("n", .text("temperature")), ("u", .text("Cel")), ("v", .number("1"))]], .nameTooLong),
            ([[("n", .text(String(repeating: "a", count: 65)))]], .nameTooLong),
            ([[("n", .text("d/temperature")), ("u", .text("Cel")), ("v", .number("1e13"))]], .valueOutOfRange),
            ([[("n", .text("d/temperature")), ("u", .text("Cel")), ("v", .number("3000000000"))]], .valueOutOfRange),
            ([[("n", .text("d/lat")), ("u", .text("lat")), ("v", .number("90.5"))], [("n", .text("d/lon")), ("u", .text("lon")), ("v", .number("0"))]], .valueOutOfRange),
            ([[("n", .text("d/lon")), ("u", .text("lon")), ("v", .number("-180.5"))]], .valueOutOfRange),
            ([[("bv", .number("9000000000000")), ("n", .text("d/power")), ("u", .text("W")), ("v", .number("9000000000000"))]], .valueOutOfRange),
            ([temp + [("t", .number("1e13"))]], .timeOutOfRange),
            ([temp + [("t", .number("-1800000000"))]], .timeOutOfRange),
            ([temp, temp], .duplicateQuantity),
            ([[("n", .text("d/lat")), ("u", .text("lat")), ("v", .number("1"))]], .incompleteLocation),
            ([[("n", .text("d/lon")), ("u", .text("lon")), ("v", .number("1"))]], .incompleteLocation),
            ([[("n", .text("d/battery")), ("u", .text("%EL")), ("v", .number("1"))], [("n", .text("d/battery")), ("u", .text("%EL")), ("v", .number("2"))]], .duplicateQuantity),
        ]
        for (pack, expected) in cases {
            XCTAssertEqual(reasonBoth(pack), expected, "\(pack)")
        }
    }

    func testTooManyReadingsRefusesThePackButExactFitPasses() throws {
        let pack: [SenMLTestRecord] = (1...3).map { i in [("n", .text("s\(i)/power")), ("u", .text("W")), ("v", .number("1"))] }
        XCTAssertEqual(try decodeBoth(pack, capacity: 3).1.readingCount, 3)
        XCTAssertEqual(reasonBoth(pack, capacity: 2), .tooManyReadings)
        XCTAssertEqual(reasonBoth(pack, capacity: 0), .tooManyReadings)
    }

    // MARK: - JSON syntax

    func testJSONSyntaxErrorsWithOffsets() {
        let cases: [(String, SenMLErrorReason, Int)] = [
            ("", .unexpectedEnd, 0),
            ("  ", .unexpectedEnd, 2),
            ("{}", .notAnArray, 0),
            ("[1]", .recordNotMap, 1),
            ("[{\"n\" 1}]", .expectedColon, 6),
            ("[{\"x\":1 \"v\":2}]", .expectedCommaOrClose, 8),
            ("[{\"x\":1,}]", .expectedKey, 8),
            ("[{1:2}]", .expectedKey, 2),
            ("[{\"v\":}]", .expectedValue, 6),
            ("[{}", .unexpectedEnd, 3),
            ("[{},]", .expectedValue, 4),
            ("[] []", .trailingBytes, 3),
            ("[]x", .trailingBytes, 2),
            ("[{\"v\":tru}]", .unexpectedByte, 9),
            ("[{\"v\":01}]", .badNumber, 7),
            ("[{\"v\":1.}]", .badNumber, 8),
            ("[{\"v\":-}]", .badNumber, 7),
            ("[{\"v\":1e}]", .badNumber, 8),
            ("[{\"v\":.5}]", .expectedValue, 6),
            ("[{\"v\":+5}]", .expectedValue, 6),
            ("[{\"v\":1x}]", .badNumber, 7),
            ("[{\"n\":\"a\\x\"}]", .badEscape, 8),
            ("[{\"n\":\"a\\u12G4\"}]", .badEscape, 12),
            ("[{\"n\":\"\\udc00\"}]", .badEscape, 7),
            ("[{\"n\":\"\\ud800x\"}]", .badEscape, 7),
            ("[{\"n\":\"\\ud800\\u0041\"}]", .badEscape, 7),
            ("[{\"n\":\"a\tb\"}]", .controlCharacter, 8),
            ("[{\"n\":\"abc", .unexpectedEnd, 10),
            ("[{\"n\":\"a\\", .unexpectedEnd, 9),
            ("[{\"x\":[[[[[[[1]]]]]]]}]", .tooDeep, 12),
        ]
        for (text, reason, offset) in cases {
            XCTAssertEqual(jsonError(text), SenMLError(reason, at: offset), text)
        }
    }

    func testJSONUTF8Validation() {
        func error(_ bytes: [UInt8]) -> SenMLError? {
            wireCaught(SenMLError.self) { try decode(Array("[{\"n\":\"d/x\",\"vs\":\"".utf8) + bytes + Array("\"}]".utf8), cbor: false) }
        }
        XCTAssertNil(error([0xC3, 0xA9]))  // é
        XCTAssertNil(error([0xE2, 0x82, 0xAC]))  // €
        XCTAssertNil(error([0xF0, 0x9F, 0x98, 0x80]))  // U+1F600
        XCTAssertEqual(error([0xC0, 0xAF])?.reason, .badUTF8)  // overlong
        XCTAssertEqual(error([0xE0, 0x80, 0xAF])?.reason, .badUTF8)  // overlong
        XCTAssertEqual(error([0xED, 0xA0, 0x80])?.reason, .badUTF8)  // surrogate
        XCTAssertEqual(error([0xF4, 0x90, 0x80, 0x80])?.reason, .badUTF8)  // above U+10FFFF
        XCTAssertEqual(error([0x80])?.reason, .badUTF8)  // lone continuation
        XCTAssertEqual(error([0xC3])?.reason, .badUTF8)  // truncated by the quote
        XCTAssertEqual(error([0xFF])?.reason, .badUTF8)
    }

    func testJSONSurrogatePairUnescapesToUTF8() throws {
        let text = #"[{"\ud83d\ude00_":1}]"#  // a must-understand label spelled with escapes
        XCTAssertEqual(jsonError(text)?.reason, .mustUnderstand)
        let bytes = Array(#"["\ud83d\ude00\u00e9\n"]"#.utf8)
        var collected: [UInt8] = []
        try bytes.withUnsafeBytes { raw in
            var scanner = JSONScanner(raw)
            XCTAssertEqual(try scanner.next(), .beginArray)
            guard case .string(let start, let end, let escaped) = try scanner.next() else { return XCTFail("not a string") }
            XCTAssertTrue(escaped)
            scanner.forEachUnescapedByte(start: start, end: end) { collected.append($0) }
            XCTAssertEqual(try scanner.next(), .endArray)
            XCTAssertEqual(try scanner.next(), .end)
        }
        XCTAssertEqual(String(decoding: collected, as: UTF8.self), "\u{1F600}é\n")
    }

    // MARK: - CBOR syntax and structure

    func testCBORStructuralErrors() {
        let record = CBORTestValue.map([(.int(0), .text("d/power")), (.int(1), .text("W")), (.int(2), .int(1))])
        let cases: [([UInt8], SenMLErrorReason, Int)] = [
            ([], .unexpectedEnd, 0),
            (CBORTestValue.map([]).encoded, .notAnArray, 0),
            (CBORTestValue.array([.int(1)]).encoded, .recordNotMap, 1),
            (CBORTestValue.array([record]).encoded + [0x00], .trailingBytes, 1 + record.encoded.count),
            (CBORTestValue.array([.map([(.double(1), .int(1))])]).encoded, .badLabel, 2),
            (CBORTestValue.array([.map([(.text("x_"), .int(1))])]).encoded, .mustUnderstand, 2),
            (CBORTestValue.array([.map([(.int(2), .tag(4, .int(1)))])]).encoded, .wrongType, 3),
            ([0x81, 0xA1, 0x02, 0xFF], .badIndefinite, 3),  // break as a value
            ([0x81, 0xA1, 0xFF], .badIndefinite, 2),  // break as a key in a definite map
            ([0x9F, 0xA0], .unexpectedEnd, 2),  // no break after the records
            ([0x81, 0xBF, 0x02, 0x01], .unexpectedEnd, 4),  // indefinite map without break
            ([0x81, 0xA1, 0x1C, 0x00], .reservedAdditionalInfo, 2),
        ]
        for (bytes, reason, offset) in cases {
            XCTAssertEqual(cborError(bytes), SenMLError(reason, at: offset), "\(bytes)")
        }
        // Unknown integer labels are ignored, whatever their value.
        let extra = CBORTestValue.array([.map([(.int(0), .text("d/power")), (.int(1), .text("W")), (.int(2), .int(1)), (.int(-20), .array([.int(1)])), (.int(99), .null)])])
        XCTAssertNil(cborError(extra.encoded))
    }

    // MARK: - Diagnostics

    func testErrorRendering() {
        let error = SenMLError(.expectedColon, at: 37)
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = buffer.withUnsafeMutableBytes { error.write(into: $0) }
        XCTAssertEqual(String(decoding: buffer[0..<count], as: UTF8.self), "senml: offset 37: expected ':'")
        let zero = SenMLError(.notAnArray, at: 0)
        let zeroCount = buffer.withUnsafeMutableBytes { zero.write(into: $0) }
        XCTAssertEqual(String(decoding: buffer[0..<zeroCount], as: UTF8.self), "senml: offset 0: pack is not an array")
        let big = SenMLError(.unexpectedEnd, at: 1_234_567_890)
        let bigCount = buffer.withUnsafeMutableBytes { big.write(into: $0) }
        XCTAssertEqual(String(decoding: buffer[0..<bigCount], as: UTF8.self), "senml: offset 1234567890: unexpected end of input")
        var small = [UInt8](repeating: 0, count: 10)
        let smallCount = small.withUnsafeMutableBytes { error.write(into: $0) }
        XCTAssertEqual(String(decoding: small[0..<smallCount], as: UTF8.self), "senml: off")
    }
}
