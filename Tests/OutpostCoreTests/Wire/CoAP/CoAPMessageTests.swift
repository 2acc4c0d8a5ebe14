import XCTest

@testable import OutpostCore

/// A CoAP message as plain test values, to build with `CoAPMessageWriter` and compare after parsing.
struct CoAPTestMessage: Equatable {
    var type: CoAPType
    var code: CoAPCode
    var messageID: UInt16
    var token: [UInt8]
    var options: [CoAPTestOption]
    var payload: [UInt8]

    /// Writes the message with the writer under test.
    func build(capacity: Int = 70_000) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let count = try buffer.withUnsafeMutableBytes { out -> Int in
            let tokenValue = token.withUnsafeBytes { CoAPToken($0) }
            var writer = try CoAPMessageWriter(buffer: out, type: type, code: code, messageID: messageID, token: tokenValue)
            for option in options {
                try option.value.withUnsafeBytes { raw in
                    try writer.appendOption(CoAPOptionNumber(rawValue: option.number), value: raw)
                }
            }
            try payload.withUnsafeBytes { raw in try writer.appendPayload(raw) }
            return writer.count
        }
        return Array(buffer[0..<count])
    }

    /// Parses `bytes` with the parser under test into plain values.
    static func parse(_ bytes: [UInt8]) throws -> CoAPTestMessage {
        try bytes.withUnsafeBytes { raw -> CoAPTestMessage in
            let message = try CoAPMessage(parsing: raw)
            var options: [CoAPTestOption] = []
            var iterator = message.options
            while let option = iterator.next() {
                options.append(CoAPTestOption(number: option.number.rawValue, value: Array(option.value)))
            }
            let token = (0..<message.token.count).map { message.token[$0] }
            return CoAPTestMessage(
                type: message.type, code: message.code, messageID: message.messageID, token: token,
                options: options, payload: Array(message.payload))
        }
    }
}

struct CoAPTestOption: Equatable {
    var number: UInt16
    var value: [UInt8]
}

/// Runs `body` on the parsed message of `bytes`.
func withCoAPMessage<T>(_ bytes: [UInt8], _ body: (CoAPMessage) throws -> T) throws -> T {
    try bytes.withUnsafeBytes { raw in try body(try CoAPMessage(parsing: raw)) }
}

final class CoAPMessageTests: XCTestCase {
    let temperature: [UInt8] = Array("temperature".utf8)

    // RFC 7252 Appendix A: CON GET /temperature, MID 0x7d34, no token.
    func testRFC7252ConfirmableGetWithoutToken() throws {
        let bytes: [UInt8] = [0x40, 0x01, 0x7D, 0x34, 0xBB] + temperature
        let parsed = try CoAPTestMessage.parse(bytes)
        XCTAssertEqual(parsed.type, .confirmable)
        XCTAssertEqual(parsed.code, .get)
        XCTAssertEqual(parsed.messageID, 0x7D34)
        XCTAssertEqual(parsed.token, [])
        XCTAssertEqual(parsed.options, [CoAPTestOption(number: 11, value: temperature)])
        XCTAssertEqual(parsed.payload, [])
        XCTAssertTrue(try withCoAPMessage(bytes) { $0.uriPathMatches("temperature") })
        XCTAssertFalse(try withCoAPMessage(bytes) { $0.uriPathMatches("temp") })
        XCTAssertFalse(try withCoAPMessage(bytes) { $0.uriPathMatches("") })
        XCTAssertEqual(try parsed.build(), bytes)
    }

    // RFC 7252 Appendix A: the same GET with token 0x20 and the 2.05 "22.3 C" answer.
    func testRFC7252RequestWithTokenAndPiggybackedResponse() throws {
        let request: [UInt8] = [0x41, 0x01, 0x7D, 0x35, 0x20, 0xBB] + temperature
        let parsed = try CoAPTestMessage.parse(request)
        XCTAssertEqual(parsed.token, [0x20])
        XCTAssertEqual(parsed.messageID, 0x7D35)
        let response: [UInt8] = [0x61, 0x45, 0x7D, 0x35, 0x20, 0xFF] + Array("22.3 C".utf8)
        let answer = CoAPTestMessage(
            type: .acknowledgement, code: .content, messageID: 0x7D35, token: [0x20], options: [],
            payload: Array("22.3 C".utf8))
        XCTAssertEqual(try answer.build(), response)
        XCTAssertEqual(try CoAPTestMessage.parse(response), answer)
    }

