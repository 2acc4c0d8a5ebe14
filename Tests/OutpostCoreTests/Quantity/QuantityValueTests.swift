import OutpostProfiles
import XCTest

@testable import OutpostCore

/// Values of quantities the gateway does not detect on (`co2`, `voltage`): decoded as sent from
/// SenML JSON and CBOR, logged as record type 10, forwarded with their own name and unit, counted
/// per name in `/metrics`; only counted where the profile has no room for them.
final class QuantityValueTests: XCTestCase {
    let nowMs: Int64 = 1_700_000_000_000

    /// Decodes `payload` with a quantity buffer of `capacity` (0: none).
    func decode(_ payload: [UInt8], cbor: Bool, capacity: Int = 4) throws -> ([Reading], [QuantityValue], SenMLDecodeResult) {
        var readings = [Reading](repeating: Reading(sensor: SensorName(), timestampMs: 0), count: 8)
        var values = [QuantityValue](repeating: .empty, count: capacity)
        let result = try payload.withUnsafeBytes { raw in
            try readings.withUnsafeMutableBufferPointer { out in
                try values.withUnsafeMutableBufferPointer { quantities in
                    cbor
                        ? try SenMLDecoder.decodeCBOR(raw, nowMs: nowMs, into: out, quantities: quantities)
                        : try SenMLDecoder.decodeJSON(raw, nowMs: nowMs, into: out, quantities: quantities)
                }
            }
        }
        return (Array(readings[0..<result.readingCount]), Array(values[0..<result.quantityValueCount]), result)
    }

    /// Both encodings, checked equal.
    func decodeBoth(_ pack: [SenMLTestRecord], capacity: Int = 4) throws -> ([Reading], [QuantityValue], SenMLDecodeResult) {
        let json = try decode(SenMLTestPack.json(pack), cbor: false, capacity: capacity)
        let cbor = try decode(SenMLTestPack.cbor(pack), cbor: true, capacity: capacity)
        XCTAssertEqual(json.0, cbor.0)
        XCTAssertEqual(json.1, cbor.1)
        XCTAssertEqual(json.2, cbor.2)
        return json
    }

    func reasonBoth(_ pack: [SenMLTestRecord], capacity: Int = 4) -> SenMLErrorReason? {
        let json = wireCaught(SenMLError.self) { try decode(SenMLTestPack.json(pack), cbor: false, capacity: capacity) }
        let cbor = wireCaught(SenMLError.self) { try decode(SenMLTestPack.cbor(pack), cbor: true, capacity: capacity) }
        XCTAssertEqual(json?.reason, cbor?.reason)
        return json?.reason
    }

    static let mixed: [SenMLTestRecord] = [
        [("bn", .text("room-1/")), ("bt", .number("1700000000")), ("n", .text("temperature")), ("u", .text("Cel")), ("v", .number("21.5"))],
        [("n", .text("co2")), ("u", .text("ppm")), ("v", .number("415"))],
        [("n", .text("voltage")), ("u", .text("V")), ("v", .number("3.3"))],
        // A text value of an unknown quantity: not a number to keep, counted as before.
        [("n", .text("state")), ("vs", .text("open"))],
        // No unit at all (RFC 8428 §4.5.2: optional).
        [("n", .text("count")), ("v", .number("-7"))],
    ]

    func testUnknownQuantitiesAreKeptAsSentBesideTheReadings() throws {
        let (readings, values, result) = try decodeBoth(Self.mixed)
        XCTAssertEqual(result.readingCount, 1)
        XCTAssertEqual(readings.first?.features[.temperature], 21_500)
        XCTAssertEqual(result.quantityValueCount, 3)
        XCTAssertEqual(result.unknownQuantityCount, 1, "the text value is only counted")
        let sensor = SensorName("room-1")
        XCTAssertEqual(values, [
            QuantityValue(sensor: sensor, timestampMs: 1_700_000_000_000, valueMicro: 415_000_000, name: SensorName("co2"), unit: SensorName("ppm")),
            QuantityValue(sensor: sensor, timestampMs: 1_700_000_000_000, valueMicro: 3_300_000, name: SensorName("voltage"), unit: SensorName("V")),
            QuantityValue(sensor: sensor, timestampMs: 1_700_000_000_000, valueMicro: -7_000_000, name: SensorName("count"), unit: nil),
        ])
    }

    func testBaseUnitAndBaseValueApplyToUnknownQuantities() throws {
        let pack: [SenMLTestRecord] = [
            [("bn", .text("m-1/")), ("bu", .text("V")), ("bv", .number("1")), ("n", .text("voltage")), ("v", .number("0.25"))],
        ]
        let (_, values, _) = try decodeBoth(pack)
        XCTAssertEqual(values.first?.valueMicro, 1_250_000)
        XCTAssertEqual(values.first?.unit, SensorName("V"))
        XCTAssertEqual(values.first?.timestampMs, nowMs, "no time: now")
    }

