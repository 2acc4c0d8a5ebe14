import XCTest
@testable import OutpostCore

/// The MQTT 3.1.1 codec against the byte layouts of the OASIS standard (§2.2, §3.1–§3.14).
final class MQTTCodecTests: XCTestCase {
    func bytes(_ text: StaticString) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
    }

    func write(_ body: (UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int) throws -> [UInt8] {
        var storage = [UInt8](repeating: 0xEE, count: 512)
        let count = try storage.withUnsafeMutableBytes { buffer in try body(buffer) }
        return Array(storage[0..<count])
    }

    func decode(_ frame: [UInt8]) throws(MQTTError) -> MQTTPacket {
        var result: Result<MQTTPacket, MQTTError> = .failure(.badLength)
        frame.withUnsafeBytes { raw in
            do throws(MQTTError) { result = .success(try MQTTReader.decode(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    func expect(_ frame: [UInt8], fails expected: MQTTError, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try decode(frame)
            XCTFail("decoded a packet that breaks \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    // MARK: - Remaining length (§2.2.3, Table 2.4)

    func testRemainingLengthBoundariesOfTable2_4() throws {
        let cases: [(Int, [UInt8])] = [
            (0, [0x00]), (127, [0x7F]), (128, [0x80, 0x01]), (16_383, [0xFF, 0x7F]),
            (16_384, [0x80, 0x80, 0x01]), (2_097_151, [0xFF, 0xFF, 0x7F]),
            (2_097_152, [0x80, 0x80, 0x80, 0x01]), (268_435_455, [0xFF, 0xFF, 0xFF, 0x7F]),
        ]
        for (value, encoding) in cases {
            XCTAssertEqual(MQTTWriter.remainingLengthBytes(value), encoding.count, "\(value)")
            let header: [UInt8] = [0x30] + encoding
            let length = try header.withUnsafeBytes { raw throws(MQTTError) in try MQTTReader.frameLength(raw) }
            XCTAssertEqual(length, 1 + encoding.count + value, "\(value)")
            // One byte short: the header is not complete.
            let short = try Array(header.dropLast()).withUnsafeBytes { raw throws(MQTTError) in try MQTTReader.frameLength(raw) }
            XCTAssertNil(short, "\(value)")
        }
    }

    func testFifthRemainingLengthByteIsRefused() {
        let header: [UInt8] = [0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        XCTAssertThrowsError(try header.withUnsafeBytes { raw throws(MQTTError) in try MQTTReader.frameLength(raw) }) {
            XCTAssertEqual($0 as? MQTTError, .remainingLengthTooLong)
        }
    }

    func testPublishWithTwoByteRemainingLength() throws {
        let payload = [UInt8](repeating: 0x41, count: 200)
        let frame = try payload.withUnsafeBytes { body in
            try write { buffer throws(MQTTError) in
                try MQTTWriter.publish(topic: bytes("a/b"), payload: body, qos: 1, dup: false, retain: false, packetID: 7, into: buffer)
            }
        }
        // 2 + 3 topic + 2 id + 200 = 207 = 0xCF 0x01.
        XCTAssertEqual(Array(frame[0..<3]), [0x32, 0xCF, 0x01])
        XCTAssertEqual(frame.count, 3 + 207)
        let packet = try decode(frame)
        XCTAssertEqual(packet.payloadCount, 200)
        XCTAssertEqual(packet.packetID, 7)
    }

    // MARK: - CONNECT (§3.1)

    func testConnectWithWillUserAndPasswordMatchesTheSpecLayout() throws {
        var options = MQTTConnectOptions(clientID: bytes("gw1"), cleanSession: false, keepAliveS: 10)
        options.will = MQTTWill(topic: bytes("o/gw1/status"), message: bytes("offline"), qos: 1, retain: true)
        options.userName = bytes("u")
        options.password = bytes("pw")
        let frame = try write { buffer throws(MQTTError) in try MQTTWriter.connect(options, into: buffer) }
        var expected: [UInt8] = [0x10, 0]
        expected += [0x00, 0x04, 0x4D, 0x51, 0x54, 0x54]  // "MQTT"
        expected += [0x04]  // protocol level 4 = 3.1.1
        // user 0x80 | password 0x40 | will retain 0x20 | will QoS 1 0x08 | will flag 0x04, clean 0.
        expected += [0xEC]
        expected += [0x00, 0x0A]  // keep alive 10 s
        expected += [0x00, 0x03] + Array("gw1".utf8)
        expected += [0x00, 0x0C] + Array("o/gw1/status".utf8)
        expected += [0x00, 0x07] + Array("offline".utf8)
        expected += [0x00, 0x01] + Array("u".utf8)
        expected += [0x00, 0x02] + Array("pw".utf8)
        expected[1] = UInt8(expected.count - 2)
        XCTAssertEqual(frame, expected)
    }

    func testMinimalConnectWithCleanSession() throws {
        let options = MQTTConnectOptions(clientID: bytes("c"), cleanSession: true, keepAliveS: 0)
        let frame = try write { buffer throws(MQTTError) in try MQTTWriter.connect(options, into: buffer) }
        XCTAssertEqual(frame, [0x10, 13, 0, 4, 0x4D, 0x51, 0x54, 0x54, 4, 0x02, 0, 0, 0, 1, 0x63])
    }

    func testWriterRefusesABufferTooSmall() {
        var storage = [UInt8](repeating: 0, count: 8)
        storage.withUnsafeMutableBytes { buffer in
            let options = MQTTConnectOptions(clientID: bytes("client"), cleanSession: true, keepAliveS: 60)
            do {
                _ = try MQTTWriter.connect(options, into: buffer)
                XCTFail("wrote a CONNECT larger than the buffer")
            } catch {
                XCTAssertEqual(error as? MQTTError, .noRoom)
            }
        }
    }

    // MARK: - CONNACK (§3.2)

    func testConnackAcceptedWithSessionPresent() throws {
        let packet = try decode([0x20, 0x02, 0x01, 0x00])
        XCTAssertEqual(packet.type, .connack)
        XCTAssertTrue(packet.sessionPresent)
        XCTAssertEqual(packet.returnCode, 0)
        let refused = try decode([0x20, 0x02, 0x00, 0x05])
        XCTAssertEqual(refused.returnCode, 5)
    }

    func testConnackViolations() {
        expect([0x20, 0x03, 0x00, 0x00, 0x00], fails: .badLength)
        expect([0x21, 0x02, 0x00, 0x00], fails: .badFlags)
        expect([0x20, 0x02, 0x02, 0x00], fails: .badConnack)  // reserved ack flag bit
        expect([0x20, 0x02, 0x00, 0x06], fails: .badConnack)  // return code above 5
        expect([0x20, 0x02, 0x01, 0x04], fails: .badConnack)  // refused yet session present
    }

    // MARK: - PUBLISH (§3.3)

    func testPublishQoS1WithDupAndRetainLayout() throws {
        let frame = try write { buffer throws(MQTTError) in
            try MQTTWriter.publish(topic: bytes("a/b"), payload: bytes("hi"), qos: 1, dup: true, retain: true, packetID: 0x1234, into: buffer)
        }
        XCTAssertEqual(frame, [0x3B, 9, 0, 3, 0x61, 0x2F, 0x62, 0x12, 0x34, 0x68, 0x69])
        let packet = try decode(frame)
        XCTAssertEqual(packet.type, .publish)
        XCTAssertTrue(packet.dup)
        XCTAssertTrue(packet.retain)
        XCTAssertEqual(packet.qos, 1)
        XCTAssertEqual(packet.packetID, 0x1234)
        XCTAssertEqual(Array(frame[packet.topicStart..<(packet.topicStart + packet.topicCount)]), Array("a/b".utf8))
        XCTAssertEqual(Array(frame[packet.payloadStart..<(packet.payloadStart + packet.payloadCount)]), Array("hi".utf8))
    }

    func testPublishQoS0HasNoPacketID() throws {
        let frame = try write { buffer throws(MQTTError) in
            try MQTTWriter.publish(topic: bytes("t"), payload: bytes("x"), qos: 0, dup: false, retain: false, packetID: 0, into: buffer)
        }
        XCTAssertEqual(frame, [0x30, 4, 0, 1, 0x74, 0x78])
        let packet = try decode(frame)
        XCTAssertEqual(packet.packetID, 0)
        XCTAssertEqual(packet.payloadCount, 1)
    }

    func testPublishViolations() {
        expect([0x36, 5, 0, 1, 0x74, 0, 1], fails: .badFlags)  // QoS 3
        expect([0x38, 4, 0, 1, 0x74, 0x78], fails: .badFlags)  // DUP with QoS 0
        expect([0x30, 4, 0, 5, 0x74, 0x78], fails: .truncatedString)
        expect([0x30, 1, 0], fails: .truncatedString)
        expect([0x30, 2, 0, 0], fails: .badTopic)  // empty topic
        expect([0x30, 4, 0, 2, 0x61, 0x2B], fails: .badTopic)  // "+"
        expect([0x30, 4, 0, 2, 0x61, 0x23], fails: .badTopic)  // "#"
        expect([0x30, 4, 0, 2, 0x61, 0x00], fails: .badTopic)  // U+0000
        expect([0x32, 5, 0, 1, 0x74, 0, 0], fails: .zeroPacketID)
        expect([0x32, 4, 0, 1, 0x74, 0], fails: .badLength)  // packet id cut short
    }

    // MARK: - PUBACK, SUBSCRIBE/SUBACK, PINGREQ/PINGRESP, DISCONNECT (§3.4, §3.8–§3.14)

    func testPubackBothWays() throws {
        let frame = try write { buffer throws(MQTTError) in try MQTTWriter.puback(packetID: 0xBEEF, into: buffer) }
        XCTAssertEqual(frame, [0x40, 0x02, 0xBE, 0xEF])
        XCTAssertEqual(try decode(frame).packetID, 0xBEEF)
        expect([0x40, 0x02, 0x00, 0x00], fails: .zeroPacketID)
        expect([0x40, 0x03, 0x00, 0x01, 0x00], fails: .badLength)
        expect([0x42, 0x02, 0x00, 0x01], fails: .badFlags)
    }

    func testSubscribeLayoutAndSuback() throws {
        let frame = try write { buffer throws(MQTTError) in
            try MQTTWriter.subscribe(packetID: 10, filter: bytes("o/g/command/+"), qos: 1, into: buffer)
        }
        // Fixed header flags 0010 (§3.8.1), packet id, filter, requested QoS.
        XCTAssertEqual(frame, [0x82, 18, 0, 10, 0, 13] + Array("o/g/command/+".utf8) + [1])
        let suback = try decode([0x90, 3, 0, 10, 0x01])
        XCTAssertEqual(suback.type, .suback)
        XCTAssertEqual(suback.packetID, 10)
        XCTAssertEqual(suback.payloadCount, 1)
        XCTAssertEqual(try decode([0x90, 3, 0, 10, 0x80]).payloadCount, 1)  // failure code is valid
        expect([0x90, 3, 0, 10, 0x03], fails: .badSubackCode)
        expect([0x90, 2, 0, 10], fails: .badLength)
        expect([0x91, 3, 0, 10, 0x00], fails: .badFlags)
    }

    func testPingAndDisconnect() throws {
        XCTAssertEqual(try write { buffer throws(MQTTError) in try MQTTWriter.pingreq(into: buffer) }, [0xC0, 0x00])
        XCTAssertEqual(try write { buffer throws(MQTTError) in try MQTTWriter.disconnect(into: buffer) }, [0xE0, 0x00])
        XCTAssertEqual(try decode([0xD0, 0x00]).type, .pingresp)
        expect([0xD0, 0x01, 0x00], fails: .badLength)
        expect([0xD1, 0x00], fails: .badFlags)
    }

    func testReservedTypesAndFrameMismatch() {
        expect([0x00, 0x00], fails: .reservedPacketType)
        expect([0xF0, 0x00], fails: .reservedPacketType)
        expect([0xD0, 0x00, 0x00], fails: .badLength)  // more bytes than the frame says
    }
}