    func testEmptyMessageParsesAndItsContentIsAFormatError() throws {
        let ping = try CoAPTestMessage.parse([0x40, 0x00, 0x12, 0x34])
        XCTAssertEqual(ping.code, .empty)
        XCTAssertEqual(ping.type, .confirmable)
        XCTAssertEqual(wireCaught(CoAPFormatError.self) { try CoAPTestMessage.parse([0x41, 0x00, 0x12, 0x34, 0x99]) }, .nonEmptyEmptyMessage)
        XCTAssertEqual(wireCaught(CoAPFormatError.self) { try CoAPTestMessage.parse([0x70, 0x00, 0x12, 0x34, 0xFF, 0x01]) }, .nonEmptyEmptyMessage)
    }

    func testEveryExtendedDeltaBoundaryEncodesAndParses() throws {
        // (delta, expected header bytes) for a zero-length option at number == delta.
        let cases: [(UInt16, [UInt8])] = [
            (12, [0xC0]), (13, [0xD0, 0x00]), (268, [0xD0, 0xFF]), (269, [0xE0, 0x00, 0x00]),
            (270, [0xE0, 0x00, 0x01]), (65535, [0xE0, 0xFE, 0xF2]),
        ]
        for (delta, header) in cases {
            let message = CoAPTestMessage(
                type: .nonConfirmable, code: .post, messageID: 7, token: [],
                options: [CoAPTestOption(number: delta, value: [])], payload: [])
            let bytes = try message.build()
            XCTAssertEqual(Array(bytes[4...]), header, "delta \(delta)")
            XCTAssertEqual(try CoAPTestMessage.parse(bytes), message, "delta \(delta)")
        }
    }

    func testEveryExtendedLengthBoundaryEncodesAndParses() throws {
        let cases: [(Int, [UInt8])] = [
            (12, [0x1C]), (13, [0x1D, 0x00]), (268, [0x1D, 0xFF]), (269, [0x1E, 0x00, 0x00]), (1034, [0x1E, 0x02, 0xFD]),
        ]
        for (length, header) in cases {
            let value = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            let message = CoAPTestMessage(
                type: .confirmable, code: .put, messageID: 9, token: [1, 2],
                options: [CoAPTestOption(number: 1, value: value)], payload: [0xAA])
            let bytes = try message.build()
            XCTAssertEqual(Array(bytes[6..<(6 + header.count)]), header, "length \(length)")
            XCTAssertEqual(bytes.count, 6 + header.count + length + 2)
            XCTAssertEqual(try CoAPTestMessage.parse(bytes), message, "length \(length)")
        }
    }

    func testDeltasBetweenConsecutiveOptionsUseExtendedForms() throws {
        let message = CoAPTestMessage(
            type: .confirmable, code: .get, messageID: 1, token: [],
            options: [
                CoAPTestOption(number: 11, value: [0x61]), CoAPTestOption(number: 11, value: [0x62]),
                CoAPTestOption(number: 24, value: []), CoAPTestOption(number: 293, value: [1]),
                CoAPTestOption(number: 562, value: [2]),
            ], payload: [])
        let bytes = try message.build()
        // 11: B1 'a'; 11 again: delta 0; 24: delta 13 → D0 00; 293: delta 269 → E1 00 00; 562: delta 269 → E1 00 00.
        XCTAssertEqual(Array(bytes[4...]), [0xB1, 0x61, 0x01, 0x62, 0xD0, 0x00, 0xE1, 0x00, 0x00, 0x01, 0xE1, 0x00, 0x00, 0x02])
        XCTAssertEqual(try CoAPTestMessage.parse(bytes), message)
    }