    func testWithoutABufferUnknownQuantitiesAreOnlyCounted() throws {
        let (readings, values, result) = try decodeBoth(Self.mixed, capacity: 0)
        XCTAssertEqual(readings.count, 1)
        XCTAssertEqual(values.count, 0)
        XCTAssertEqual(result.unknownQuantityCount, 4)
    }

    func testBadUnknownQuantityRecordsAreRefusedOrCountedClearly() {
        // More values than the buffer holds: the pack is refused whole, as with readings.
        let many: [SenMLTestRecord] = (0..<3).map { [("n", .text("s/q\($0)")), ("u", .text("V")), ("v", .number("1"))] }
        XCTAssertEqual(reasonBoth(many, capacity: 2), .tooManyReadings)
        // The same quantity twice for one sensor and time.
        let twice: [SenMLTestRecord] = [
            [("n", .text("s/co2")), ("u", .text("ppm")), ("v", .number("1")), ("t", .number("1700000000"))],
            [("n", .text("s/co2")), ("u", .text("ppm")), ("v", .number("2")), ("t", .number("1700000000"))],
        ]
        XCTAssertEqual(reasonBoth(twice), .duplicateQuantity)
        // A value out of the micro-unit range.
        XCTAssertEqual(reasonBoth([[("n", .text("s/co2")), ("u", .text("ppm")), ("v", .number("1e300"))]]), .valueOutOfRange)
    }

    func testNamesAndUnitsOverThirtyTwoBytesAreCountedNotKept() throws {
        let longName = String(repeating: "q", count: 33)
        let longUnit = String(repeating: "u", count: 33)
        let pack: [SenMLTestRecord] = [
            [("n", .text("s/" + longName)), ("u", .text("V")), ("v", .number("1"))],
            [("n", .text("s/ok")), ("u", .text(longUnit)), ("v", .number("1"))],
            // Not in the SenML Units registry: forwarding it would make the uplink's pack invalid.
            [("n", .text("s/length")), ("u", .text("furlong")), ("v", .number("1"))],
            [("n", .text("s/ratio")), ("u", .text("PPM")), ("v", .number("1"))],
        ]
        let (_, values, result) = try decodeBoth(pack)
        XCTAssertEqual(values.count, 0)
        XCTAssertEqual(result.unknownQuantityCount, 4)
    }

    func testRegisteredUnitsAreFoundWholeAndOnlyWhole() {
        func registered(_ text: String) -> Bool {
            var unit = SenMLText()
            for byte in text.utf8 { unit.append(byte) }
            return SenMLUnitRegistry.isRegistered(unit)
        }
        for unit in ["m", "V", "ppm", "km/h", "/", "%", "deg", "kWh", "/1000", "Cel", "beat/min"] { XCTAssertTrue(registered(unit), unit) }
        for unit in ["", "k", "km/", "pp", "ppmm", "v", "cel", "/10", "m/s3", " "] { XCTAssertFalse(registered(unit), unit) }
    }

    // MARK: - Log record type 10

    func testLogPayloadRoundTripsAndRefusesMalformedBytes() throws {
        let value = QuantityValue(
            sensor: SensorName("room-1"), timestampMs: 1_700_000_000_123, valueMicro: -1_234_567, name: SensorName("co2"), unit: SensorName("ppm"))
        let payload = LogQuantityPayload(value)
        XCTAssertEqual(payload.sizeBytes, 11 + 6 + 3 + 3)
        var bytes = [UInt8](repeating: 0, count: payload.sizeBytes)
        let written = bytes.withUnsafeMutableBytes { payload.encode(into: $0) }
        XCTAssertEqual(written, payload.sizeBytes)
        XCTAssertEqual(bytes.prefix(12), [6, 0x72, 0x6F, 0x6F, 0x6D, 0x2D, 0x31, 3, 0x63, 0x6F, 0x32, 3])
        let decoded = bytes.withUnsafeBytes { LogQuantityPayload(decoding: $0, timestampMs: 1_700_000_000_123) }
        XCTAssertEqual(decoded, payload)
        // One byte short, one byte too many, a zero-length quantity name: refused.
        XCTAssertNil(Array(bytes.dropLast()).withUnsafeBytes { LogQuantityPayload(decoding: $0, timestampMs: 0) })
        XCTAssertNil((bytes + [0]).withUnsafeBytes { LogQuantityPayload(decoding: $0, timestampMs: 0) })
        var noName = bytes
        noName[7] = 0
        XCTAssertNil(noName.withUnsafeBytes { LogQuantityPayload(decoding: $0, timestampMs: 0) })
        // Without a unit: a zero length byte.
        let bare = LogQuantityPayload(QuantityValue(sensor: SensorName("s"), timestampMs: 0, valueMicro: 5, name: SensorName("n"), unit: nil))
        var bareBytes = [UInt8](repeating: 0xAA, count: bare.sizeBytes)
        _ = bareBytes.withUnsafeMutableBytes { bare.encode(into: $0) }
        XCTAssertEqual(bareBytes.withUnsafeBytes { LogQuantityPayload(decoding: $0, timestampMs: 0) }, bare)
    }

