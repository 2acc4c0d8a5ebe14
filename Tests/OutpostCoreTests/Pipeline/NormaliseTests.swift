import OutpostCore
import XCTest

final class NormaliseTests: XCTestCase {
    func n(_ feature: Feature, _ value: Double, _ unit: OutpostCore.Unit) throws -> Int32 {
        try Normalise.feature(feature, micro: Int64((value * 1_000_000).rounded()), unit: unit)
    }

    func testTemperature() throws {
        XCTAssertEqual(try n(.temperature, 21.5, .celsius), 21_500)
        XCTAssertEqual(try n(.temperature, 212, .fahrenheit), 100_000)
        XCTAssertEqual(try n(.temperature, 32, .fahrenheit), 0)
        XCTAssertEqual(try n(.temperature, -40, .fahrenheit), -40_000)
        XCTAssertEqual(try n(.temperature, 98.6, .fahrenheit), 37_000)
        XCTAssertEqual(try n(.temperature, 273.15, .kelvin), 0)
        XCTAssertEqual(try n(.temperature, 300, .kelvin), 26_850)
    }

    func testPressureAllToPascalTenths() throws {
        XCTAssertEqual(try n(.pressure, 101_325, .pascal), 1_013_250)
        XCTAssertEqual(try n(.pressure, 1013.25, .hectopascal), 1_013_250)
        XCTAssertEqual(try n(.pressure, 101.325, .kilopascal), 1_013_250)
        XCTAssertEqual(try n(.pressure, 1.01325, .bar), 1_013_250)
        XCTAssertEqual(try n(.pressure, 200, .kilopascal), 2_000_000)
        // 200 bar = 20 MPa still fits.
        XCTAssertEqual(try n(.pressure, 200, .bar), 200_000_000)
    }

    func testHumidityIsClamped() throws {
        XCTAssertEqual(try n(.humidity, 55.5, .percentRelativeHumidity), 55_500)
        XCTAssertEqual(try n(.humidity, 104, .percentRelativeHumidity), 100_000)
        XCTAssertEqual(try n(.humidity, -3, .percentRelativeHumidity), 0)
    }

    func testPowerAndVibration() throws {
        XCTAssertEqual(try n(.power, 100.25, .watt), 100_250)
        XCTAssertEqual(try n(.power, 1.5, .kilowatt), 1_500_000)
        XCTAssertEqual(try n(.vibration, 0.512, .metrePerSecondSquared), 512)
    }

    func testMismatchAndRange() {
        XCTAssertThrowsError(try n(.temperature, 1, .watt)) { XCTAssertEqual($0 as? NormaliseError, .unitMismatch) }
        XCTAssertThrowsError(try n(.power, 1, .percent)) { XCTAssertEqual($0 as? NormaliseError, .unitMismatch) }
        // 3 GW does not fit milliwatts in an Int32.
        XCTAssertThrowsError(try n(.power, 3_000_000, .kilowatt)) { XCTAssertEqual($0 as? NormaliseError, .outOfRange) }
        XCTAssertThrowsError(try Normalise.feature(.temperature, micro: Int64.max, unit: .fahrenheit)) {
            XCTAssertEqual($0 as? NormaliseError, .outOfRange)
        }
    }

    func testRoundingIsHalfAwayFromZero() {
        XCTAssertEqual(Normalise.divide(1_500, 1_000), 2)
        XCTAssertEqual(Normalise.divide(-1_500, 1_000), -2)
        XCTAssertEqual(Normalise.divide(1_499, 1_000), 1)
        XCTAssertEqual(Normalise.divide(-1_499, 1_000), -1)
        XCTAssertEqual(Normalise.divide(Int64.max, 1_000), 9_223_372_036_854_776)
        XCTAssertEqual(Normalise.divide(Int64.min, 1_000), -9_223_372_036_854_776)
    }

    func testBatteryAndDegrees() {
        XCTAssertEqual(Normalise.battery(micro: 55_000_000), 55_000)
        XCTAssertEqual(Normalise.battery(micro: 150_000_000), 100_000)
        XCTAssertEqual(Normalise.degreesE7(micro: 52_123_456), 521_234_560)
        XCTAssertNil(Normalise.degreesE7(micro: 181_000_000))
    }
}
