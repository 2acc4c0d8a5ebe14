import OutpostCore
import OutpostProfiles
import XCTest

/// The request handler an attachment hands its requests to passes the sender's write scope on to
/// the server (a DTLS identity's patterns), with the log's admission as for any request; the
/// scope-less call (serial lines, plain transports) writes every sensor.
final class GatewayCoreScopeTests: XCTestCase {
    func handle(_ h: GatewayHarness, _ datagram: [UInt8], scope: WriteScope?) -> Reply? {
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: ProfileTest.maxDatagramBytes, alignment: 8)
        defer { response.deallocate() }
        let length = datagram.withUnsafeBytes { bytes in
            if let scope {
                return h.gateway.core.handle(bytes, from: GatewayHarness.peer(1), nowMs: h.clock.nowMs, response: response, scope: scope)
            }
            return h.gateway.core.handle(bytes, from: GatewayHarness.peer(1), nowMs: h.clock.nowMs, response: response)
        }
        return length > 0 ? Reply(Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(response)[0..<length]))) : nil
    }

    func testScopeReachesTheServer() throws {
        let h = try GatewayHarness()
        let patterns = Array("field-*".utf8)
        try patterns.withUnsafeBytes { raw in
            let scope = WriteScope(patterns: raw)
            XCTAssertEqual(handle(h, Request.post(Request.temperature("field-1", 20), mid: 1), scope: scope)?.code, .changed)
            let refused = try XCTUnwrap(handle(h, Request.post(Request.temperature("barn-1", 20), mid: 2), scope: scope))
            XCTAssertEqual(refused.code, .forbidden)
        }
        XCTAssertEqual(h.gateway.core.server.counters.forbiddenWrites, 1)
        // Without a scope the same sensor is taken.
        XCTAssertEqual(handle(h, Request.post(Request.temperature("barn-1", 20), mid: 3), scope: nil)?.code, .changed)
        XCTAssertEqual(h.gateway.core.server.pipeline.counters.readingsAccepted, 2)
    }
}
