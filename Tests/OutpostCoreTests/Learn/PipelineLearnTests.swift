import CMallocCounter
import OutpostProfiles
import XCTest
@testable import OutpostCore

/// The learner in the pipeline: only normal readings are sampled, a due build runs in slices and
/// is swapped in whole (origin learned), too small a sample is skipped, a model file restarts it,
/// and a whole schedule allocates nothing.
final class PipelineLearnTests: XCTestCase {
    typealias P = ProfileHigh

    final class Rig {
        let harness = PipelineHarness<P>()
        let memory: UnsafeMutableRawPointer
        var arena: Arena
        var slots: ModelSlots
        var learner: ModelLearner
        let startMs: Int64 = 1_767_225_600_000

        init(everyMs: Int64 = 60_000, window: Int = 500, seed: UInt64 = 9) {
            let bytes = 2 << 20
            memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            memory.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            arena = Arena(zeroedBase: memory, sizeBytes: bytes)
            slots = ModelSlots(arena: &arena, capacity: P.modelCapacity)
            learner = ModelLearner(P.self, arena: &arena, everyMs: everyMs, window: window, seed: seed, nowMs: startMs)
            harness.pipeline.startLearning(learner, arena: &arena)
        }
        deinit { memory.deallocate() }

        var pipeline: Pipeline<P> {
            get { harness.pipeline }
            set { harness.pipeline = newValue }
        }

        /// `count` readings of 8 sensors, one a second, the outbox drained.
        func feed(_ count: Int, seed: UInt64 = 4, from offset: Int = 0) {
            var source = ReadingSource(seed: seed)
            for i in 0..<count {
                _ = harness.pipeline.process(source.reading(sensor: i % 8, timestampMs: startMs + Int64(offset + i) * 1_000))
                while harness.pipeline.outbox.popFirst() != nil {}
            }
        }

        /// Learner ticks at `nowMs` until the build is over; the tick count.
        func learn(at nowMs: Int64) -> Int {
            var ticks = 0
            repeat {
                harness.pipeline.learn(nowMs: nowMs, learner: &learner, slots: &slots)
                ticks += 1
            } while learner.builder.phase == .growing || learner.builder.phase == .scoring
            return ticks
        }
    }

    func testOnlyNormalReadingsAreSampledAndADueBuildIsSwappedInWhole() throws {
        let rig = Rig()
        XCTAssertEqual(rig.pipeline.modelOrigin, .baked)
        XCTAssertEqual(rig.pipeline.model.learnState, .sampling)
        rig.feed(400)
        let normal = rig.pipeline.counters.readingsAccepted - rig.pipeline.counters.anomalies
        XCTAssertGreaterThan(rig.pipeline.retrainSample.count, 200)
        XCTAssertLessThan(rig.pipeline.retrainSample.count, 400, "warnings, alerts and anomalies are not sampled")
        XCTAssertLessThanOrEqual(UInt64(rig.pipeline.retrainSample.count), normal)
        let baked = try XCTUnwrap(rig.pipeline.forest).checksum
        // Not due yet.
        _ = rig.learn(at: rig.startMs + 59_000)
        XCTAssertEqual(rig.learner.builder.phase, .idle)
        let ticks = rig.learn(at: rig.startMs + 60_000)
        XCTAssertGreaterThan(ticks, 5, "the build ran in slices")
        XCTAssertEqual(rig.pipeline.modelOrigin, .learned)
        let learned = try XCTUnwrap(rig.pipeline.forest)
        XCTAssertNotEqual(learned.checksum, baked)
        XCTAssertEqual(learned.treeCount, P.retrainTreeCount)
        XCTAssertEqual(Int(rig.pipeline.model.learnedSamples), rig.learner.builder.rowCount)
        XCTAssertEqual(rig.pipeline.model.learnedModels, 1)
        XCTAssertEqual(rig.pipeline.model.installedMs, rig.startMs + 60_000)
        XCTAssertEqual(rig.pipeline.model.learnState, .sampling)
        XCTAssertEqual(UnsafeRawPointer(rig.slots.active.baseAddress), UnsafeRawPointer(learned.base), "the learned model runs from the active slot")
        // Scoring goes on with the learned model; the next build is a period later.
        rig.feed(100, seed: 5, from: 400)
        XCTAssertEqual(rig.learner.nextDueMs, rig.startMs + 120_000)

        // The same readings and seed give the same model in another pipeline.
        let again = Rig()
        again.feed(400)
        _ = again.learn(at: again.startMs + 60_000)
        XCTAssertEqual(again.pipeline.forest?.checksum, learned.checksum)
    }

