import OutpostCore
import OutpostProfiles
import XCTest

/// Random and mutated datagrams never trap the server, and every answer is a well-formed message.
final class ServerFuzzTests: XCTestCase {
    static let datagramCount = 100_000

    func templates() -> [[UInt8]] {
        var list: [[UInt8]] = [
            Request.post(Request.temperature("s1", 21.5), mid: 1),
            Request.post("[{\"bn\":\"a/\",\"bt\":1.7e9,\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21},{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":40,\"t\":1}]", .nonConfirmable, mid: 2),
            Request.make(.confirmable, .post, mid: 3, path: "readings", options: [Request.uint(.contentFormat, 112)], payload: Request.cborPack([("c1", 20), ("c2", 30)])),
            Request.make(.confirmable, .post, mid: 4, path: "readings", options: [Request.uint(.contentFormat, 110), Request.uint(.block1, 0x0A)], payload: Array(repeating: 0x20, count: 64)),
            Request.make(.confirmable, .post, mid: 5, path: "readings", options: [Request.uint(.contentFormat, 110), Request.uint(.block1, 0x12)], payload: Array("[{\"bn\":\"x/\"}]".utf8)),
            Request.make(mid: 6, path: "alerts", options: [Request.uint(.observe, 0), Request.uint(.accept, 60)]),
            Request.make(mid: 7, path: "sensors", options: [Request.uint(.block2, 0x12)]),
            Request.make(mid: 8, path: "sensors/s1"),
            Request.make(mid: 9, path: "metrics"),
            Request.make(mid: 10, path: ".well-known/core"),
            Request.make(.nonConfirmable, .get, mid: 11, path: "health", options: [Request.uint(.accept, 60)]),
            [0x40, 0x00, 0x00, 0x01], [0x70, 0x00, 0x00, 0x02], [0x60, 0x00, 0x00, 0x03],
        ]
        list.append(Request.make(mid: 12, path: "alerts", options: [Request.uint(.observe, 1)]))
        return list
    }

    func run<P: Profile>(_ profile: P.Type, seed: UInt64) throws {
        let h = ServerHarness<P>()
        var random = ReadingSource(seed: seed)
        let bases = templates()
        var responses = 0
        for i in 0..<Self.datagramCount {
            var datagram: [UInt8]
            switch random.next() % 4 {
            case 0:  // pure noise, mostly short
                datagram = (0..<Int(random.next() % 40)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                if !datagram.isEmpty && random.next() % 2 == 0 { datagram[0] = 0x40 | (datagram[0] & 0x3F) }  // version 1
            default:  // a mutated valid request
                datagram = bases[Int(random.next() % UInt64(bases.count))]
                for _ in 0..<(1 + Int(random.next() % 4)) where !datagram.isEmpty {
                    let at = Int(random.next() % UInt64(datagram.count))
                    switch random.next() % 5 {
                    case 0: datagram[at] ^= UInt8(1) << (random.next() % 8)
                    case 1: datagram[at] = UInt8(truncatingIfNeeded: random.next())
                    case 2: datagram.removeSubrange(at...)
                    case 3: datagram.insert(UInt8(truncatingIfNeeded: random.next()), at: at)
                    default: if datagram.count > 3 { datagram[3] = UInt8(truncatingIfNeeded: random.next()) }  // new message ID
                    }
                }
            }
            let peer = ServerHarness<P>.peer(Int(random.next() % 64))
            if let reply = h.send(datagram, from: peer) {
                responses += 1
                XCTAssertLessThanOrEqual(reply.count, P.maxDatagramBytes)
                // Reply(_:) traps on a malformed message: every answer must parse.
                let parsed = Reply(reply)
                XCTAssertNotEqual(parsed.type, .confirmable, "answers are ACK, NON or RST")
            }
            if i % P.batchSize == 0 {
                h.sink.limit = Int(random.next() % 4)
                for (_, note) in h.tick(advanceMs: Int64(random.next() % 5_000)) { XCTAssertEqual(note.code, .content) }
            }
        }
        XCTAssertEqual(h.server.counters.datagrams, UInt64(Self.datagramCount))
        XCTAssertGreaterThan(responses, Self.datagramCount / 10)
        XCTAssertGreaterThan(h.server.counters.formatErrorsReset + h.server.counters.formatErrorsDropped, 1_000)
        XCTAssertGreaterThan(h.server.counters.requests, 1_000)
        print("fuzz \(P.name): \(responses) responses, \(h.server.counters.requests) requests, \(h.server.pipeline.counters.readingsAccepted) readings")
    }

    func testRandomAndMutatedDatagramsTestProfile() throws { try run(ProfileTest.self, seed: 1) }
    func testRandomAndMutatedDatagramsLowProfile() throws { try run(ProfileLow.self, seed: 2) }
}
