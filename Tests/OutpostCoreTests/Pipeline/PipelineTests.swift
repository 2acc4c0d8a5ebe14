import OutpostCore
import OutpostProfiles
import XCTest

final class PipelineTests: XCTestCase {
    func reading(_ sensor: StaticString, _ t: Int64, temperature: Int32 = 25_000) -> Reading {
        var r = Reading(sensor: SensorName(sensor), timestampMs: t)
        r.features[.temperature] = temperature
        r.features[.humidity] = 50_000
        r.features[.pressure] = 1_013_000
        r.features[.vibration] = 500
        r.features[.power] = 100_000
        return r
    }

    func testAcceptedReadingsLeaveThroughTheOutboxInOrder() {
        let h = PipelineHarness<ProfileTest>()
        for i in 0..<3 {
            guard case .accepted(let p) = h.pipeline.process(reading("a", 1_000 + Int64(i) * 1_000)) else {
                return XCTFail("refused")
            }
            XCTAssertEqual(p.sensorSlot, 0)
            XCTAssertEqual(p.features[.temperature], 25_000)
        }
        var times: [Int64] = []
        while let event = h.pipeline.outbox.popFirst() {
            if case .reading(let r) = event { times.append(r.timestampMs) }
        }
        XCTAssertEqual(times, [1_000, 2_000, 3_000])
        XCTAssertEqual(h.pipeline.counters.readingsAccepted, 3)
    }

    func testFullSensorTableRefusesNewSensorsAndCounts() {
        let h = PipelineHarness<ProfileTest>()
        let names: [StaticString] = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"]
        var refused = 0
        for (i, name) in names.enumerated() {
            if case .refused(.sensorTableFull) = h.pipeline.process(reading(name, Int64(i))) { refused += 1 }
            _ = h.drainAlerts()
        }
        XCTAssertEqual(ProfileTest.sensorCapacity, 6)
        XCTAssertEqual(refused, 2)
        XCTAssertEqual(h.pipeline.counters.refusedSensorTableFull, 2)
        // Known sensors keep working.
        guard case .accepted = h.pipeline.process(reading("s1", 100)) else { return XCTFail("known sensor refused") }
    }

    func testFullOutboxRefusesUntilDrainedAndLosesNothing() {
        let h = PipelineHarness<ProfileTest>()
        var accepted = 0
        var refusedAt = -1
        for i in 0..<100 {
            if case .refused(.outboxFull) = h.pipeline.process(reading("a", Int64(i) * 1_000)) {
                refusedAt = i
                break
            }
            accepted += 1
        }
        XCTAssertGreaterThan(refusedAt, 0, "a 32-event outbox must fill up without draining")
        XCTAssertEqual(h.pipeline.counters.refusedOutboxFull, 1)
        var readings = 0
        while let event = h.pipeline.outbox.popFirst() { if case .reading = event { readings += 1 } }
        XCTAssertEqual(readings, accepted, "every accepted reading is in the outbox")
        guard case .accepted = h.pipeline.process(reading("a", 1_000_000)) else { return XCTFail("still refused after drain") }
    }

    func testStatusFollowsTheThresholdRules() {
        let h = PipelineHarness<ProfileMedium>()
        guard case .accepted(let normal) = h.pipeline.process(reading("a", 1_000)) else { return XCTFail() }
        XCTAssertEqual(normal.status, .normal)
        guard case .accepted(let hot) = h.pipeline.process(reading("a", 2_000, temperature: 46_000)) else { return XCTFail() }
        XCTAssertEqual(hot.status, .alert)
    }
}
