import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// Observe (RFC 7641) on /alerts: registration, notifications, deregistration, RST, CON, limits.
final class ServerObserveTests: XCTestCase {
    typealias H = ServerHarness<ProfileTest>  // 2 observers, 8 recent alerts

    func observe(_ h: H, peer: Int, token: [UInt8], value: UInt32 = 0, accept: UInt32? = nil, mid: UInt16 = 1) -> Reply? {
        var options = [Request.uint(.observe, value)]
        if let accept { options.append(Request.uint(.accept, accept)) }
        return h.exchange(Request.make(.confirmable, .get, mid: mid, token: token, path: "alerts", options: options), from: H.peer(peer))
    }

    /// Posts a critical temperature for `sensor` (raises a critical alert at once) and ticks.
    func raise(_ h: H, _ sensor: String, mid: UInt16) -> [(Endpoint, Reply)] {
        XCTAssertEqual(h.exchange(Request.post(Request.temperature(sensor, 95), mid: mid), from: H.peer(99))?.code, .changed)
        return h.tick(advanceMs: 1_000)
    }

    var nextMid: UInt16 = 1000

    /// Raises and clears alerts of `sensor`: one critical reading, then cool readings until the
    /// critical alert clears (1 s apart); returns what one tick sent.
    func cycle(_ h: H, _ sensor: String) -> [Reply] {
        for celsius in [95.0, 20, 20, 20, 20] {
            nextMid &+= 1
            XCTAssertEqual(h.exchange(Request.post(Request.temperature(sensor, celsius), mid: nextMid), from: H.peer(99))?.code, .changed)
            h.nowMs += 1_000
        }
        return h.tick().map { $0.1 }
    }

