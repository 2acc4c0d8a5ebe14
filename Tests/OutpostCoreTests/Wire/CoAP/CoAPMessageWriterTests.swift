import XCTest

@testable import OutpostCore

final class CoAPMessageWriterTests: XCTestCase {
    func testUIntOptionsUseTheFewestBytes() throws {
        var buffer = [UInt8](repeating: 0, count: 64)
        let bytes = try buffer.withUnsafeMutableBytes { out -> [UInt8] in
            var writer = try CoAPMessageWriter(buffer: out, type: .acknowledgement, code: .content, messageID: 0xBEEF)
            try writer.appendOption(.observe, uint: 0)  // empty value
            try writer.appendOption(.contentFormat, uint: 110)  // one byte
            try writer.appendOption(.maxAge, uint: 0x1_0000)  // three bytes
            try writer.appendOption(.block2, uint: CoAPBlock(number: 2, more: true, sizeExponent: 2).value)
            try writer.appendOption(.size2, uint: 0xFFFF_FFFF)
            try writer.appendPayload("ok")
            return Array(writer.message)
        }
        XCTAssertEqual(bytes, [
            0x60, 0x45, 0xBE, 0xEF,
            0x60,  // Observe: delta 6, length 0
            0x61, 110,  // Content-Format: delta 6, length 1
            0x23, 0x01, 0x00, 0x00,  // Max-Age: delta 2, length 3
            0x91, 0x2A,  // Block2: delta 9, NUM 2 M 1 SZX 2
            0x54, 0xFF, 0xFF, 0xFF, 0xFF,  // Size2: delta 5, length 4
            0xFF, 0x6F, 0x6B,
        ])
        XCTAssertEqual(try withCoAPMessage(bytes) { $0.observe }, 0)
        XCTAssertEqual(try withCoAPMessage(bytes) { $0.size2 }, 0xFFFF_FFFF)
    }

    func testNoRoomLeavesAValidMessageAtEveryBufferSize() throws {
        let full = CoAPTestMessage(
            type: .confirmable, code: .post, messageID: 0x1234, token: [1, 2, 3, 4],
            options: [
                CoAPTestOption(number: 11, value: Array("sensors".utf8)),
                CoAPTestOption(number: 12, value: [112]),
                CoAPTestOption(number: 300, value: [UInt8](repeating: 7, count: 20)),
            ], payload: Array("payload".utf8))
        let expected = try full.build()
        for size in 0..<expected.count {
            var buffer = [UInt8](repeating: 0, count: size)
            var written: [UInt8]? = nil
            let error = buffer.withUnsafeMutableBytes { out in
                wireCaught(CoAPWriteError.self) {
                    let token = full.token.withUnsafeBytes { CoAPToken($0) }
                    var writer = try CoAPMessageWriter(buffer: out, type: full.type, code: full.code, messageID: full.messageID, token: token)
                    defer { written = Array(writer.message) }
                    for option in full.options {
                        try option.value.withUnsafeBytes { raw in
                            try writer.appendOption(CoAPOptionNumber(rawValue: option.number), value: raw)
                        }
                    }
                    try full.payload.withUnsafeBytes { raw in try writer.appendPayload(raw) }
                }
            }
            XCTAssertEqual(error, .noRoom, "size \(size)")
            if let written {
                // What was written before running out of room is a complete, valid prefix message.
                XCTAssertEqual(Array(expected[0..<written.count]), written)
                XCTAssertNoThrow(try CoAPTestMessage.parse(written))
            } else {
                XCTAssertLessThan(size, 8, "only header and token can fail at init")
            }
        }
    }

    func testPayloadAppendsConcatenateAfterOneMarker() throws {
        var buffer = [UInt8](repeating: 0, count: 16)
        let bytes = try buffer.withUnsafeMutableBytes { out -> [UInt8] in
            var writer = try CoAPMessageWriter(buffer: out, type: .nonConfirmable, code: .content, messageID: 1)
            try writer.appendPayload("ab")
            try writer.appendPayload("")
            try writer.appendPayload("cd")
            return Array(writer.message)
        }
        XCTAssertEqual(bytes, [0x50, 0x45, 0x00, 0x01, 0xFF, 0x61, 0x62, 0x63, 0x64])
    }

    func testEmptyPayloadWritesNoMarker() throws {
        var buffer = [UInt8](repeating: 0, count: 8)
        let bytes = try buffer.withUnsafeMutableBytes { out -> [UInt8] in
            var writer = try CoAPMessageWriter(buffer: out, type: .reset, code: .empty, messageID: 0xFFFF)
            try writer.appendPayload("")
            return Array(writer.message)
        }
        XCTAssertEqual(bytes, [0x70, 0x00, 0xFF, 0xFF])
        XCTAssertEqual(try CoAPTestMessage.parse(bytes).type, .reset)
    }
}