    func testRoundTripOfRandomMessages() throws {
        var generator = SystemRandomNumberGenerator()
        let types: [CoAPType] = [.confirmable, .nonConfirmable, .acknowledgement, .reset]
        for _ in 0..<500 {
            var number = 0
            var options: [CoAPTestOption] = []
            for _ in 0..<Int.random(in: 0...8, using: &generator) {
                let step = [0, 1, 12, 13, 268, 269, Int.random(in: 0...2000, using: &generator)].randomElement(using: &generator)!
                if number + step > 65535 { break }
                number += step
                let length = [0, 1, 12, 13, 268, 269, Int.random(in: 0...300, using: &generator)].randomElement(using: &generator)!
                options.append(CoAPTestOption(number: UInt16(number), value: (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }))
            }
            let message = CoAPTestMessage(
                type: types.randomElement(using: &generator)!,
                code: CoAPCode(rawValue: UInt8.random(in: 1...255, using: &generator)),
                messageID: UInt16.random(in: 0...UInt16.max, using: &generator),
                token: (0..<Int.random(in: 0...8, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                options: options,
                payload: (0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            let bytes = try message.build()
            XCTAssertEqual(try CoAPTestMessage.parse(bytes), message)
        }
    }

    func testMalformedMessagesAreRejectedWithTheRightError() {
        let cases: [([UInt8], CoAPFormatError)] = [
            ([], .truncatedHeader),
            ([0x40, 0x01, 0x00], .truncatedHeader),
            ([0x00, 0x01, 0x00, 0x01], .unsupportedVersion),
            ([0x80, 0x01, 0x00, 0x01], .unsupportedVersion),
            ([0xC0, 0x01, 0x00, 0x01], .unsupportedVersion),
            ([0x49, 0x01, 0x00, 0x01] + [UInt8](repeating: 0, count: 9), .badTokenLength),
            ([0x4F, 0x01, 0x00, 0x01], .badTokenLength),
            ([0x48, 0x01, 0x00, 0x01, 1, 2, 3, 4, 5, 6, 7], .truncatedToken),
            ([0x40, 0x01, 0x00, 0x01, 0xF0], .reservedOptionNibble),
            ([0x40, 0x01, 0x00, 0x01, 0x1F], .reservedOptionNibble),
            ([0x40, 0x01, 0x00, 0x01, 0xD0], .truncatedOption),
            ([0x40, 0x01, 0x00, 0x01, 0xE0, 0x01], .truncatedOption),
            ([0x40, 0x01, 0x00, 0x01, 0x0D], .truncatedOption),
            ([0x40, 0x01, 0x00, 0x01, 0x0E, 0x00], .truncatedOption),
            ([0x40, 0x01, 0x00, 0x01, 0x13, 0x61, 0x62], .truncatedOption),
            ([0x40, 0x01, 0x00, 0x01, 0xD2, 0x00, 0x61], .truncatedOption),
            // 65804 (269 + 65535) then any delta: past the 16-bit option number space.
            ([0x40, 0x01, 0x00, 0x01, 0xE0, 0xFF, 0xFF], .optionNumberTooLarge),
            ([0x40, 0x01, 0x00, 0x01, 0xE0, 0xFE, 0xF2, 0x10], .optionNumberTooLarge),
            ([0x40, 0x01, 0x00, 0x01, 0xFF], .emptyPayload),
            ([0x41, 0x01, 0x00, 0x01, 0x07, 0xB1, 0x61, 0xFF], .emptyPayload),
        ]
        for (bytes, expected) in cases {
            XCTAssertEqual(wireCaught(CoAPFormatError.self) { try CoAPTestMessage.parse(bytes) }, expected, "\(bytes)")
        }
    }

    func testFormatErrorsHaveDiagnostics() {
        let errors: [CoAPFormatError] = [
            .truncatedHeader, .unsupportedVersion, .badTokenLength, .truncatedToken, .nonEmptyEmptyMessage,
            .reservedOptionNibble, .truncatedOption, .optionNumberTooLarge, .emptyPayload,
        ]
        var seen = Set<String>()
        for error in errors { seen.insert(error.diagnostic.description) }
        XCTAssertEqual(seen.count, errors.count)
    }

    func testTypedOptionHelpers() throws {
        let message = CoAPTestMessage(
            type: .confirmable, code: .post, messageID: 3, token: [9],
            options: [
                CoAPTestOption(number: 6, value: []),  // Observe 0 (register)
                CoAPTestOption(number: 11, value: Array("sensors".utf8)),
                CoAPTestOption(number: 11, value: Array("readings".utf8)),
                CoAPTestOption(number: 12, value: [110]),
                CoAPTestOption(number: 17, value: [0x00, 0x70]),
                CoAPTestOption(number: 23, value: [0x16]),  // NUM 1, M 0, SZX 6
                CoAPTestOption(number: 27, value: [0x01, 0x2D]),  // NUM 18, M 1, SZX 5
                CoAPTestOption(number: 60, value: [0x01, 0x00]),
            ], payload: [0x80])
        let bytes = try message.build()
        try withCoAPMessage(bytes) { parsed in
            XCTAssertEqual(parsed.observe, 0)
            XCTAssertEqual(parsed.contentFormat, CoAPContentFormat.senmlJSON)
            XCTAssertEqual(parsed.accept, CoAPContentFormat.senmlCBOR)
            XCTAssertEqual(try parsed.block2(), CoAPBlock(number: 1, more: false, sizeExponent: 6))
            XCTAssertEqual(try parsed.block1(), CoAPBlock(number: 18, more: true, sizeExponent: 5))
            XCTAssertEqual(parsed.size1, 256)
            XCTAssertNil(parsed.size2)
            XCTAssertTrue(parsed.uriPathMatches("sensors/readings"))
            XCTAssertFalse(parsed.uriPathMatches("sensors"))
            XCTAssertFalse(parsed.uriPathMatches("sensors/readings/x"))
            XCTAssertFalse(parsed.uriPathMatches("sensors/reading"))
            XCTAssertNil(parsed.firstBadCriticalOption)
            var segments = parsed.options(.uriPath)
            XCTAssertTrue(segments.next()?.valueEquals("sensors") ?? false)
            XCTAssertTrue(segments.next()?.valueEquals("readings") ?? false)
            XCTAssertNil(segments.next())
        }
        // Absent options.
        try withCoAPMessage([0x40, 0x01, 0x00, 0x01]) { parsed in
            XCTAssertNil(parsed.contentFormat)
            XCTAssertNil(parsed.accept)
            XCTAssertNil(parsed.observe)
            XCTAssertNil(try parsed.block1())
            XCTAssertNil(try parsed.block2())
            XCTAssertTrue(parsed.uriPathMatches(""))
        }
    }

    func testMalformedElectiveOptionsReadAsAbsentAndBadBlocksThrow() throws {
        let message = CoAPTestMessage(
            type: .confirmable, code: .post, messageID: 3, token: [],
            options: [
                CoAPTestOption(number: 6, value: [1, 2, 3, 4]),  // Observe: max 3 bytes
                CoAPTestOption(number: 12, value: [0, 0, 110]),  // Content-Format: max 2 bytes
                CoAPTestOption(number: 23, value: [0x17]),  // SZX 7
                CoAPTestOption(number: 27, value: [0, 0, 0, 0x10]),  // 4 bytes
            ], payload: [])
        try withCoAPMessage(try message.build()) { parsed in
            XCTAssertNil(parsed.observe)
            XCTAssertNil(parsed.contentFormat)
            XCTAssertEqual(wireCaught(CoAPBlockError.self) { try parsed.block2() }, .reservedSizeExponent)
            XCTAssertEqual(wireCaught(CoAPBlockError.self) { try parsed.block1() }, .tooLong)
            // Block1 (27) is critical with a value above its 3-byte format.
            XCTAssertEqual(parsed.firstBadCriticalOption, .block1)
        }
    }

    func testFirstBadCriticalOption() throws {
        func bad(_ options: [CoAPTestOption]) throws -> UInt16? {
            let message = CoAPTestMessage(type: .confirmable, code: .get, messageID: 1, token: [], options: options, payload: [])
            return try withCoAPMessage(try message.build()) { $0.firstBadCriticalOption?.rawValue }
        }
        XCTAssertNil(try bad([]))
        // Unknown elective (even) options are ignored.
        XCTAssertNil(try bad([CoAPTestOption(number: 2, value: [1]), CoAPTestOption(number: 2048, value: [])]))
        // Unknown critical (odd) option: 9, then a later one is not reported first.
        XCTAssertEqual(try bad([CoAPTestOption(number: 9, value: []), CoAPTestOption(number: 2049, value: [])]), 9)
        XCTAssertEqual(try bad([CoAPTestOption(number: 11, value: [0x61]), CoAPTestOption(number: 2049, value: [])]), 2049)
        // Known critical option with a bad length: Uri-Host empty, Accept 3 bytes.
        XCTAssertEqual(try bad([CoAPTestOption(number: 3, value: [])]), 3)
        XCTAssertEqual(try bad([CoAPTestOption(number: 17, value: [1, 2, 3])]), 17)
        // Repeated non-repeatable critical option; repeatable Uri-Path is fine.
        XCTAssertEqual(try bad([CoAPTestOption(number: 17, value: [1]), CoAPTestOption(number: 17, value: [2])]), 17)
        XCTAssertNil(try bad([CoAPTestOption(number: 11, value: [0x61]), CoAPTestOption(number: 11, value: [0x62])]))
    }

    func testCodeClassAndDetail() {
        XCTAssertEqual(CoAPCode.content.codeClass, 2)
        XCTAssertEqual(CoAPCode.content.detail, 5)
        XCTAssertEqual(CoAPCode(codeClass: 4, detail: 2), .badOption)
        XCTAssertEqual(CoAPCode(codeClass: 2, detail: 31), .continue)
        XCTAssertTrue(CoAPCode.get.isRequest)
        XCTAssertFalse(CoAPCode.empty.isRequest)
        XCTAssertTrue(CoAPCode.requestEntityTooLarge.isResponse)
        XCTAssertFalse(CoAPCode.post.isResponse)
        XCTAssertTrue(CoAPOptionNumber.uriPath.isCritical)
        XCTAssertFalse(CoAPOptionNumber.contentFormat.isCritical)
        XCTAssertTrue(CoAPOptionNumber.proxyUri.isUnsafe)
    }

    func testTokenFromValue() {
        let token = CoAPToken(value: 0x0102_0304_0506, count: 4)
        XCTAssertEqual((0..<token.count).map { token[$0] }, [0x03, 0x04, 0x05, 0x06])
        XCTAssertEqual(CoAPToken(value: 0, count: 0), CoAPToken())
        XCTAssertNotEqual(CoAPToken(value: 1, count: 1), CoAPToken(value: 1, count: 2))
    }
}
