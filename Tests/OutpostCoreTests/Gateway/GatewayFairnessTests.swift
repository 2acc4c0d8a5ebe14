import OutpostCore
import OutpostProfiles
import XCTest

/// The gateway's part of fair service (docs/SECURITY.md §7): a full batch (the daemon is behind)
/// is handled readings first; a listener's allow-list drops other sources before the server, and
/// a read-only listener refuses writes.
final class GatewayFairnessTests: XCTestCase {
    func get(_ mid: UInt16) -> [UInt8] { Request.make(mid: mid, token: [UInt8(mid & 0xFF)], path: "health") }

    func testAFullBatchIsHandledReadingsFirst() throws {
        let h = try GatewayHarness()
        // A full batch: status queries first on the wire, then readings.
        let batch = ProfileTest.batchSize
        for k in 0..<batch {
            let peer = GatewayHarness.peer(1 + k)
            if k < batch / 2 {
                h.network.post(get(UInt16(100 + k)), from: peer)
            } else {
                h.network.post(GatewayHarness.reading(k, mid: UInt16(200 + k)), from: peer)
            }
        }
        h.tick()
        let codes = h.network.sent.map { Reply($0.bytes).code }
        XCTAssertEqual(codes.count, batch)
        XCTAssertEqual(Array(codes.prefix(batch - batch / 2)), Array(repeating: .changed, count: batch - batch / 2), "readings answered first")
        XCTAssertEqual(Array(codes.suffix(batch / 2)), Array(repeating: .content, count: batch / 2))
        // A batch that is not full keeps the arrival order.
        h.network.post(get(300), from: GatewayHarness.peer(1))
        h.network.post(GatewayHarness.reading(1, mid: 301), from: GatewayHarness.peer(2))
        h.network.sent.removeAll()
        h.tick()
        XCTAssertEqual(h.network.sent.map { Reply($0.bytes).code }, [.content, .changed])
    }

    func testAllowListAndReadOnlyListener() throws {
        let h = try GatewayHarness()
        var address = InlineArray<16, UInt8>(repeating: 0)
        address[0] = 127
        address[3] = 2  // peer(2) is 127.0.0.2
        var access = ListenerAccess.open
        XCTAssertTrue(access.allow(SourcePrefix(kind: Endpoint.kindIPv4, bits: 32, address: address)!))
        h.gateway.access[0] = access
        h.network.post(GatewayHarness.reading(1, mid: 1), from: GatewayHarness.peer(1))
        h.network.post(GatewayHarness.reading(2, mid: 2), from: GatewayHarness.peer(2))
        h.tick()
        XCTAssertEqual(h.network.sent.count, 1)
        XCTAssertEqual(h.network.sent.first?.peer, GatewayHarness.peer(2))
        XCTAssertEqual(h.gateway.server.counters.listenerRefused, 1)

        access.readOnly = true
        h.gateway.access[0] = access
        h.network.sent.removeAll()
        h.network.post(GatewayHarness.reading(3, mid: 3), from: GatewayHarness.peer(2))
        h.network.post(get(4), from: GatewayHarness.peer(2))
        h.tick()
        XCTAssertEqual(h.network.sent.map { Reply($0.bytes).code }, [.forbidden, .content])
        XCTAssertEqual(h.gateway.server.counters.readOnlyRefused, 1)
    }
}