    func testTooSmallASampleIsSkippedAndTheModelStays() {
        let rig = Rig()
        rig.feed(30)
        _ = rig.learn(at: rig.startMs + 60_000)
        XCTAssertEqual(rig.pipeline.modelOrigin, .baked)
        XCTAssertEqual(rig.pipeline.model.learnState, .tooFewSamples)
        XCTAssertEqual(rig.pipeline.model.learnSkipped, 1)
        XCTAssertFalse(rig.pipeline.retrainSample.frozen, "sampling goes on")
    }

    func testAModelFileDropsTheBuildAndRestartsTheSample() {
        let rig = Rig()
        rig.feed(300)
        rig.pipeline.learn(nowMs: rig.startMs + 60_000, learner: &rig.learner, slots: &rig.slots)
        XCTAssertEqual(rig.learner.builder.phase, .growing)
        XCTAssertTrue(rig.pipeline.retrainSample.frozen, "no row is added while the build reads them")
        rig.pipeline.restartLearning(&rig.learner)
        XCTAssertEqual(rig.learner.builder.phase, .idle)
        XCTAssertEqual(rig.pipeline.retrainSample.count, 0)
        XCTAssertFalse(rig.pipeline.retrainSample.frozen)
    }

    func testReadingAModelFileCancelsTheBuildButKeepsTheSample() {
        let rig = Rig()
        rig.feed(300)
        rig.pipeline.learn(nowMs: rig.startMs + 60_000, learner: &rig.learner, slots: &rig.slots)
        XCTAssertEqual(rig.learner.builder.phase, .growing)
        let rows = rig.pipeline.retrainSample.count
        // A file that is then refused: the build is gone (its slot was read into), the rows stay.
        rig.pipeline.cancelBuild(&rig.learner)
        XCTAssertEqual(rig.learner.builder.phase, .idle)
        XCTAssertEqual(rig.pipeline.retrainSample.count, rows)
        XCTAssertFalse(rig.pipeline.retrainSample.frozen)
        XCTAssertEqual(rig.pipeline.model.learnState, .sampling)
    }

    func testAScheduleAllocatesNothing() {
        let rig = Rig(everyMs: 100_000)
        rig.feed(200)
        _ = rig.learn(at: rig.startMs + 100_000)
        XCTAssertEqual(rig.pipeline.modelOrigin, .learned)
        // Readings are made before counting (the generator builds names with arrays).
        var source = ReadingSource(seed: 8)
        let readings = (0..<2_000).map { source.reading(sensor: $0 % 8, timestampMs: rig.startMs + 200_000 + Int64($0) * 100) }
        malloc_counter_start()
        for i in 0..<2_000 {
            _ = rig.harness.pipeline.process(readings[i])
            while rig.harness.pipeline.outbox.popFirst() != nil {}
            rig.harness.pipeline.learn(nowMs: rig.startMs + 200_000 + Int64(i) * 100, learner: &rig.learner, slots: &rig.slots)
        }
        let allocations = malloc_counter_stop()
        // Builds due at +200 s and +300 s.
        XCTAssertEqual(rig.pipeline.model.learnedModels, 3)
        XCTAssertEqual(allocations, 0)
    }
}
