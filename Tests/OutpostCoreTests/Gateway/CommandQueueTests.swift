import XCTest
@testable import OutpostCore

final class CommandQueueTests: XCTestCase {
    var memory: UnsafeMutableRawPointer!
    override func setUp() { memory = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 16) }
    override func tearDown() { memory.deallocate() }

    func makeQueue(capacity: Int = 4, perSensor: Int = 2) -> CommandQueue {
        var arena = Arena(base: memory, sizeBytes: 1 << 16)
        return CommandQueue(arena: &arena, capacity: capacity, perSensorMax: perSensor, lifetimeMs: 1_000)
    }

    func enqueue(_ q: inout CommandQueue, _ sensor: String, _ payload: String, at nowMs: Int64 = 0) -> CommandEnqueueResult {
        Array(sensor.utf8).withUnsafeBytes { s in Array(payload.utf8).withUnsafeBytes { p in q.enqueue(sensor: s, payload: p, nowMs: nowMs) } }
    }

    func testFirstInFirstOutPerSensorAndDelivery() {
        var q = makeQueue()
        XCTAssertEqual(enqueue(&q, "s1", "a"), .queued(id: 1))
        XCTAssertEqual(enqueue(&q, "s2", "b"), .queued(id: 2))
        XCTAssertEqual(enqueue(&q, "s1", "c"), .queued(id: 3))
        let first = q.next(for: SensorName("s1"))
        XCTAssertEqual(first?.id, 1)
        XCTAssertEqual(first.map { Array($0.payload) }, Array("a".utf8))
        XCTAssertTrue(q.delivered(1))
        XCTAssertFalse(q.delivered(1), "delivered once")
        XCTAssertEqual(q.next(for: SensorName("s1"))?.id, 3)
        XCTAssertEqual(q.next(for: SensorName("s2"))?.id, 2)
        XCTAssertNil(q.next(for: SensorName("s3")))
        XCTAssertEqual(q.count, 2)
    }

    func testBoundsPerSensorAndOverall() {
        var q = makeQueue(capacity: 3, perSensor: 2)
        XCTAssertEqual(enqueue(&q, "s1", "a"), .queued(id: 1))
        XCTAssertEqual(enqueue(&q, "s1", "b"), .queued(id: 2))
        XCTAssertEqual(enqueue(&q, "s1", "c"), .sensorFull)
        XCTAssertEqual(enqueue(&q, "s2", "d"), .queued(id: 3))
        XCTAssertEqual(enqueue(&q, "s3", "e"), .queueFull)
        XCTAssertEqual(enqueue(&q, "s3", String(repeating: "x", count: CommandQueue.payloadBytesMax + 1)), .payloadTooLarge)
        XCTAssertEqual(enqueue(&q, "", "e"), .badSensor)
        XCTAssertEqual(enqueue(&q, "a b", "e"), .badSensor)
        XCTAssertEqual(enqueue(&q, String(repeating: "n", count: 33), "e"), .badSensor)
    }

    func testExpiryReportsEachCommandOnce() {
        var q = makeQueue()
        _ = enqueue(&q, "s1", "a", at: 0)
        _ = enqueue(&q, "s2", "b", at: 500)
        var expired: [UInt32] = []
        q.expire(nowMs: 999) { _, id in expired.append(id) }
        XCTAssertEqual(expired, [])
        q.expire(nowMs: 1_000) { _, id in expired.append(id) }
        XCTAssertEqual(expired, [1])
        q.expire(nowMs: 1_600) { _, id in expired.append(id) }
        XCTAssertEqual(expired, [1, 2])
        XCTAssertEqual(q.count, 0)
    }

    func testMQTTSinkAcknowledgesPermanentRefusalsButNotAFullQueue() {
        var q = makeQueue(capacity: 1, perSensor: 1)
        func command(_ sensor: String, _ payload: String) -> Bool {
            Array(sensor.utf8).withUnsafeBytes { s in Array(payload.utf8).withUnsafeBytes { p in q.mqttCommand(sensor: s, payload: p, nowMs: 0) } }
        }
        XCTAssertTrue(command("s1", "on"))
        XCTAssertFalse(command("s2", "on"), "full: left for the broker to deliver again")
        XCTAssertTrue(command("bad name", "on"), "never valid: acknowledged and dropped")
        XCTAssertEqual(q.refusedForGood, 1)
    }
}
