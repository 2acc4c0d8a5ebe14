import OutpostCore
import OutpostProfiles
import XCTest

/// Exactly once at the rated load: retransmissions within EXCHANGE_LIFETIME are answered and never
/// taken twice, however many requests arrived in between (in-memory, fake clock).
final class ServerDuplicateLoadTests: XCTestCase {
    /// 20 sensors, each with its own port and message ID counter, posting one reading per request.
    struct Fleet {
        var mids = [UInt16](repeating: 0, count: 20)
        var sent = 0

        mutating func next(_ sensor: Int, timestampS: Int64) -> (peer: Endpoint, request: [UInt8]) {
            mids[sensor] &+= 1
            sent += 1
            let pack = "[{\"bn\":\"load\(sensor)/\",\"bt\":\(timestampS),\"n\":\"temperature\",\"u\":\"Cel\",\"v\":\(20 + sensor % 5)}]"
            return (ServerHarness<ProfileHigh>.peer(sensor), Request.post(pack, mid: mids[sensor], token: [UInt8(sensor), UInt8(truncatingIfNeeded: mids[sensor])]))
        }
    }

    func testRetransmissionsAfterTwoAndAHalfAndTwoHundredSecondsAtOneHundredRequestsPerSecond() throws {
        XCTAssertGreaterThanOrEqual(ProfileHigh.ratedRequestsPerSecond, 100)
        let h = ServerHarness<ProfileHigh>()
        var fleet = Fleet()
        // Originals by step (0.1 s): 10 per step = 100 requests/s for 250 s; every 10th is retransmitted
        // 2.5 s and 200 s later with the same message ID, and must get the same bytes.
        var pending: [Int: [(Endpoint, [UInt8], [UInt8])]] = [:]
        var retransmitted = 0
        for step in 0..<2_500 {
            for k in 0..<10 {
                let sensor = (step * 10 + k) % 20
                let (peer, request) = fleet.next(sensor, timestampS: h.nowMs / 1_000)
                let answer = try XCTUnwrap(h.send(request, from: peer))
                XCTAssertEqual(Reply(answer).code, .changed)
                if k == 0 {
                    pending[step + 25, default: []].append((peer, request, answer))
                    pending[step + 2_000, default: []].append((peer, request, answer))
                }
            }
            for (peer, request, answer) in pending.removeValue(forKey: step) ?? [] {
                XCTAssertEqual(h.send(request, from: peer), answer, "retransmission at step \(step)")
                retransmitted += 1
            }
            h.tick(advanceMs: 100)
        }
        XCTAssertEqual(retransmitted, 2_475 + 500)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, UInt64(fleet.sent), "every reading taken exactly once")
        XCTAssertEqual(h.server.counters.duplicatesAnswered, UInt64(retransmitted))
        XCTAssertEqual(h.server.ledger.evictedEarly, 0, "the rated load never outruns the ledger")
        XCTAssertGreaterThan(h.server.counters.duplicatesRecalled, 0, "old answers came from the ledger")
    }

    func testBurstAfterAThirtySecondStallIsTakenOnce() throws {
        // The daemon's default profile; 20 sensors × 5 readings/s with RFC 7252 retransmissions.
        let h = ServerHarness<ProfileMedium>()
        var fleet = Fleet()
        var answers: [String: [UInt8]] = [:]
        func key(_ peer: Endpoint, _ request: [UInt8]) -> String { "\(peer.port)/\(request[2])/\(request[3])" }
        // 10 s of normal traffic.
        for step in 0..<100 {
            for k in 0..<10 {
                let (peer, request) = fleet.next((step * 10 + k) % 20, timestampS: h.nowMs / 1_000)
                answers[key(peer, request)] = try XCTUnwrap(h.send(request, from: peer))
            }
            h.tick(advanceMs: 100)
        }
        // 30 s stall: the server is not called. Every request sent meanwhile is queued, and each
        // unanswered one again after 2, 6, 14 and 30 s (ACK_TIMEOUT 2 s, doubling).
        let stallStartMs = h.nowMs
        var queue: [(atMs: Int64, peer: Endpoint, request: [UInt8])] = []
        for step in 0..<300 {
            let atMs = stallStartMs + Int64(step) * 100
            for k in 0..<10 {
                let (peer, request) = fleet.next((step * 10 + k) % 20, timestampS: atMs / 1_000)
                for delay: Int64 in [0, 2_000, 6_000, 14_000, 30_000] where atMs + delay <= stallStartMs + 30_000 {
                    queue.append((atMs + delay, peer, request))
                }
            }
        }
        queue.sort { $0.atMs < $1.atMs }
        let stalledOriginals = 3_000
        XCTAssertGreaterThan(queue.count, stalledOriginals * 2)
        // SIGCONT: the whole queue is handled at once, in arrival order, by ticks of 400 datagrams.
        h.nowMs = stallStartMs + 30_000
        var index = 0
        while index < queue.count {
            for item in queue[index..<min(index + 400, queue.count)] {
                let answer = try XCTUnwrap(h.send(item.request, from: item.peer))
                let k = key(item.peer, item.request)
                if let first = answers[k] { XCTAssertEqual(answer, first) } else { answers[k] = answer }
            }
            index += 400
            h.tick(advanceMs: 1)
        }
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, UInt64(fleet.sent), "each reading stored exactly once")
        XCTAssertEqual(h.server.counters.duplicatesAnswered, UInt64(queue.count - stalledOriginals))
        // Late retransmissions of the burst (the clients had not seen the answers yet) minutes later.
        h.tick(advanceMs: 200_000)
        for item in queue.prefix(500) {
            XCTAssertEqual(h.send(item.request, from: item.peer), answers[key(item.peer, item.request)])
        }
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, UInt64(fleet.sent))
        XCTAssertEqual(h.server.ledger.evictedEarly, 0)
    }
}
