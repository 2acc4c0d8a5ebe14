import OutpostCore
import OutpostProfiles
import XCTest

/// Sensor slots that come back: `SensorTable.replace` (backward-shift deletion), the pipeline's
/// choice of the slot to reuse and the per-sensor state it resets, and the command queue's
/// dropping of an evicted sensor's commands.
final class SensorEvictionTests: XCTestCase {
    func name(_ text: String) -> SensorName {
        Array(text.utf8).withUnsafeBufferPointer { SensorName($0.span)! }
    }

    func withTable(slots: Int, capacity: Int, _ body: (inout SensorTable) -> Void) {
        let bytes = SensorTable.arenaBytes(after: 0, slotCount: slots, capacity: capacity)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: bytes)
        var table = SensorTable(arena: &arena, slotCount: slots, capacity: capacity)
        XCTAssertEqual(arena.usedBytes, bytes, "arenaBytes must match what init carves")
        body(&table)
    }

    func testReplaceKeepsEveryOtherNameFindableInCrowdedChains() {
        // 4 slots for 3 names: every chain collides, so removal must shift entries back.
        withTable(slots: 4, capacity: 3) { table in
            for (i, n) in ["a", "b", "c"].enumerated() { XCTAssertEqual(table.findOrInsert(name(n)), .inserted(i)) }
            table.replace(1, with: name("d"))
            XCTAssertNil(table.find(name("b")))
            XCTAssertEqual(table.find(name("a")), 0)
            XCTAssertEqual(table.find(name("c")), 2)
            XCTAssertEqual(table.find(name("d")), 1)
            XCTAssertEqual(table.name(at: 1), name("d"))
            XCTAssertEqual(table.findOrInsert(name("b")), .full)
        }
    }

    func testRandomReplacementsAgreeWithAModel() {
        // Against a dictionary: thousands of replacements in a small, crowded table.
        withTable(slots: 16, capacity: 12) { table in
            var model: [String: Int] = [:]
            for i in 0..<12 {
                XCTAssertEqual(table.findOrInsert(name("s\(i)")), .inserted(i))
                model["s\(i)"] = i
            }
            var source = ReadingSource(seed: 7)
            var fresh = 100
            for _ in 0..<3_000 {
                let index = Int(source.next() % 12)
                let old = model.first { $0.value == index }!.key
                let new = "n\(fresh)"
                fresh += 1
                table.replace(index, with: name(new))
                model[old] = nil
                model[new] = index
                XCTAssertNil(table.find(name(old)))
                for (n, i) in model { XCTAssertEqual(table.find(name(n)), i, n) }
            }
            XCTAssertEqual(table.count, 12)
        }
    }

    func reading(_ sensor: String, _ t: Int64, temperature: Int32 = 25_000) -> Reading {
        var r = Reading(sensor: name(sensor), timestampMs: t)
        r.features[.temperature] = temperature
        r.features[.humidity] = 50_000
        return r
    }

    /// Six sensors (the test profile's capacity) heard at 1 s … 6 s of the gateway's clock.
    func fullPipeline() -> PipelineHarness<ProfileTest> {
        let h = PipelineHarness<ProfileTest>()
        for i in 0..<ProfileTest.sensorCapacity {
            guard case .accepted = h.pipeline.process(reading("s\(i)", 0, temperature: 50_000), arrivalMs: Int64(i + 1) * 1_000)
            else { XCTFail("refused s\(i)"); return h }
            _ = h.drainAlerts()
        }
        return h
    }

    func testFullTableReusesTheLongestSilentOfflineSlotAndResetsItsState() {
        let h = fullPipeline()
        h.pipeline.alerts.setOfflineAfter(ms: 60_000)
        h.pipeline.sensorEvictAfterMs = 120_000
        // s0 (1 s) and s1 (2 s) go silent; the others keep talking.
        for i in 2..<6 { _ = h.pipeline.process(reading("s\(i)", 0), arrivalMs: 100_000) }
        _ = h.drainAlerts()
        h.pipeline.tick(nowMs: 100_000)
        let offline = h.drainAlerts()
        XCTAssertEqual(offline.map { $0.sensorSlot }.sorted(), [0, 1])
        XCTAssertTrue(offline.allSatisfy { $0.kind == .offline && $0.raised })
        // Offline, but not yet silent for the eviction time: still refused.
        guard case .refused(.sensorTableFull) = h.pipeline.process(reading("new", 0), arrivalMs: 110_000) else {
            return XCTFail("evicted before evict-after")
        }
        XCTAssertEqual(h.pipeline.evictableCount(nowMs: 110_000, limit: 6), 0)
        XCTAssertEqual(h.pipeline.evictableCount(nowMs: 122_500, limit: 6), 2)
        XCTAssertEqual(h.pipeline.evictionCandidate(nowMs: 122_500), 0, "the longest silent")
        let before = h.pipeline.windows.statusCounts(sensor: 0, span: .fiveMinutes, nowMs: 1_000)
        XCTAssertEqual(before.readingCount, 1)
        guard case .accepted(let p) = h.pipeline.process(reading("new", 122_500), arrivalMs: 122_500) else {
            return XCTFail("not evicted")
        }
        XCTAssertEqual(p.sensorSlot, 0)
        XCTAssertEqual(h.pipeline.counters.sensorsEvicted, 1)
        XCTAssertEqual(h.pipeline.sensors.find(name("new")), 0)
        XCTAssertNil(h.pipeline.sensors.find(name("s0")))
        // The new sensor starts from nothing: one reading in its windows, no alert of s0's.
        let after = h.pipeline.windows.statusCounts(sensor: 0, span: .fiveMinutes, nowMs: 122_500)
        XCTAssertEqual(after.readingCount, 1)
        XCTAssertFalse(h.pipeline.alerts.isActive(.offline, sensor: 0))
        XCTAssertEqual(h.pipeline.alerts.state(sensor: 0).lastSeenMs, 122_500)
        let events = h.drainAlerts()
        XCTAssertFalse(events.contains { $0.kind == .offline }, "an evicted sensor's offline alert is not cleared in the newcomer's name")
        // The next newcomer takes s1's slot; then nothing is evictable.
        guard case .accepted(let q) = h.pipeline.process(reading("new2", 0), arrivalMs: 123_000) else { return XCTFail() }
        XCTAssertEqual(q.sensorSlot, 1)
        guard case .refused(.sensorTableFull) = h.pipeline.process(reading("new3", 0), arrivalMs: 124_000) else {
            return XCTFail("a talking sensor was evicted")
        }
        XCTAssertEqual(h.pipeline.counters.sensorsEvicted, 2)
        XCTAssertEqual(h.pipeline.counters.refusedSensorTableFull, 2)
    }

    func testNoEvictionWhenOffOrWhileTheSensorsEventsWaitInTheOutbox() {
        let h = fullPipeline()
        h.pipeline.alerts.setOfflineAfter(ms: 10_000)
        h.pipeline.sensorEvictAfterMs = 0
        h.pipeline.tick(nowMs: 500_000)
        XCTAssertEqual(h.pipeline.outbox.count, 6, "six offline alerts, still in the outbox")
        h.pipeline.sensorEvictAfterMs = 20_000
        // The offline events are not logged yet: no slot may change its name under them.
        XCTAssertNil(h.pipeline.evictionCandidate(nowMs: 500_000))
        _ = h.drainAlerts()
        XCTAssertEqual(h.pipeline.evictionCandidate(nowMs: 500_000), 0)
        h.pipeline.sensorEvictAfterMs = 0
        guard case .refused(.sensorTableFull) = h.pipeline.process(reading("new", 0), arrivalMs: 500_000) else {
            return XCTFail("evicted with eviction off")
        }
        XCTAssertEqual(h.pipeline.counters.sensorsEvicted, 0)
    }

    func testCommandsOfAnEvictedSensorAreDroppedNotInherited() {
        withTable(slots: 8, capacity: 2) { table in
            _ = table.findOrInsert(name("a"))
            _ = table.findOrInsert(name("b"))
            let queueBytes = SensorCommandQueue.arenaBytes(after: 0, slotCount: 4, payloadBytes: 8, eventCount: 4)
            let memory = UnsafeMutableRawPointer.allocate(byteCount: queueBytes, alignment: 64)
            defer { memory.deallocate() }
            var arena = Arena(base: memory, sizeBytes: queueBytes)
            var queue = SensorCommandQueue(arena: &arena, slotCount: 4, payloadBytes: 8, perSensorLimit: 4, eventCount: 4)
            queue.journaling = true
            let payload: [UInt8] = [1, 2, 3]
            var ids = [UInt32]()
            payload.withUnsafeBytes { bytes in
                for sensor in [0, 0, 1] {
                    let result = queue.enqueue(sensorIndex: sensor, sensorName: name(sensor == 0 ? "a" : "b"), payload: bytes, contentFormat: 42, origin: .http, nowMs: 0)
                    XCTAssertEqual(result.outcome, .accepted)
                    ids.append(result.id)
                }
            }
            // The first command of a is in the log, the second not yet.
            queue.markLogged(slot: queue.slot(id: ids[0])!)
            table.replace(0, with: name("c"))
            XCTAssertEqual(queue.dropSensor(sensorIndex: 0, nowMs: 5), 2)
            XCTAssertEqual(queue.pending(sensorIndex: 0), 0, "c does not inherit a's commands")
            XCTAssertEqual(queue.pending(sensorIndex: 1), 1)
            XCTAssertEqual(queue.count, 1)
            XCTAssertEqual(queue.counters.droppedEvicted, 2)
            XCTAssertEqual(queue.counters.expired, 2)
            // Both end as expired events the log records by id; the unlogged one owes no *accepted* record.
            XCTAssertEqual(queue.eventsTotal, 2)
            XCTAssertEqual(queue.event(sequence: 0)?.kind, .expired)
            XCTAssertEqual(queue.event(sequence: 0)?.sensorName, name("a"), "the event names a, not c that took its index")
            XCTAssertEqual(queue.event(sequence: 1)?.sensorName, name("a"))
            XCTAssertEqual(Set([queue.event(sequence: 0)!.id, queue.event(sequence: 1)!.id]), Set(ids[0...1]))
            XCTAssertEqual(queue.oldestUnlogged(), queue.slot(id: ids[2]), "only b's command still owes its record")
            XCTAssertEqual(queue.dropSensor(sensorIndex: 0, nowMs: 6), 0, "nothing left to drop")
        }
    }

    func testCommandsOfAnEvictedSensorAreDroppedEvenWithAFullEventRing() {
        withTable(slots: 8, capacity: 2) { table in
            _ = table.findOrInsert(name("a"))
            let queueBytes = SensorCommandQueue.arenaBytes(after: 0, slotCount: 2, payloadBytes: 8, eventCount: 2)
            let memory = UnsafeMutableRawPointer.allocate(byteCount: queueBytes, alignment: 64)
            defer { memory.deallocate() }
            var arena = Arena(base: memory, sizeBytes: queueBytes)
            var queue = SensorCommandQueue(arena: &arena, slotCount: 2, payloadBytes: 8, perSensorLimit: 2, eventCount: 2)
            queue.journaling = true
            let payload: [UInt8] = [9]
            payload.withUnsafeBytes { bytes in
                // Two commands delivered but not logged fill the event ring.
                for _ in 0..<2 {
                    let id = queue.enqueue(sensorIndex: 0, sensorName: name("a"), payload: bytes, contentFormat: 42, origin: .http, nowMs: 0).id
                    let slot = queue.slot(id: id)!
                    queue.markLogged(slot: slot)
                    XCTAssertTrue(queue.finish(slot: slot, kind: .delivered, via: .confirm, nowMs: 1))
                }
                XCTAssertFalse(queue.canFinish)
                XCTAssertEqual(queue.enqueue(sensorIndex: 0, sensorName: name("a"), payload: bytes, contentFormat: 42, origin: .http, nowMs: 2).outcome, .accepted)
            }
            XCTAssertEqual(queue.dropSensor(sensorIndex: 0, nowMs: 3), 1)
            XCTAssertEqual(queue.count, 0, "freed without an event when the ring has no room")
            XCTAssertEqual(queue.counters.droppedEvicted, 1)
            XCTAssertEqual(queue.eventsTotal, 2)
        }
    }
}
