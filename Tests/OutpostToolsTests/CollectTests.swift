import Foundation
import OutpostCore
import XCTest

@testable import OutpostTools

/// A sink that hands datagrams to a real UDP socket (test side of the uplink).
struct SocketSink: DatagramSink {
    let socket: UDPSocket
    let target: UDPAddress
    var hasRoom: Bool { true }
    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) { socket.send(bytes, to: target) }
}

/// The collector against the core uplink in-process, over real UDP on 127.0.0.1.
final class CollectTests: XCTestCase {
    /// A running collector on a background thread.
    final class Running: @unchecked Sendable {
        let server: CollectServer
        var thread: Thread? = nil
        let done = DispatchSemaphore(value: 0)
        let lock = NSLock()
        var stopFlag = false

        init(outPath: String, outage: Range<Int64>? = nil) throws {
            let socket = try UDPSocket(bindingTo: UDPAddress(127, 0, 0, 1, port: 0))
            server = CollectServer(socket: socket, out: try TextSink.file(outPath), outage: outage, startMs: CollectServer.nowMs())
            let thread = Thread { [self] in
                try? self.server.run(progress: nil) { self.lock.withLock { self.stopFlag } }
                self.done.signal()
            }
            self.thread = thread
            thread.start()
        }

        var address: UDPAddress { server.socket.local }

        func finish() {
            lock.withLock { stopFlag = true }
            done.wait()
        }
    }

