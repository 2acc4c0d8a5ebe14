import XCTest
@testable import OutpostTools

final class DecimalNumberTests: XCTestCase {
    func number(_ text: String) -> DecimalNumber? { DecimalNumber(Array(text.utf8)) }

    func testFixedIsExactWithHalfAwayFromZeroRounding() throws {
        XCTAssertEqual(number("25.125")?.fixed(decimals: 3), 25125)
        XCTAssertEqual(number("25.125")?.fixed(decimals: 7), 251_250_000)
        XCTAssertEqual(number("-0.0005")?.fixed(decimals: 3), -1)
        XCTAssertEqual(number("0.0004")?.fixed(decimals: 3), 0)
        XCTAssertEqual(number("0.0005")?.fixed(decimals: 3), 1)
        XCTAssertEqual(number("1.5e2")?.fixed(decimals: 0), 150)
        XCTAssertEqual(number("1e-3")?.fixed(decimals: 3), 1)
        XCTAssertEqual(number("00012.3400")?.fixed(decimals: 2), 1234)
        XCTAssertEqual(number("+.5")?.fixed(decimals: 0), 1)
        XCTAssertEqual(number("5.")?.fixed(decimals: 1), 50)
        XCTAssertEqual(number("0")?.fixed(decimals: 9), 0)
        XCTAssertEqual(number("-0.000")?.fixed(decimals: 2), 0)
    }

    func testNegativeDecimalsRoundToTensAndHundreds() throws {
        XCTAssertEqual(number("12345")?.fixed(decimals: -2), 123)
        XCTAssertEqual(number("12350")?.fixed(decimals: -2), 124)
        XCTAssertEqual(number("-12350")?.fixed(decimals: -2), -124)
        XCTAssertEqual(number("49")?.fixed(decimals: -2), 0)
    }

    func testFixedSaturatesToInt32() throws {
        XCTAssertEqual(number("3000")?.fixed(decimals: 7), Int32.max)
        XCTAssertEqual(number("-3000")?.fixed(decimals: 7), Int32.min)
        XCTAssertEqual(number("1e40")?.fixed(decimals: 0), Int32.max)
        XCTAssertEqual(number("2147483647")?.fixed(decimals: 0), Int32.max)
        XCTAssertEqual(number("2147483646")?.fixed(decimals: 0), 2_147_483_646)
        XCTAssertEqual(number("-2147483648")?.fixed(decimals: 0), Int32.min)
    }

    func testDoubleValue() throws {
        XCTAssertEqual(number("25.125")?.double, 25.125)
        XCTAssertEqual(number("-1e-3")?.double, -0.001)
        XCTAssertEqual(number(" 7 ")?.double, 7)
    }

    func testRejectsNonNumbers() {
        for text in ["", " ", "-", ".", "e5", "1e", "1e+", "abc", "1.2.3", "nan", "inf", "0x1p3", "1,5", "--1"] {
            XCTAssertNil(number(text), text)
        }
    }
}
