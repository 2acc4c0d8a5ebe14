import OutpostCore
import XCTest

/// Where the send queue routes the server's notifications: a plain UDP peer leaves by the
/// transport channel of its address kind; a peer an attachment owns (a serial line, an
/// `Endpoint.attachedMark` endpoint such as a DTLS session's) is handed to the attachment, so an
/// encrypted session's notification never leaves in plaintext through the transport.
final class GatewaySendQueueRoutingTests: XCTestCase {
    func withQueue(_ body: (inout GatewaySendQueue) throws -> Void) rethrows {
        let bytes = 64 * 1024
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 16)
        defer { raw.deallocate() }
        var arena = Arena(base: raw, sizeBytes: bytes)
        let kinds = [Endpoint.kindIPv4, Endpoint.kindIPv6]
        try kinds.withUnsafeBufferPointer { k in
            var queue = GatewaySendQueue(slotCount: 8, regionDatagrams: 8, datagramBytes: 128, channelKinds: k, arena: &arena)
            try body(&queue)
        }
    }

    func ipv6(_ last: UInt8, scope: UInt32) -> Endpoint {
        var address = InlineArray<16, UInt8>(repeating: 0)
        address[15] = last
        return Endpoint(kind: Endpoint.kindIPv6, port: 5684, address: address, scopeOrLine: scope)
    }

    func testAttachedPeersGoToTheAttachmentPlainPeersToTheirChannel() {
        let payload: [UInt8] = [0x50, 0x45, 0x00, 0x01]
        withQueue { queue in
            let plain4 = Endpoint.ipv4(127, 0, 0, 1, port: 5683)
            var session4 = plain4
            session4.scopeOrLine = Endpoint.attachedMark | 3
            let plain6 = ipv6(1, scope: 2)
            let session6 = ipv6(1, scope: Endpoint.attachedMark | 0)
            payload.withUnsafeBytes { bytes in
                queue.send(bytes, to: plain4)
                queue.send(bytes, to: session4)
                queue.send(bytes, to: plain6)
                queue.send(bytes, to: session6)
                queue.send(bytes, to: .serial(line: 1))
            }
            XCTAssertEqual(queue.count, 5)
            XCTAssertEqual(queue.datagram(0).channel, 0)
            XCTAssertEqual(queue.datagram(1).channel, GatewaySendQueue.attachmentChannel)
            XCTAssertEqual(queue.datagram(2).channel, 1)
            XCTAssertEqual(queue.datagram(3).channel, GatewaySendQueue.attachmentChannel)
            XCTAssertEqual(queue.datagram(4).channel, GatewaySendQueue.attachmentChannel)
            // The mark keeps the session's peer apart from the same address in plaintext.
            XCTAssertNotEqual(queue.datagram(0).peer, queue.datagram(1).peer)
            XCTAssertEqual(queue.datagram(1).peer, session4)
            XCTAssertEqual(Array(queue.datagram(3).bytes), payload)
            XCTAssertEqual(queue.counters.unroutable, 0)
        }
    }

    func testIsAttached() {
        var peer = Endpoint.ipv4(10, 0, 0, 2, port: 1)
        XCTAssertFalse(peer.isAttached)
        peer.scopeOrLine = Endpoint.attachedMark
        XCTAssertTrue(peer.isAttached)
        XCTAssertTrue(Endpoint.serial(line: 0).isAttached)
        // An ordinary IPv6 scope id (an interface index) is not the mark.
        XCTAssertFalse(ipv6(9, scope: 7).isAttached)
    }
}