    /// Runs an uplink over `records` until its cursor reaches the last one; returns it.
    func forward(
        _ records: [LogRecord], to collector: UDPAddress, cursor: UInt64 = 0, limitMs: Int64 = 20_000, logID: UInt64 = 0,
        configure: (inout UplinkSettings) -> Void = { _ in }
    ) throws -> Uplink {
        let socket = try UDPSocket(bindingTo: UDPAddress(127, 0, 0, 1, port: 0))
        var settings = UplinkSettings(upstream: collector.endpoint, path: UplinkPath("uplink"), nodeId: SensorName("node-7"))
        settings.ackTimeoutMs = 100
        settings.backoffBaseMs = 50
        settings.backoffCapMs = 200
        configure(&settings)
        let bytes = Uplink.arenaBytes(after: 0, settings: settings)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: bytes)
        var uplink = Uplink(arena: &arena, settings: settings, cursor: cursor, nowMs: CollectServer.nowMs())
        let ring = UnsafeMutableBufferPointer<LogRecord>.allocate(capacity: max(records.count, 1))
        defer { ring.deallocate() }
        var source = UplinkMemorySource(records: ring)
        source.uplinkLogID = logID
        for record in records { source.append(record) }
        var sink = SocketSink(socket: socket, target: collector)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 16)
        defer { buffer.deallocate() }
        let start = CollectServer.nowMs()
        while uplink.cursor < source.uplinkLastSequence && CollectServer.nowMs() - start < limitMs {
            uplink.tick(nowMs: CollectServer.nowMs(), source: &source, sink: &sink)
            while let (size, _) = socket.receive(into: buffer, timeoutMs: 5) {
                uplink.receive(UnsafeRawBufferPointer(rebasing: buffer[0..<size]), from: collector.endpoint, nowMs: CollectServer.nowMs(), source: &source, sink: &sink)
            }
        }
        return uplink
    }

    func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }

    func sampleRecords(_ count: Int) -> [LogRecord] {
        (0..<count).map { i in
            var record: LogRecord
            if i % 10 == 9 {
                record = LogRecord()
                let event = AlertEvent(raised: true, kind: .threshold, severity: .major, sensorSlot: 0, feature: .temperature,
                                       value: 45_250, threshold: 40_000, confidenceQ16: 0, timestampMs: 1_767_225_600_000 + Int64(i) * 1_000)
                let body = LogAlertPayload(name: SensorName("sensor-003"), alert: event)
                record.type = .alert
                record.timestampMs = event.timestampMs
                var payload = record.payload
                record.payloadCount = withUnsafeMutableBytes(of: &payload) { body.encode(into: $0) }
                record.payload = payload
            } else {
                var vector = FeatureVector()
                vector[.temperature] = 21_000 + Int32(i)
                vector[.pressure] = 1_013_250
                let reading = ProcessedReading(sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0,
                                               timestampMs: 1_767_225_600_000 + Int64(i) * 1_000 + 250, features: vector, batteryMilliPercent: 80_000)
                let body = LogReadingPayload(name: SensorName("sensor-001"), reading: reading)
                record = LogRecord()
                record.type = .reading
                record.timestampMs = reading.timestampMs
                var payload = record.payload
                record.payloadCount = withUnsafeMutableBytes(of: &payload) { body.encode(into: $0) }
                record.payload = payload
            }
            return record
        }
    }

    func testUplinkBatchesArriveAsJSONLinesOncePerRecord() throws {
        let directory = TemporaryDirectory()
        let out = directory.file("collected.jsonl")
        let collector = try Running(outPath: out)
        let uplink = try forward(sampleRecords(200), to: collector.address) { $0.maxRecordsPerBatch = 40 }
        collector.finish()
        XCTAssertEqual(uplink.cursor, 200)
        let objects = try lines(out)
        XCTAssertEqual(objects.count, 200)
        XCTAssertEqual(Set(objects.map { $0["seq"] as! Int }), Set(1...200))
        XCTAssertTrue(objects.allSatisfy { $0["node"] as? String == "node-7" })
        // Alerts went first.
        XCTAssertEqual(objects.prefix(20).map { $0["type"] as! String }, Array(repeating: "alert", count: 20))
        let reading = try XCTUnwrap(objects.first { $0["seq"] as? Int == 1 })
        XCTAssertEqual(reading["type"] as? String, "reading")
        XCTAssertEqual(reading["sensor"] as? String, "sensor-001")
        XCTAssertEqual(reading["time"] as? Double, 1_767_225_600.25)
        let values = try XCTUnwrap(reading["values"] as? [String: Double])
        XCTAssertEqual(values, ["temperature": 21, "pressure": 101_325, "battery": 80])
        let alert = try XCTUnwrap(objects.first { $0["seq"] as? Int == 10 })
        XCTAssertEqual(alert["type"] as? String, "alert")
        XCTAssertEqual(alert["sensor"] as? String, "sensor-003")
        XCTAssertEqual(alert["kind"] as? String, "threshold")
        XCTAssertEqual(alert["state"] as? String, "raised")
        XCTAssertEqual(alert["severity"] as? String, "major")
        XCTAssertEqual(alert["value"] as? Double, 45.25)
        XCTAssertEqual(alert["threshold"] as? Double, 40)
        XCTAssertEqual(collector.server.counts.records, 200)
        XCTAssertEqual(collector.server.counts.duplicates, 0)
        XCTAssertGreaterThan(uplink.counters.datagramsSent, uplink.counters.batchesSent, "batches of 40 readings need Block1")
    }

    func testReplayAfterARestartIsDeduplicated() throws {
        let directory = TemporaryDirectory()
        let out = directory.file("collected.jsonl")
        let collector = try Running(outPath: out)
        let records = sampleRecords(50)
        _ = try forward(records, to: collector.address)
        // A node that lost its cursor sends everything again.
        _ = try forward(records, to: collector.address)
        collector.finish()
        XCTAssertEqual(try lines(out).count, 50)
        XCTAssertEqual(collector.server.counts.duplicates, 50)
        XCTAssertEqual(collector.server.counts.records, 50)
    }

    /// A log that was replaced restarts at sequence 1 under a new log id: its records are new,
    /// while a replay of either log is still dropped. Each line names its log id.
    func testAReplacedLogIsNotTakenForRepeats() throws {
        let directory = TemporaryDirectory()
        let out = directory.file("collected.jsonl")
        let collector = try Running(outPath: out)
        let records = sampleRecords(30)
        _ = try forward(records, to: collector.address, logID: 0x1111_2222_3333_4444)
        _ = try forward(records, to: collector.address, logID: 0xF000_0000_0000_0005)
        _ = try forward(records, to: collector.address, logID: 0x1111_2222_3333_4444)
        collector.finish()
        let objects = try lines(out)
        XCTAssertEqual(objects.count, 60)
        XCTAssertEqual(collector.server.counts.duplicates, 30)
        let ids = objects.map { ($0["log_id"] as! NSNumber).uint64Value }
        XCTAssertEqual(ids.filter { $0 == 0x1111_2222_3333_4444 }.count, 30)
        XCTAssertEqual(ids.filter { $0 == 0xF000_0000_0000_0005 }.count, 30)
        for id in Set(ids) {
            XCTAssertEqual(Set(objects.filter { ($0["log_id"] as! NSNumber).uint64Value == id }.map { $0["seq"] as! Int }), Set(1...30))
        }
        // Without a log id (an older node), the line says 0.
        let out2 = directory.file("old.jsonl")
        let collector2 = try Running(outPath: out2)
        _ = try forward(sampleRecords(3), to: collector2.address)
        collector2.finish()
        XCTAssertEqual(try lines(out2).map { $0["log_id"] as? Int }, [0, 0, 0])
    }

    func testACopyWhoseOriginalArrivedIsDroppedAsADuplicate() throws {
        let directory = TemporaryDirectory()
        let out = directory.file("collected.jsonl")
        let collector = try Running(outPath: out)
        // Sequences 1...20; 10 and 20 are alerts. The original alert 10 reaches the collector.
        let records = sampleRecords(20)
        _ = try forward(records, to: collector.address)
        // Later the node forwards copies (new log sequences, as after a drop-oldest): one of
        // alert 10, which the collector has, and one of an alert it never saw (original 77).
        var copyOfKnown = records[9]
        copyOfKnown.flags = LogFormat.flagCopied
        copyOfKnown.copiedFromSequence = 10
        var copyOfUnknown = records[19]
        copyOfUnknown.flags = LogFormat.flagCopied
        copyOfUnknown.copiedFromSequence = 77
        copyOfUnknown.timestampMs += 500
        _ = try forward([copyOfKnown, copyOfUnknown], to: collector.address)
        collector.finish()
        let objects = try lines(out)
        XCTAssertEqual(objects.count, 21)
        XCTAssertEqual(collector.server.counts.duplicates, 1)
        XCTAssertEqual(objects.filter { $0["seq"] as? Int == 10 }.count, 1, "alert 10 once")
        let unknown = try XCTUnwrap(objects.first { $0["seq"] as? Int == 77 })
        XCTAssertEqual(unknown["type"] as? String, "alert")
        XCTAssertEqual(unknown["time"] as? Double, Double(records[19].timestampMs + 500) / 1_000)
        // The copies' own sequences (1 and 2 in the second run) never reach the file as alerts.
        XCTAssertEqual(objects.filter { $0["type"] as? String == "alert" }.compactMap { $0["seq"] as? Int }.sorted(), [10, 20, 77])
    }

    func testAnOriginalAndItsCopyInOneBatchMakeOneLine() throws {
        // A cut between a drop's copies and its erase leaves both in the log; both are sent,
        // in the same alert batch, under the same `seq`.
        let directory = TemporaryDirectory()
        let out = directory.file("collected.jsonl")
        let collector = try Running(outPath: out)
        let original = sampleRecords(10)[9]
        var copy = original
        copy.flags = LogFormat.flagCopied
        copy.copiedFromSequence = 1
        let uplink = try forward([original, copy], to: collector.address)
        collector.finish()
        XCTAssertEqual(uplink.cursor, 2)
        let objects = try lines(out)
        XCTAssertEqual(objects.count, 1)
        XCTAssertEqual(objects.first?["seq"] as? Int, 1)
        XCTAssertEqual(objects.first?["type"] as? String, "alert")
        XCTAssertEqual(collector.server.counts.records, 1)
    }

    func testOutageDropsDatagramsAndTheBacklogArrivesAfterIt() throws {
        let directory = TemporaryDirectory()
        let out = directory.file("collected.jsonl")
        let collector = try Running(outPath: out, outage: 0..<800)
        let uplink = try forward(sampleRecords(30), to: collector.address)
        collector.finish()
        XCTAssertEqual(uplink.cursor, 30)
        XCTAssertEqual(try lines(out).count, 30)
        XCTAssertGreaterThan(collector.server.counts.dropped, 0)
        XCTAssertGreaterThan(uplink.counters.retransmissions, 0)
    }

    func testBadRequestsAreRefusedWithTheRightCode() throws {
        let directory = TemporaryDirectory()
        let socket = try UDPSocket(bindingTo: UDPAddress(127, 0, 0, 1, port: 0))
        let server = CollectServer(socket: socket, out: try TextSink.file(directory.file("x.jsonl")), outage: nil, startMs: 0)
        let peer = UDPAddress(127, 0, 0, 1, port: 40_000)
        func send(_ code: CoAPCode, format: UInt32?, mid: UInt16, block: CoAPBlock? = nil, payload: [UInt8]) throws -> CoAPCode? {
            var options: [(CoAPOptionNumber, UInt32)] = []
            if let format { options.append((.contentFormat, format)) }
            if let block { options.append((.block1, block.value)) }
            var bytes = [UInt8](repeating: 0, count: 256 + payload.count)
            let count = bytes.withUnsafeMutableBytes { raw -> Int in
                var writer = try! CoAPMessageWriter(buffer: raw, type: .confirmable, code: code, messageID: mid, token: CoAPToken(value: 5, count: 1))
                for (number, value) in options { try! writer.appendOption(number, uint: value) }
                payload.withUnsafeBytes { try! writer.appendPayload($0) }
                return writer.count
            }
            let answer = try server.handle(Array(bytes[0..<count]), from: peer, nowMs: 1)
            return answer.map { a in a.withUnsafeBytes { try! CoAPMessage(parsing: $0).code } }
        }
        XCTAssertEqual(try send(.get, format: nil, mid: 1, payload: []), .methodNotAllowed)
        XCTAssertEqual(try send(.post, format: 110, mid: 2, payload: Array("[]".utf8)), .unsupportedContentFormat)
        XCTAssertEqual(try send(.post, format: 112, mid: 3, payload: [0x9F, 0xA1]), .badRequest)
        XCTAssertEqual(try send(.post, format: 112, mid: 4, payload: [0x9F, 0xBF, 0x61, 0x78, 0x5F, 0x01, 0xFF, 0xFF]), .badRequest, "no name, no seq")
        XCTAssertEqual(try send(.post, format: 112, mid: 5, block: CoAPBlock(number: 2, more: true, sizeExponent: 0), payload: Array(repeating: 0, count: 16)), .requestEntityIncomplete)
        XCTAssertEqual(try send(.post, format: 112, mid: 6, payload: [0x9F, 0xFF]), .changed, "an empty pack is fine")
        // The same message ID again: the cached answer, processed once.
        XCTAssertEqual(try send(.post, format: 112, mid: 6, payload: [0x9F, 0xFF]), .changed)
        XCTAssertEqual(server.counts.retransmissions, 1)
        XCTAssertEqual(server.counts.batches, 1)
        XCTAssertEqual(server.counts.refused, 5)
        XCTAssertNil(try server.handle([0x50, 0x02], from: peer, nowMs: 1), "a truncated NON is dropped")
    }

    func testCommandLineErrors() {
        let directory = TemporaryDirectory()
        for arguments in [["collect"], ["collect", "--listen", "127.0.0.1:0"], ["collect", "--listen", "nowhere", "--out", directory.file("a")],
                          ["collect", "--listen", "127.0.0.1:0", "--out", directory.file("a"), "--outage", "5-2"]] {
            let stderr = TextSink.memory()
            XCTAssertEqual(OutpostTool.run(arguments: arguments, stdout: .memory(), stderr: stderr), 2, "\(arguments)")
            XCTAssertTrue(stderr.capturedText.hasPrefix("outpost-tool: collect"), stderr.capturedText)
        }
        XCTAssertEqual(try CollectCommand.parseOutage("1.5-3"), 1_500..<3_000)
    }

    func testCommandRunsForItsDurationAndSummarises() {
        let directory = TemporaryDirectory()
        let stderr = TextSink.memory()
        let code = OutpostTool.run(arguments: ["collect", "--listen", "127.0.0.1:0", "--out", directory.file("c.jsonl"), "--duration", "0.3"], stdout: .memory(), stderr: stderr)
        XCTAssertEqual(code, 0)
        XCTAssertTrue(stderr.capturedText.contains("collect: done: batches 0, records 0"), stderr.capturedText)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.file("c.jsonl")))
    }
}
