import XCTest

@testable import OutpostCore

final class CoAPBlockTests: XCTestCase {
    func testValueRoundTripAtNumberAndExponentBoundaries() throws {
        for number: UInt32 in [0, 1, 15, 16, 4095, 4096, CoAPBlock.maxNumber] {
            for exponent: UInt8 in 0...6 {
                for more in [false, true] {
                    let block = CoAPBlock(number: number, more: more, sizeExponent: exponent)
                    XCTAssertEqual(try CoAPBlock(value: block.value), block)
                    XCTAssertEqual(block.value & 7, UInt32(exponent))
                    XCTAssertEqual(block.value & 8 != 0, more)
                    XCTAssertEqual(block.value >> 4, number)
                    XCTAssertEqual(block.sizeBytes, 16 << Int(exponent))
                    XCTAssertEqual(block.offsetBytes, Int(number) * block.sizeBytes)
                }
            }
        }
    }

    // RFC 7959 §2.2: the value is 0...3 bytes; NUM 0 M 0 SZX 0 is the empty value.
    func testOptionValueDecoding() throws {
        XCTAssertEqual(try [UInt8]().withUnsafeBytes { try CoAPBlock(optionValue: $0) }, CoAPBlock(number: 0, more: false, sizeExponent: 0))
        XCTAssertEqual(try ([0x0E] as [UInt8]).withUnsafeBytes { try CoAPBlock(optionValue: $0) }, CoAPBlock(number: 0, more: true, sizeExponent: 6))
        XCTAssertEqual(try ([0xFF, 0xFF, 0xF6] as [UInt8]).withUnsafeBytes { try CoAPBlock(optionValue: $0) }, CoAPBlock(number: 0xFFFFF, more: false, sizeExponent: 6))
        XCTAssertEqual(([0x07] as [UInt8]).withUnsafeBytes { raw in wireCaught(CoAPBlockError.self) { try CoAPBlock(optionValue: raw) } }, .reservedSizeExponent)
        XCTAssertEqual(([0x01, 0x00, 0x00, 0x00] as [UInt8]).withUnsafeBytes { raw in wireCaught(CoAPBlockError.self) { try CoAPBlock(optionValue: raw) } }, .tooLong)
        XCTAssertEqual(wireCaught(CoAPBlockError.self) { try CoAPBlock(value: 0x100_0000) }, .tooLong)
        XCTAssertEqual(wireCaught(CoAPBlockError.self) { try CoAPBlock(value: 0xF) }, .reservedSizeExponent)
    }

    func testSizeExponentForAtMost() {
        XCTAssertNil(CoAPBlock.sizeExponent(forAtMost: 15))
        XCTAssertEqual(CoAPBlock.sizeExponent(forAtMost: 16), 0)
        XCTAssertEqual(CoAPBlock.sizeExponent(forAtMost: 31), 0)
        XCTAssertEqual(CoAPBlock.sizeExponent(forAtMost: 32), 1)
        XCTAssertEqual(CoAPBlock.sizeExponent(forAtMost: 1023), 5)
        XCTAssertEqual(CoAPBlock.sizeExponent(forAtMost: 1024), 6)
        XCTAssertEqual(CoAPBlock.sizeExponent(forAtMost: 1_000_000), 6)
    }
}
