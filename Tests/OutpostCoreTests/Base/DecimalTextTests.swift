import OutpostCore
import XCTest

final class DecimalTextTests: XCTestCase {
    func micro(_ text: String) throws -> Int64 {
        var bytes = Array(text.utf8)
        return try bytes.withUnsafeMutableBufferPointer { try DecimalText.microUnits(UnsafeBufferPointer($0).span) }
    }

    func testPlainNumbers() throws {
        XCTAssertEqual(try micro("0"), 0)
        XCTAssertEqual(try micro("25"), 25_000_000)
        XCTAssertEqual(try micro("-12.5"), -12_500_000)
        XCTAssertEqual(try micro("+3.000001"), 3_000_001)
        XCTAssertEqual(try micro(".5"), 500_000)
        XCTAssertEqual(try micro("5."), 5_000_000)
        XCTAssertEqual(try micro("101325"), 101_325_000_000)
        XCTAssertEqual(try micro("0000.0001"), 100)
    }

    func testExponentsAndRounding() throws {
        XCTAssertEqual(try micro("1.25e-3"), 1_250)
        XCTAssertEqual(try micro("1E6"), 1_000_000_000_000)
        XCTAssertEqual(try micro("2.5e+2"), 250_000_000)
        XCTAssertEqual(try micro("0.0000005"), 1)  // half away from zero
        XCTAssertEqual(try micro("-0.0000005"), -1)
        XCTAssertEqual(try micro("0.00000049999"), 0)
        XCTAssertEqual(try micro("1.23456789"), 1_234_568)
        XCTAssertEqual(try micro("1e-30"), 0)
        // 25 significant digits: only the first 18 count, the value stays right.
        XCTAssertEqual(try micro("123456.7890123456789012345"), 123_456_789_012)
    }

    func testEveryDecimalWithThreePlacesRoundTrips() throws {
        // Whatever gen writes (≤ 3 decimals) arrives exactly.
        for thousandths in stride(from: -200_000, through: 200_000, by: 7) {
            let text = String(format: "%.3f", Double(thousandths) / 1000)
            XCTAssertEqual(try micro(text), Int64(thousandths) * 1000, text)
        }
    }

    func testBadInputIsRefusedWithWhere() {
        XCTAssertThrowsError(try micro("")) { XCTAssertEqual($0 as? NumberError, .empty) }
        XCTAssertThrowsError(try micro("abc")) { XCTAssertEqual($0 as? NumberError, .unexpectedByte(offset: 0)) }
        XCTAssertThrowsError(try micro("12x")) { XCTAssertEqual($0 as? NumberError, .unexpectedByte(offset: 2)) }
        XCTAssertThrowsError(try micro("-")) { XCTAssertNotNil($0 as? NumberError) }
        XCTAssertThrowsError(try micro("1e")) { XCTAssertNotNil($0 as? NumberError) }
        XCTAssertThrowsError(try micro("1.2.3")) { XCTAssertEqual($0 as? NumberError, .unexpectedByte(offset: 3)) }
        XCTAssertThrowsError(try micro(" 1")) { XCTAssertNotNil($0 as? NumberError) }
        XCTAssertThrowsError(try micro("1e30")) { XCTAssertEqual($0 as? NumberError, .outOfRange) }
        XCTAssertThrowsError(try micro("99999999999999999999")) { XCTAssertEqual($0 as? NumberError, .outOfRange) }
    }

    func testDoubles() throws {
        XCTAssertEqual(try DecimalText.microUnits(21.5), 21_500_000)
        XCTAssertEqual(try DecimalText.microUnits(-0.0000015), -2)
        XCTAssertThrowsError(try DecimalText.microUnits(Double.nan)) { XCTAssertEqual($0 as? NumberError, .notFinite) }
        XCTAssertThrowsError(try DecimalText.microUnits(Double.infinity))
        XCTAssertThrowsError(try DecimalText.microUnits(1e20)) { XCTAssertEqual($0 as? NumberError, .outOfRange) }
    }
}
