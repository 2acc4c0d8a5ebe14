import OutpostCore
import OutpostProfiles
import XCTest

/// The command queue on its own: bounds, order, ids, the end-event ring and its guard against
/// overwriting unlogged events, expiry, and recovery.
final class SensorCommandQueueTests: XCTestCase {
    var memory: UnsafeMutableRawPointer!
    var arena: Arena!
    var sensors: SensorTable!

    override func setUp() {
        memory = UnsafeMutableRawPointer.allocate(byteCount: 64 * 1024, alignment: 64)
        arena = Arena(base: memory, sizeBytes: 64 * 1024)
        sensors = SensorTable(arena: &arena, slotCount: 16, capacity: 12)
        for name in ["a", "b"] {
            _ = sensors.findOrInsert(Array(name.utf8).withUnsafeBufferPointer { SensorName($0.span)! })
        }
    }

    override func tearDown() { memory.deallocate() }

    func queue(slots: Int = 4, perSensor: Int = 2, events: Int = 4) -> SensorCommandQueue {
        SensorCommandQueue(arena: &arena, slotCount: slots, payloadBytes: 8, perSensorLimit: perSensor, eventCount: events)
    }

    func sensorName(_ index: Int) -> SensorName {
        Array("s\(index)".utf8).withUnsafeBufferPointer { SensorName($0.span)! }
    }

    func enqueue(_ q: inout SensorCommandQueue, _ sensor: Int, _ text: String, nowMs: Int64 = 0) -> SensorCommandEnqueueResult {
        Array(text.utf8).withUnsafeBytes { q.enqueue(sensorIndex: sensor, sensorName: sensorName(sensor), payload: $0, contentFormat: 0, origin: .other, nowMs: nowMs) }
    }

    func testBoundsOrderAndIds() {
        var q = queue()
        XCTAssertEqual(enqueue(&q, 0, "one"), SensorCommandEnqueueResult(outcome: .accepted, id: 1, pending: 1))
        XCTAssertEqual(enqueue(&q, 0, "two"), SensorCommandEnqueueResult(outcome: .accepted, id: 2, pending: 2))
        XCTAssertEqual(enqueue(&q, 0, "three").outcome, .full, "per-sensor limit")
        XCTAssertEqual(enqueue(&q, 1, "").outcome, .tooLarge)
        XCTAssertEqual(enqueue(&q, 1, "123456789").outcome, .tooLarge)
        XCTAssertEqual(enqueue(&q, 1, "x").id, 3)
        XCTAssertEqual(enqueue(&q, 1, "y").id, 4)
        XCTAssertEqual(enqueue(&q, 1, "z").outcome, .full, "queue full")
        XCTAssertEqual(q.counters.refusedFull, 2)
        XCTAssertEqual(q.counters.refusedOther, 2)
        let first = try! XCTUnwrap(q.oldest(sensorIndex: 0))
        XCTAssertEqual(Array(q.payload(at: first)), Array("one".utf8))
        XCTAssertTrue(q.finish(slot: first, kind: .delivered, via: .confirm, nowMs: 5))
        XCTAssertEqual(Array(q.payload(at: q.oldest(sensorIndex: 0)!)), Array("two".utf8))
        XCTAssertEqual(q.count, 3)
        XCTAssertEqual(q.event(sequence: 0), SensorCommandEvent(kind: .delivered, via: .confirm, sensor: 0, sensorName: sensorName(0), id: 1, timeMs: 5))
        XCTAssertNil(q.event(sequence: 1))
    }

    func testJournalingHoldsEventsUntilLoggedAndNeverOverwritesThem() {
        var q = queue(slots: 4, perSensor: 4, events: 4)
        q.journaling = true
        for i in 0..<4 { XCTAssertEqual(enqueue(&q, 0, "c\(i)").outcome, .accepted) }
        let slot = q.oldest(sensorIndex: 0)!
        XCTAssertFalse(q.finish(slot: slot, kind: .delivered, via: .confirm, nowMs: 1), "not logged yet")
        // The journal gives the accepted records oldest first.
        var logged: [UInt32] = []
        while let s = q.oldestUnlogged() {
            logged.append(q.command(at: s).id)
            q.markLogged(slot: s)
        }
        XCTAssertEqual(logged, [1, 2, 3, 4])
        XCTAssertEqual(q.expire(nowMs: SensorCommandQueue.defaultExpiryMs), 4)
        XCTAssertFalse(q.canFinish, "four unlogged events fill the ring")
        XCTAssertEqual(enqueue(&q, 1, "d").outcome, .accepted)
        q.markLogged(slot: q.oldestUnlogged()!)
        XCTAssertFalse(q.finish(slot: q.oldest(sensorIndex: 1)!, kind: .delivered, via: .confirm, nowMs: 2))
        var kinds: [SensorCommandEventKind] = []
        while let event = q.nextUnloggedEvent {
            kinds.append(event.kind)
            q.markEventLogged()
        }
        XCTAssertEqual(kinds, [.expired, .expired, .expired, .expired])
        XCTAssertTrue(q.finish(slot: q.oldest(sensorIndex: 1)!, kind: .delivered, via: .confirm, nowMs: 2))
        XCTAssertEqual(q.oldestEventSequence, 1, "the ring overwrote the oldest (logged) event")
        XCTAssertEqual(q.event(sequence: 4)?.id, 5)
        XCTAssertNil(q.event(sequence: 0))
    }

    func testExpiryWaitsForItsTime() {
        var q = queue()
        q.expiryMs = 1_000
        _ = enqueue(&q, 0, "a", nowMs: 0)
        _ = enqueue(&q, 1, "b", nowMs: 500)
        XCTAssertEqual(q.expire(nowMs: 999), 0)
        XCTAssertEqual(q.expire(nowMs: 1_000), 1)
        XCTAssertEqual(q.event(sequence: 0)?.kind, .expired)
        XCTAssertEqual(q.event(sequence: 0)?.sensor, 0)
        XCTAssertEqual(q.expire(nowMs: 1_499), 0)
        XCTAssertEqual(q.expire(nowMs: 1_500), 1)
        XCTAssertEqual(q.count, 0)
        XCTAssertEqual(q.counters.expired, 2)
    }

    func testRestoreContinuesIdsAndSkipsEnded() {
        var q = queue()
        Array("r".utf8).withUnsafeBytes { bytes in
            XCTAssertTrue(q.restore(id: 7, sensorIndex: 0, sensorName: sensorName(0), payload: bytes, contentFormat: 50, origin: .http, enqueuedMs: 3))
            XCTAssertTrue(q.restore(id: 9, sensorIndex: 1, sensorName: sensorName(1), payload: bytes, contentFormat: 50, origin: .mqtt, enqueuedMs: 4))
            XCTAssertFalse(q.restore(id: 9, sensorIndex: 1, sensorName: sensorName(1), payload: bytes, contentFormat: 50, origin: .mqtt, enqueuedMs: 4), "duplicate id")
        }
        q.restoreEnded(id: 7)
        XCTAssertEqual(q.count, 1)
        XCTAssertTrue(q.command(at: q.oldest(sensorIndex: 1)!).logged)
        XCTAssertEqual(enqueue(&q, 0, "n").id, 10, "ids continue after the highest restored")
        XCTAssertEqual(q.eventsTotal, 0, "restoring emits no events")
    }
}