    func testLogStoreAppendsAndReadsQuantityValues() throws {
        let geometry = LogGeometry(segmentSizeBytes: 4096, segmentCount: 4)!
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let buffer = LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512) + 4096)
        var arena = buffer.arena()
        var store = try LogStore(device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .dropOldest, formatIfBlank: true)
        let value = QuantityValue(
            sensor: SensorName("room-1"), timestampMs: 1_700_000_000_000, valueMicro: 415_000_000, name: SensorName("co2"), unit: SensorName("ppm"))
        let sequence = try store.append(quantity: value)
        try store.commit()
        let records = try readAll(&store)
        let record = try XCTUnwrap(records.first { $0.sequence == sequence })
        XCTAssertEqual(record.type, .quantityValue)
        XCTAssertEqual(record.type.rawValue, 10)
        XCTAssertEqual(record.timestampMs, value.timestampMs)
        XCTAssertEqual(record.quantity?.value, value)
        XCTAssertNil(record.reading)
        XCTAssertEqual(store.recovery.recordsByType.count, 16)
    }

    // MARK: - Uplink

    func label(_ text: String) -> SensorName {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { SensorName($0.span)! }
    }

    func testUplinkSendsTheValueWithItsOwnNameAndUnit() throws {
        var records: [LogRecord] = []
        for (name, unit, micro) in [("co2", "ppm", Int64(415_000_000)), ("voltage", "V", 3_300_000)] {
            let value = QuantityValue(
                sensor: SensorName("room-1"), timestampMs: TestRecords.startMs + 500,
                valueMicro: micro, name: label(name), unit: label(unit))
            var record = LogRecord()
            record.type = .quantityValue
            record.sequence = 9
            record.timestampMs = value.timestampMs
            TestRecords.payload(&record) { LogQuantityPayload(value).encode(into: $0) }
            records.append(record)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 8)
        defer { buffer.deallocate() }
        var encoder = SenMLEncoder(buffer: buffer, nodeId: SensorName("node-1"))
        XCTAssertEqual(records.map { encoder.append($0) }, [.appended, .appended])
        let decoded = try UplinkPackRecord.decodePack(Array(encoder.finish()))
        XCTAssertEqual(decoded.map(\.name), ["room-1/co2", "room-1/voltage"])
        XCTAssertEqual(decoded.map(\.unit), ["ppm", "V"])
        XCTAssertEqual(decoded.map(\.value), [415, 3.3])
        XCTAssertEqual(decoded.map(\.time), [Double(TestRecords.startMs + 500) / 1000, Double(TestRecords.startMs + 500) / 1000])
        XCTAssertEqual(decoded.map(\.sequence), [9, 9])
        // Not forwarded with summaries only, as readings are not.
        XCTAssertFalse(UplinkForwardMode.summaries.forwards(.quantityValue))
        XCTAssertTrue(UplinkForwardMode.raw.forwards(.quantityValue))
    }

    // MARK: - Server

    func metrics<P: Profile>(_ h: ServerHarness<P>) throws -> [String: Double] {
        var body: [UInt8] = []
        var number: UInt32 = 0
        for mid in 1...100 {
            let options: [(UInt16, [UInt8])] = number == 0 ? [] : [Request.uint(.block2, number << 4 | 6)]
            let reply = try XCTUnwrap(h.exchange(Request.make(mid: UInt16(1_000 + mid), path: "metrics", options: options)))
            body += reply.payload
            guard let block = reply.uint(.block2), block & 8 != 0 else { break }
            number += 1
        }
        var samples: [String: Double] = [:]
        for line in String(decoding: body, as: UTF8.self).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { samples[String(parts[0])] = Double(parts[1]) }
        }
        return samples
    }

    func testServerQueuesValuesForTheLogAndCountsThemPerName() throws {
        let h = ServerHarness<ProfileTest>()
        let pack = "[{\"bn\":\"room-1/\",\"n\":\"co2\",\"u\":\"ppm\",\"v\":415},{\"n\":\"voltage\",\"u\":\"V\",\"v\":3.3},{\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20}]"
        XCTAssertEqual(h.exchange(Request.post(pack, mid: 1))?.code, .changed)
        XCTAssertEqual(h.exchange(Request.post("[{\"n\":\"room-2/co2\",\"u\":\"ppm\",\"v\":500}]", mid: 2))?.code, .changed)
        XCTAssertEqual(h.server.quantityQueue.count, 3)
        var consumer = RecordingConsumer()
        h.server.drainOutbox(into: &consumer)
        XCTAssertEqual(consumer.values.map { $0.name }, [SensorName("co2"), SensorName("voltage"), SensorName("co2")])
        XCTAssertEqual(consumer.readings, 1)
        XCTAssertEqual(h.server.quantityQueue.count, 0)
        let samples = try metrics(h)
        XCTAssertEqual(samples["outpost_quantity_values_total{quantity=\"co2\"}"], 2)
        XCTAssertEqual(samples["outpost_quantity_values_total{quantity=\"voltage\"}"], 1)
        XCTAssertEqual(samples["outpost_quantity_values_total{quantity=\"_other\"}"], 0)
        XCTAssertEqual(samples["outpost_drops_total{reason=\"unknown_quantity\"}"], 0)
    }

    func testTheNameTableOverflowsIntoOneLabel() throws {
        let h = ServerHarness<ProfileTest>()
        let names = ProfileTest.quantityNameCount + 2
        for i in 0..<names {
            let reply = h.exchange(Request.post("[{\"n\":\"s/q\(i)\",\"u\":\"V\",\"v\":1}]", mid: UInt16(10 + i)))
            XCTAssertEqual(reply?.code, .changed)
            var consumer = RecordingConsumer()
            h.server.drainOutbox(into: &consumer)
            XCTAssertEqual(consumer.values.count, 1, "every value is still queued for the log")
        }
        let samples = try metrics(h)
        XCTAssertEqual(samples["outpost_quantity_values_total{quantity=\"q0\"}"], 1)
        XCTAssertEqual(samples["outpost_quantity_values_total{quantity=\"_other\"}"], 2)
        XCTAssertNil(samples["outpost_quantity_values_total{quantity=\"q\(names - 1)\"}"])
    }

    func testAFullQueueRefusesThePackBeforeAnythingIsTaken() throws {
        let h = ServerHarness<ProfileTest>()
        let perPack = ProfileTest.packQuantityCapacity
        func pack(_ n: Int, count: Int = perPack) -> String {
            "[" + (0..<count).map { "{\"n\":\"s\(n)/q\($0)\",\"v\":1}" }.joined(separator: ",") + "]"
        }
        // More values than a pack may carry: 4.13, nothing taken.
        XCTAssertEqual(h.exchange(Request.post(pack(9, count: perPack + 1), mid: 99))?.code, .requestEntityTooLarge)
        XCTAssertEqual(h.server.quantityQueue.count, 0)
        // The queue holds one pack's worth: the next pack waits for a drain (5.03 with Max-Age).
        XCTAssertEqual(h.exchange(Request.post(pack(0), mid: 100))?.code, .changed)
        XCTAssertTrue(h.server.outboxNeedsDrain)
        let refused = h.exchange(Request.post(pack(1, count: 1), mid: 101))
        XCTAssertEqual(refused?.code, .serviceUnavailable)
        XCTAssertNotNil(refused?.uint(.maxAge))
        XCTAssertEqual(h.server.quantityQueue.count, perPack)
        var consumer = RecordingConsumer()
        h.server.drainOutbox(into: &consumer)
        XCTAssertEqual(consumer.values.count, perPack)
        XCTAssertFalse(h.server.outboxNeedsDrain)
        XCTAssertEqual(h.exchange(Request.post(pack(1, count: 1), mid: 102))?.code, .changed)
    }

    func testTheQueueSlotSizeIsTheOneDocumented() {
        // docs/RESOURCES.md, "Capacities per profile".
        XCTAssertEqual(MemoryLayout<QuantityValue>.stride, 128)
    }

    func testTheLowProfileOnlyCounts() throws {
        XCTAssertEqual(ProfileLow.packQuantityCapacity, 0)
        let h = ServerHarness<ProfileLow>()
        XCTAssertEqual(h.exchange(Request.post("[{\"n\":\"s/co2\",\"u\":\"ppm\",\"v\":415}]", mid: 1))?.code, .changed)
        XCTAssertEqual(h.server.quantityQueue.capacity, 0)
        XCTAssertEqual(h.server.counters.unknownQuantities, 1)
    }
}

/// Records what the server drains (tests only: it allocates).
struct RecordingConsumer: OutboxConsumer {
    var values: [QuantityValue] = []
    var readings = 0
    mutating func consume(_ event: OutboxEvent, sensor: SensorName) {
        if case .reading = event { readings += 1 }
    }
    mutating func consume(quantity value: QuantityValue) { values.append(value) }
}
