import Foundation
import OutpostCore
import XCTest

/// Image chunks (log record type 9) on the way upstream: the log payload round trip, the SenML
/// record (`vd` a CBOR byte string), and its SenML-JSON (base64url, RFC 8428 §5) and Influx forms.
final class SenMLEncoderImageTests: XCTestCase {
    static func chunk(_ bytes: [UInt8], camera: StaticString = "cam1", transfer: UInt32 = 7, index: UInt32 = 3, offset: UInt32 = 552,
                      flags: UInt8 = 0, sequence: UInt64 = 11) -> LogRecord {
        var record = LogRecord()
        record.type = .imageChunk
        record.sequence = sequence
        record.timestampMs = TestRecords.startMs + 250
        TestRecords.payload(&record) { out in
            bytes.withUnsafeBytes {
                LogImageChunkPayload.encode(camera: SensorName(camera), transferID: transfer, chunkIndex: index, offsetBytes: offset,
                                            contentFormat: 22, flags: flags, bytes: $0, into: out)
            }
        }
        return record
    }

    func encode(_ records: [LogRecord]) -> [UInt8] {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 16_384, alignment: 8)
        defer { buffer.deallocate() }
        var encoder = SenMLEncoder(buffer: buffer, nodeId: SensorName("gw1"))
        for record in records { XCTAssertEqual(encoder.append(record), .appended) }
        return Array(encoder.finish())
    }

    func testPayloadRoundTripsAndMalformedPayloadsAreRefused() throws {
        let bytes = (0..<LogImageChunkPayload.maxChunkBytes).map { UInt8(truncatingIfNeeded: $0 * 7) }
        XCTAssertEqual(LogImageChunkPayload.maxChunkBytes, 184)
        let record = SenMLEncoderImageTests.chunk(bytes, camera: "a-camera-with-a-32-byte-long-nam", flags: LogImageChunkPayload.flagLast)
        let chunk = try XCTUnwrap(record.imageChunk)
        XCTAssertEqual(record.payloadCount, LogFormat.maxPayloadBytes, "the longest name and a full chunk fill a record")
        XCTAssertEqual(chunk.camera, SensorName("a-camera-with-a-32-byte-long-nam"))
        XCTAssertEqual(chunk.transferID, 7)
        XCTAssertEqual(chunk.chunkIndex, 3)
        XCTAssertEqual(chunk.offsetBytes, 552)
        XCTAssertEqual(chunk.contentFormat, 22)
        XCTAssertTrue(chunk.isLast)
        XCTAssertFalse(chunk.isAborted)
        XCTAssertEqual(record.withPayload { Array($0[chunk.bytesOffset..<(chunk.bytesOffset + chunk.bytesCount)]) }, bytes)
        // Transfer id 0, unknown flags, an abort with bytes, a short payload: refused.
        XCTAssertNil(SenMLEncoderImageTests.chunk([1], transfer: 0).imageChunk)
        XCTAssertNil(SenMLEncoderImageTests.chunk([1], flags: 4).imageChunk)
        XCTAssertNil(SenMLEncoderImageTests.chunk([1], flags: LogImageChunkPayload.flagAborted).imageChunk)
        var short = SenMLEncoderImageTests.chunk([])
        short.payloadCount = 10
        XCTAssertNil(short.imageChunk)
        // Another type is not a chunk.
        var other = SenMLEncoderImageTests.chunk([1])
        other.type = .command
        XCTAssertNil(other.imageChunk)
    }

    func testChunkIsOneRecordWithAByteStringDataValue() throws {
        let bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0x00, 0x3E, 0x3F]
        let records = try UplinkPackRecord.decodePack(encode([
            SenMLEncoderImageTests.chunk(bytes, flags: LogImageChunkPayload.flagLast),
            SenMLEncoderImageTests.chunk([], index: 4, offset: 558, flags: LogImageChunkPayload.flagAborted, sequence: 12),
        ]))
        XCTAssertEqual(records.count, 2)
        XCTAssertEqual(records[0].name, "cam1/image")
        XCTAssertEqual(records[0].fields["vd"], .bytes(bytes))
        XCTAssertNil(records[0].fields["v"], "one value field")
        XCTAssertEqual(records[0].fields["off"], .int(552))
        XCTAssertEqual(records[0].fields["cf"], .int(22))
        XCTAssertEqual(records[0].fields["xfer"], .int(7))
        XCTAssertEqual(records[0].fields["chunk"], .int(3))
        XCTAssertEqual(records[0].fields["last"], .bool(true))
        XCTAssertEqual(records[0].sequence, 11)
        XCTAssertEqual(records[1].name, "cam1/image/aborted")
        XCTAssertEqual(records[1].value, 558)
        XCTAssertNil(records[1].fields["vd"])
        XCTAssertEqual(records[1].fields["xfer"], .int(7))
    }

    func testJSONCarriesTheBytesAsBase64URLWithoutPaddingAndInfluxAsAString() throws {
        // 0xFB 0xFF 0xBF gives "-_-_" in base64url ("+/+/" in plain base64); the 2-byte tail
        // "AAE" has no padding.
        let pack = encode([SenMLEncoderImageTests.chunk([0xFB, 0xFF, 0xBF, 0xFB, 0xFF, 0xBF, 0x00, 0x01])])
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 4096, alignment: 8)
        defer { out.deallocate() }
        let json = try pack.withUnsafeBytes { raw throws -> String in
            let count = try MQTTPayloadWriter.json(raw, into: out)
            return String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<count]), as: UTF8.self)
        }
        XCTAssertTrue(json.contains("\"vd\":\"-_-_-_-_AAE\""), json)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        XCTAssertEqual(parsed.first?["n"] as? String, "cam1/image")
        let influx = try pack.withUnsafeBytes { raw throws -> String in
            let count = try MQTTPayloadWriter.influx(raw, node: SensorName("gw1"), logID: 5, into: out)
            return String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<count]), as: UTF8.self)
        }
        XCTAssertTrue(influx.hasPrefix("outpost,node=gw1,lid=5,name=cam1/image vd=\"-_-_-_-_AAE\",off=552,cf=22,xfer=7,chunk=3,seq=11i "), influx)
    }

    func testEveryLengthEncodesLikeFoundationsBase64URL() throws {
        let out = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 8)
        defer { out.deallocate() }
        for length in 0...40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 201) }
            let pack = encode([SenMLEncoderImageTests.chunk(bytes)])
            let json = try pack.withUnsafeBytes { raw throws -> String in
                let count = try MQTTPayloadWriter.json(raw, into: out)
                return String(decoding: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<count]), as: UTF8.self)
            }
            let expected = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            XCTAssertTrue(json.contains("\"vd\":\"\(expected)\""), "length \(length): \(json)")
        }
    }
}
