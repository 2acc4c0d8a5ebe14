import Foundation
import OutpostCore
import XCTest

@testable import OutpostTools

/// The simulator against a small in-process CoAP responder on loopback (and on a pty pair).
final class SimulateTests: XCTestCase {
    /// Answers every CON POST with a piggybacked 2.04 and decodes the SenML payloads.
    final class Responder: @unchecked Sendable {
        let socket: UDPSocket
        let lock = NSLock()
        var stopFlag = false
        var peers: Set<UInt16> = []
        var readings: [(String, Int64, Int32?)] = []
        var requests = 0
        var formats: Set<UInt16> = []
        /// No-Response values seen (RFC 7967).
        var noResponseMasks: [UInt8] = []
        /// Message IDs to ignore once (to force a retransmission), by peer port.
        var dropFirstFromPort: UInt16? = nil
        var dropped: Set<UInt32> = []
        let done = DispatchSemaphore(value: 0)

        init() throws {
            socket = try UDPSocket(bindingTo: UDPAddress(127, 0, 0, 1, port: 0))
            let thread = Thread { [self] in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 4_096, alignment: 16)
                let decoded = UnsafeMutableBufferPointer<Reading>.allocate(capacity: 16)
                while !self.lock.withLock({ self.stopFlag }) {
                    guard let (size, peer) = self.socket.receive(into: buffer, timeoutMs: 20) else { continue }
                    let answer: [UInt8]? = self.lock.withLock {
                        self.serve(UnsafeRawBufferPointer(rebasing: buffer[0..<size]), peer: peer, decoded: decoded)
                    }
                    if let answer { self.socket.send(answer, to: peer) }
                }
                buffer.deallocate()
                decoded.deallocate()
                self.done.signal()
            }
            thread.start()
        }

        func serve(_ bytes: UnsafeRawBufferPointer, peer: UDPAddress, decoded: UnsafeMutableBufferPointer<Reading>) -> [UInt8]? {
            guard let message = try? CoAPMessage(parsing: bytes), message.code == .post, message.uriPathMatches("readings") else { return nil }
            if message.type == .confirmable, peer.port == dropFirstFromPort, dropped.insert(UInt32(peer.port) << 16 | UInt32(message.messageID)).inserted {
                return nil
            }
            requests += 1
            peers.insert(peer.port)
            if let format = message.contentFormat {
                formats.insert(format)
                if let result = try? SenMLDecoder.decode(message.payload, contentFormat: format, nowMs: 0, into: decoded) {
                    for i in 0..<result.readingCount {
                        let sensor = String(decoding: (0..<Int(decoded[i].sensor.count)).map { decoded[i].sensor[$0] }, as: UTF8.self)
                        readings.append((sensor, decoded[i].timestampMs, decoded[i].features[.temperature]))
                    }
                }
            }
            if message.firstOption(.noResponse) != nil { noResponseMasks.append(message.noResponseMask) }
            if message.type != .confirmable { return nil }
            if message.noResponseMask & 2 != 0 { return [0x60, 0x00, UInt8(message.messageID >> 8), UInt8(message.messageID & 0xFF)] }
            return CollectServer.message(.acknowledgement, .changed, messageID: message.messageID, token: message.token, block1: nil, payload: [])
        }

