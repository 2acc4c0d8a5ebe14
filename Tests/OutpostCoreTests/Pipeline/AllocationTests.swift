import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest

/// Proves the steady state allocates nothing: ≥ 100 000 readings through the whole pipeline of each
/// profile (detector, forest, windows, alerts, outbox, ticks) with every malloc of the process counted.
final class AllocationTests: XCTestCase {
    static let readingsPerProfile = 100_000

    func run<P: Profile>(_ profile: P.Type, sensors: Int) -> (allocations: UInt64, accepted: UInt64, alerts: UInt64) {
        let h = PipelineHarness<P>()
        // Readings are generated before counting starts.
        var source = ReadingSource(seed: 7)
        let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: Self.readingsPerProfile)
        defer { readings.deallocate() }
        for i in 0..<Self.readingsPerProfile {
            readings[i] = source.reading(sensor: i % sensors, timestampMs: 1_767_225_600_000 + Int64(i / sensors) * 1_000)
        }
        // Warm-up: one of everything, so lazily initialised globals (the profile's rules, etc.)
        // are not mistaken for steady-state allocations.
        _ = h.pipeline.process(readings[0])
        while h.pipeline.outbox.popFirst() != nil {}

        malloc_counter_start()
        for i in 1..<Self.readingsPerProfile {
            if case .refused(.outboxFull) = h.pipeline.process(readings[i]) {
                while h.pipeline.outbox.popFirst() != nil {}
                _ = h.pipeline.process(readings[i])
            }
            if i % P.batchSize == 0 {
                h.pipeline.tick(nowMs: readings[i].timestampMs)
                while h.pipeline.outbox.popFirst() != nil {}
            }
        }
        let allocations = malloc_counter_stop()
        let counters = h.pipeline.counters
        return (allocations, counters.readingsAccepted, counters.alertsRaised)
    }

    func check<P: Profile>(_ profile: P.Type, sensors: Int) {
        let result = run(profile, sensors: sensors)
        print("allocations \(P.name): \(result.allocations) over \(Self.readingsPerProfile) readings; accepted \(result.accepted), alerts raised \(result.alerts)")
        XCTAssertEqual(result.allocations, 0, "steady-state heap allocations in profile \(P.name)")
        XCTAssertGreaterThan(result.accepted, UInt64(Self.readingsPerProfile / 2))
    }

    func testMallocCounterSeesAllocations() {
        // The counter must be able to fail: an Array append allocates.
        malloc_counter_start()
        var array: [Int] = []
        array.append(contentsOf: 0..<100)
        let count = malloc_counter_stop()
        XCTAssertGreaterThan(count, 0)
        XCTAssertEqual(array.count, 100)
    }

    func testLowProfileAllocatesNothing() { check(ProfileLow.self, sensors: 10) }
    func testMediumProfileAllocatesNothing() { check(ProfileMedium.self, sensors: 80) }
    func testHighProfileAllocatesNothing() { check(ProfileHigh.self, sensors: 300) }
    func testTestProfileAllocatesNothing() { check(ProfileTest.self, sensors: 8) }
}