    func testRegisterThenNotifiedOfEveryAlertWithIncreasingObserve() throws {
        let h = H()
        let reply = try XCTUnwrap(observe(h, peer: 1, token: [0xAA]))
        XCTAssertEqual(reply.code, .content)
        let registered = try XCTUnwrap(reply.uint(.observe), "a registered GET answers with Observe")
        XCTAssertEqual(h.server.observers.count, 1)
        let first = raise(h, "hot1", mid: 10)
        let raisedSoFar = h.server.pipeline.counters.alertsRaised
        XCTAssertGreaterThan(raisedSoFar, 0)
        XCTAssertEqual(first.count, Int(raisedSoFar), "one notification per alert event")
        let second = raise(h, "hot2", mid: 11)
        XCTAssertFalse(second.isEmpty)
        var last = registered
        for (peer, note) in first + second {
            XCTAssertEqual(peer, H.peer(1))
            XCTAssertEqual(note.token, [0xAA])
            XCTAssertEqual(note.code, .content)
            XCTAssertEqual(note.uint(.contentFormat), 50)
            let value = try XCTUnwrap(note.uint(.observe))
            XCTAssertGreaterThanOrEqual(value, last)
            last = value + 1
            let event = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(note.payload)) as? [String: Any])
            XCTAssertEqual(event["event"] as? String, "raised")
            XCTAssertNotNil(event["kind"] as? String)
            XCTAssertTrue(["hot1", "hot2"].contains(event["sensor"] as? String ?? ""))
        }
        XCTAssertEqual(h.server.counters.notificationsSent, UInt64(first.count + second.count))
    }

    func testTwoObserversInTheirOwnFormats() throws {
        let h = H()
        XCTAssertNotNil(observe(h, peer: 1, token: [1]))
        XCTAssertNotNil(observe(h, peer: 2, token: [2], accept: 60))
        let notes = raise(h, "hot", mid: 10)
        let toOne = notes.filter { $0.0 == H.peer(1) }.map { $0.1 }
        let toTwo = notes.filter { $0.0 == H.peer(2) }.map { $0.1 }
        XCTAssertFalse(toOne.isEmpty)
        XCTAssertEqual(toOne.count, toTwo.count)
        XCTAssertEqual(toTwo.first?.uint(.contentFormat), 60)
        XCTAssertEqual(toTwo.first?.payload.first, 0xBF, "a CBOR map")
        XCTAssertEqual(toOne.first?.uint(.observe), toTwo.first?.uint(.observe), "the same event has the same Observe value")
    }

    func testDeregisterWithObserveOne() throws {
        let h = H()
        XCTAssertNotNil(observe(h, peer: 1, token: [1]))
        let reply = try XCTUnwrap(observe(h, peer: 1, token: [1], value: 1, mid: 2))
        XCTAssertEqual(reply.code, .content)
        XCTAssertFalse(reply.has(.observe))
        XCTAssertEqual(h.server.observers.count, 0)
        XCTAssertTrue(raise(h, "hot", mid: 10).isEmpty)
    }

    func testResetInReplyToANotificationRemovesTheObserver() throws {
        let h = H()
        XCTAssertNotNil(observe(h, peer: 1, token: [1]))
        let notes = raise(h, "hot", mid: 10)
        let last = try XCTUnwrap(notes.last?.1)
        // A RST with a message ID the observer never got changes nothing.
        XCTAssertNil(h.send([0x70, 0x00, UInt8((last.messageID &+ 100) >> 8), UInt8((last.messageID &+ 100) & 0xFF)], from: H.peer(1)))
        XCTAssertEqual(h.server.observers.count, 1)
        XCTAssertNil(h.send([0x70, 0x00, UInt8(last.messageID >> 8), UInt8(last.messageID & 0xFF)], from: H.peer(1)))
        XCTAssertEqual(h.server.observers.count, 0)
        XCTAssertEqual(h.server.counters.observersRemoved, 1)
    }

    func testFullTableAnswersWithoutObserve() throws {
        let h = H()
        XCTAssertNotNil(observe(h, peer: 1, token: [1]))
        XCTAssertNotNil(observe(h, peer: 2, token: [2]))
        let third = try XCTUnwrap(observe(h, peer: 3, token: [3]))
        XCTAssertEqual(third.code, .content)
        XCTAssertFalse(third.has(.observe), "not registered: no Observe option")
        XCTAssertEqual(h.server.counters.observersRejected, 1)
        // Re-registering an existing one still works (same peer and token).
        XCTAssertNotNil(observe(h, peer: 1, token: [1], mid: 9)?.uint(.observe))
        XCTAssertEqual(h.server.observers.count, 2)
    }

    func testEveryEighthNotificationIsConfirmableAndUnansweredOnesEndTheObservation() throws {
        let h = H()
        XCTAssertNotNil(observe(h, peer: 1, token: [1]))
        var notes: [Reply] = []
        for round in 0..<20 where notes.count < 8 { notes += cycle(h, "s\(round % 4)") }
        XCTAssertGreaterThanOrEqual(notes.count, 8)
        XCTAssertEqual(notes[..<7].filter { $0.type == .confirmable }.count, 0)
        XCTAssertEqual(notes[7].type, .confirmable)
        let pending = notes[7]
        // An ACK settles it.
        XCTAssertNil(h.send([0x60, 0x00, UInt8(pending.messageID >> 8), UInt8(pending.messageID & 0xFF)], from: H.peer(1)))
        h.tick(advanceMs: ObserverTable.confirmableTimeoutMs)
        XCTAssertEqual(h.server.observers.count, 1)
        // The next CON is left unanswered: the observer is dropped after MAX_TRANSMIT_WAIT.
        var confirmable: Reply? = nil
        for round in 0..<20 where confirmable == nil { confirmable = cycle(h, "s\(round % 4)").first { $0.type == .confirmable } }
        XCTAssertNotNil(confirmable)
        h.tick(advanceMs: ObserverTable.confirmableTimeoutMs - 1)
        XCTAssertEqual(h.server.observers.count, 1)
        h.tick(advanceMs: 1)
        XCTAssertEqual(h.server.observers.count, 0)
        XCTAssertEqual(h.server.counters.observersRemoved, 1)
    }

    func testNotificationsAreBoundedBySinkAndResumeNextTick() throws {
        let h = H()
        XCTAssertNotNil(observe(h, peer: 1, token: [1]))
        XCTAssertNotNil(observe(h, peer: 2, token: [2]))
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("hot", 95), mid: 10), from: H.peer(99))?.code, .changed)
        h.sink.limit = 1
        XCTAssertEqual(h.tick().count, 1)
        let events = Int(h.server.pipeline.counters.alertsRaised)
        var total = 1
        for _ in 0..<10 { total += h.tick().count }
        XCTAssertEqual(total, 2 * events, "every observer gets every event, one datagram per tick")
    }

    func testObserverFarBehindSkipsToTheOldestHeldEvent() throws {
        let h = H()
        XCTAssertNotNil(observe(h, peer: 1, token: [1]))
        h.sink.limit = 0  // nothing can be sent for a while
        for round in 0..<6 { XCTAssertTrue(cycle(h, "s\(round % 5)").isEmpty) }
        let total = h.server.alertHistory.total
        XCTAssertGreaterThan(total, UInt32(ProfileTest.recentAlertCount))
        h.sink.limit = Int.max
        let notes = h.tick()
        XCTAssertEqual(notes.count, ProfileTest.recentAlertCount)
        // Observe = the event's sequence + 1 (newer than the registration answer's value).
        XCTAssertEqual(notes.first?.1.uint(.observe), total - UInt32(ProfileTest.recentAlertCount) + 1)
        XCTAssertEqual(h.server.counters.notificationsSkipped, UInt64(total) - UInt64(ProfileTest.recentAlertCount))
    }
}
