import OutpostCore
import OutpostProfiles
import XCTest

/// A request that carries a DTLS identity's write scope: packs for its sensors are taken, a pack
/// naming any other sensor is refused whole with 4.03 and counted; reads are not restricted.
final class ServerWriteScopeTests: XCTestCase {
    func handle(_ h: ServerHarness<ProfileTest>, _ datagram: [UInt8], scope: WriteScope) -> Reply? {
        let length = datagram.withUnsafeBytes {
            h.server.handle(datagram: $0, from: ServerHarness<ProfileTest>.peer(1), nowMs: h.nowMs, response: h.response, scope: scope)
        }
        return length > 0 ? Reply(Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(h.response)[0..<length]))) : nil
    }

    func testIdentityWritesOnlyItsSensors() throws {
        let h = ServerHarness<ProfileTest>()
        let patterns = Array("field-*,pump-1".utf8)
        try patterns.withUnsafeBytes { raw in
            let scope = WriteScope(patterns: raw)
            XCTAssertEqual(handle(h, Request.post(Request.temperature("field-3", 20), mid: 1), scope: scope)?.code, .changed)
            XCTAssertEqual(handle(h, Request.post(Request.temperature("pump-1", 20), mid: 2), scope: scope)?.code, .changed)
            let refused = try XCTUnwrap(handle(h, Request.post(Request.temperature("barn-1", 20), mid: 3), scope: scope))
            XCTAssertEqual(refused.code, .forbidden)
            XCTAssertEqual(refused.type, .acknowledgement)
            // One foreign sensor in a pack refuses the whole pack.
            let mixed = "[{\"bn\":\"field-4/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":1},{\"bn\":\"pump-2/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":2}]"
            XCTAssertEqual(handle(h, Request.post(mixed, mid: 4), scope: scope)?.code, .forbidden)
            // Reads are not scoped.
            let get = Request.make(.confirmable, .get, mid: 5, token: [1], path: "health", options: [], payload: [])
            XCTAssertEqual(handle(h, get, scope: scope)?.code, .content)
        }
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 2)
        XCTAssertEqual(h.server.counters.forbiddenWrites, 2)
        // Without a scope (plain CoAP, serial) the same sensor is taken.
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("barn-1", 20), mid: 6))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 3)
    }

    func testForbiddenCountIsInHealthAndMetrics() throws {
        let h = ServerHarness<ProfileTest>()
        let patterns = Array("a".utf8)
        patterns.withUnsafeBytes { raw in
            _ = handle(h, Request.post(Request.temperature("b", 1), mid: 1), scope: WriteScope(patterns: raw))
        }
        let metrics = try XCTUnwrap(h.exchange(Request.make(.confirmable, .get, mid: 2, token: [2], path: "metrics", options: [], payload: [])))
        XCTAssertTrue(String(decoding: metrics.payload, as: UTF8.self).contains("outpost_drops_total{reason=\"forbidden\"} 1"))
        let health = try XCTUnwrap(h.exchange(Request.make(.confirmable, .get, mid: 3, token: [3], path: "health", options: [], payload: [])))
        XCTAssertTrue(String(decoding: health.payload, as: UTF8.self).contains("\"forbidden_writes\":1"))
    }
}
