import OutpostCore
import XCTest

final class ReadingCSVTests: XCTestCase {
    let header = "sensor_id,timestamp_ms,temperature,humidity,pressure,vibration,power_consumption,battery_level,latitude,longitude,label"

    func parse(_ line: String) throws -> Reading {
        try Array(line.utf8).withUnsafeBytes { try ReadingCSV.parse($0) }
    }

    func error(_ line: String) -> CSVRowError? {
        do {
            _ = try parse(line)
            return nil
        } catch {
            return error as? CSVRowError
        }
    }

    func testHeader() throws {
        try Array(header.utf8).withUnsafeBytes { try ReadingCSV.checkHeader($0) }
        try Array(header.dropLast(6).utf8).withUnsafeBytes { try ReadingCSV.checkHeader($0) }
        XCTAssertThrowsError(try Array("sensor_id,timestamp_ms,temp".utf8).withUnsafeBytes { try ReadingCSV.checkHeader($0) }) {
            XCTAssertEqual(($0 as? CSVRowError)?.column, 3)
        }
    }

    func testFullRowNormalised() throws {
        let r = try parse("sensor-001,1767225600000,25.125,60.5,1013.25,0.512,100.5,80,52.1,-4.25,0\r")
        XCTAssertEqual(r.sensor, SensorName("sensor-001"))
        XCTAssertEqual(r.timestampMs, 1_767_225_600_000)
        XCTAssertEqual(r.features[.temperature], 25_125)
        XCTAssertEqual(r.features[.humidity], 60_500)
        XCTAssertEqual(r.features[.pressure], 1_013_250)
        XCTAssertEqual(r.features[.vibration], 512)
        XCTAssertEqual(r.features[.power], 100_500)
        XCTAssertEqual(r.batteryMilliPercent, 80_000)
        XCTAssertEqual(r.location, Location(latitudeE7: 521_000_000, longitudeE7: -42_500_000))
    }

    func testEmptyCellsAreAbsent() throws {
        let r = try parse("s,1000,,50,,,,,,")
        XCTAssertNil(r.features[.temperature])
        XCTAssertEqual(r.features[.humidity], 50_000)
        XCTAssertNil(r.batteryMilliPercent)
        XCTAssertNil(r.location)
    }

    func testBadRowsNameTheColumn() {
        XCTAssertEqual(error("s,1000,abc,50,1013,0.5,100,80,1,1")?.column, 3)
        XCTAssertEqual(error(",1000,20,50,1013,0.5,100,80,1,1")?.column, 1)
        XCTAssertEqual(error("s,1000.5,20,50,1013,0.5,100,80,1,1")?.column, 2)
        XCTAssertEqual(error("s,-5,20,50,1013,0.5,100,80,1,1")?.column, 2)
        XCTAssertEqual(error("s,1000,20,50")?.column, 5)
        XCTAssertEqual(error("s,1000,20,50,1013,0.5,100,80,95,1")?.column, 9)
        XCTAssertEqual(error("s,1000,20,50,1013,0.5,100,80,1,")?.column, 10)
        XCTAssertEqual(error("s,1000,20,50,1013,0.5,3000000000,80,1,1")?.column, 7)
        XCTAssertEqual(error("s,1000,20,50,1013,0.5,100,80,1,1,0,extra")?.column, 12)
    }
}