        func finish() {
            lock.withLock { stopFlag = true }
            done.wait()
        }
    }

    func simulate(_ arguments: [String]) -> (Int32, String, String) {
        let stdout = TextSink.memory()
        let stderr = TextSink.memory()
        let code = OutpostTool.run(arguments: ["simulate"] + arguments, stdout: stdout, stderr: stderr)
        return (code, stdout.capturedText, stderr.capturedText)
    }

    func testConfirmableReadingsFromOwnEndpointsAreAcknowledgedAndLabelled() throws {
        let responder = try Responder()
        let directory = TemporaryDirectory()
        let labels = directory.file("labels.csv")
        let (code, out, err) = simulate([
            "--target", "udp://\(responder.socket.local)", "--sensors", "3", "--rate", "10", "--duration", "0.5", "--labels", labels, "--seed", "4",
        ])
        responder.finish()
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.contains("sent 15, acknowledged 15, retransmitted 0, timed out 0, rejected 0"), out)
        XCTAssertEqual(responder.peers.count, 3, "each sensor from its own source port")
        XCTAssertEqual(responder.formats, [110])
        XCTAssertEqual(Set(responder.readings.map(\.0)), ["sensor-001", "sensor-002", "sensor-003"])
        // The labels are exactly what was sent: same sensors, times and temperatures.
        let rows = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        XCTAssertEqual(rows.first?.map(String.init), SensorGenerator.columns)
        XCTAssertEqual(rows.count, 16)
        let sent = Set(responder.readings.map { "\($0.0),\($0.1),\($0.2!)" })
        let labelled = Set(rows.dropFirst().map { row in
            "\(row[0]),\(row[1]),\(Int32((Double(row[2])! * 1000).rounded()))"
        })
        XCTAssertEqual(sent, labelled)
    }

    func testNonConfirmableCBORIsSentOnceWithoutWaiting() throws {
        let responder = try Responder()
        let (code, out, err) = simulate([
            "--target", "udp://\(responder.socket.local)", "--sensors", "2", "--rate", "20", "--duration", "0.25", "--non", "--format", "senml-cbor",
        ])
        Thread.sleep(forTimeInterval: 0.1)
        responder.finish()
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.contains("sent 10, acknowledged 0"), out)
        XCTAssertEqual(responder.requests, 10)
        XCTAssertEqual(responder.formats, [112])
        XCTAssertEqual(responder.readings.count, 10, "every CBOR pack decoded by the core")
    }

    func testNoResponseIsSentAndAnEmptyAckCountsAsAcknowledged() throws {
        let responder = try Responder()
        let (code, out, err) = simulate([
            "--target", "udp://\(responder.socket.local)", "--sensors", "2", "--rate", "20", "--duration", "0.25", "--no-response",
        ])
        responder.finish()
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.contains("sent 10, acknowledged 10, retransmitted 0, timed out 0, rejected 0"), out)
        XCTAssertEqual(responder.noResponseMasks, Array(repeating: 2, count: 10))
    }

    func testLostRequestsAreRetransmitted() throws {
        let responder = try Responder()
        // Drop the first transmission of every request from every port: bind order is unknown, so
        // drop from the responder's view of whichever port comes first.
        let run = try SimulateRun(options: {
            var options = SimulateRun.Options(target: .udp(responder.socket.local))
            options.generator.sensors = 1
            options.generator.ratePerS = 10
            options.generator.durationS = 0.2
            return options
        }())
        responder.lock.withLock { responder.dropFirstFromPort = run.link.sockets[0].local.port }
        try run.run(progress: .memory())
        responder.finish()
        XCTAssertEqual(run.counts.sent, 2)
        XCTAssertEqual(run.counts.retransmitted, 2)
        XCTAssertEqual(run.counts.acknowledged, 2)
        XCTAssertEqual(responder.requests, 2, "each reading processed once")
        let p50 = try XCTUnwrap(run.latencyUs(quantile: 0.5))
        XCTAssertGreaterThanOrEqual(p50, 2_000_000, "acknowledged only after the first retransmission (≥ ACK_TIMEOUT)")
    }

    func testSerialTargetSendsSLIPFramesAndMatchesAnswers() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/socat") else { throw XCTSkip("socat is not installed") }
        let directory = TemporaryDirectory()
        let a = directory.file("ttyA")
        let b = directory.file("ttyB")
        let socat = Process()
        socat.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        socat.arguments = ["pty,raw,echo=0,link=\(a)", "pty,raw,echo=0,link=\(b)"]
        try socat.run()
        defer { socat.terminate(); socat.waitUntilExit() }
        for _ in 0..<100 where !FileManager.default.fileExists(atPath: b) { Thread.sleep(forTimeInterval: 0.02) }
        let fd = open(b, O_RDWR | O_NOCTTY | O_NONBLOCK)
        XCTAssertGreaterThanOrEqual(fd, 0)
        defer { close(fd) }
        // The board end: decode SLIP frames, answer each CON with a SLIP-framed 2.04.
        final class Board: @unchecked Sendable {
            var frames = 0
            var stop = false
            let lock = NSLock()
        }
        let board = Board()
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let frameBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2_048, alignment: 8)
            var decoder = SLIPDecoder(frameBuffer: frameBuffer)
            var byte: UInt8 = 0
            while !board.lock.withLock({ board.stop }) {
                if read(fd, &byte, 1) != 1 { usleep(1_000); continue }
                guard decoder.push(byte), let message = try? CoAPMessage(parsing: decoder.frame), message.type == .confirmable else { continue }
                board.lock.withLock { board.frames += 1 }
                let answer = CollectServer.message(.acknowledgement, .changed, messageID: message.messageID, token: message.token, block1: nil, payload: [])
                var frame = [UInt8](repeating: 0, count: 2 * answer.count + 2)
                let count = answer.withUnsafeBytes { p in frame.withUnsafeMutableBytes { try! SLIPEncoder.encode(p, into: $0) } }
                _ = frame.withUnsafeBytes { write(fd, $0.baseAddress, count) }
            }
            frameBuffer.deallocate()
            done.signal()
        }
        thread.start()
        let (code, out, err) = simulate(["--target", "serial://\(a)@115200", "--sensors", "2", "--rate", "10", "--duration", "0.3"])
        board.lock.withLock { board.stop = true }
        done.wait()
        XCTAssertEqual(code, 0, err)
        XCTAssertTrue(out.contains("sent 6, acknowledged 6"), out)
        XCTAssertEqual(board.frames, 6)
    }

    func testBadArgumentsAreRefused() {
        for arguments in [[], ["--target", "tcp://x:1"], ["--target", "udp://127.0.0.1"], ["--target", "serial:///dev/null@300"],
                          ["--target", "udp://127.0.0.1:5683", "--format", "xml"], ["--target", "udp://127.0.0.1:5683", "--non", "--confirmable"],
                          ["--target", "udp://127.0.0.1:5683", "--sensors", "0"]] {
            let (code, _, err) = simulate(arguments)
            XCTAssertEqual(code, 2, "\(arguments): \(err)")
            XCTAssertTrue(err.hasPrefix("outpost-tool: simulate"), err)
        }
    }
}
