import CMallocCounter
import OutpostProfiles
import XCTest
@testable import OutpostCore

/// The on-board forest builder: a valid model image, the same bytes for the same seed, steps that
/// add up to the one-shot build, outliers scored above inliers, the node capacity kept, no heap.
final class ForestBuilderTests: XCTestCase {
    /// The arena, sample, builder and image of one test.
    final class Bench {
        let base: UnsafeMutableRawPointer
        var arena: Arena
        var sample: RetrainSample
        var builder: ForestBuilder
        let image: UnsafeMutableRawBufferPointer

        init(rows: Int, features: Int, trees: Int, nodes: Int) {
            let bytes = 4 << 20
            base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            arena = Arena(base: base, sizeBytes: bytes)
            sample = RetrainSample(arena: &arena, capacity: rows, featureCapacity: features)
            sample.frozen = false
            builder = ForestBuilder(arena: &arena, sampleCapacity: rows, treeCount: trees, nodeCapacity: nodes)
            let imageBytes = builder.imageBytesMax(features: features)
            image = UnsafeMutableRawBufferPointer(arena.carve(imageBytes, of: UInt8(0)))
        }
        deinit { base.deallocate() }

        var model: ForestModel? { try? ForestModel(bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(image)[0..<builder.byteCount])) }
        var bytes: [UInt8] { Array(UnsafeRawBufferPointer(image)[0..<builder.byteCount]) }
    }

    /// Normal readings, bell-shaped (a sum of four uniform draws): temperature 20 ± 2 °C,
    /// humidity 50 ± 5 %RH, pressure 1013 ± 3 hPa.
    static func fill(_ sample: inout RetrainSample, count: Int, seed: UInt64 = 3) {
        var random = LearnRandom(seed: seed, stream: 99)
        func bell(_ center: Int32, _ spread: UInt64) -> Int32 {
            var sum: Int64 = 0
            for _ in 0..<4 { sum += Int64(random.below(spread)) }
            return center + Int32(sum / 2) - Int32(spread)
        }
        for _ in 0..<count {
            var v = FeatureVector()
            v[.temperature] = bell(20_000, 2_000)
            v[.humidity] = bell(50_000, 5_000)
            v[.pressure] = bell(1_013_000, 3_000)
            sample.observe(v, forest: nil)
        }
    }

    func makeHigh() -> Bench {
        let bench = Bench(rows: ProfileHigh.retrainSampleCount, features: ProfileHigh.modelCapacity.features,
                          trees: ProfileHigh.retrainTreeCount, nodes: ProfileHigh.modelCapacity.nodes)
        Self.fill(&bench.sample, count: 1_000)
        return bench
    }

    func testBuildsAValidVersion2ModelForTheProfile() throws {
        let bench = makeHigh()
        XCTAssertEqual(bench.sample.count, 1_000)
        XCTAssertEqual(bench.sample.featureCount, 3)
        XCTAssertTrue(bench.builder.build(sample: bench.sample, into: bench.image, profile: "high", seed: 42))
        let model = try XCTUnwrap(bench.model)
        XCTAssertEqual(model.version, 2)
        XCTAssertEqual(model.treeCount, 100)
        XCTAssertEqual(model.sampleSize, 256)
        XCTAssertEqual(model.featureCount, 3)
        XCTAssertLessThanOrEqual(model.maxDepth, 8)
        XCTAssertEqual(model.cPsiQ16, PathLength.cQ16(256))
        XCTAssertNil(ProfileHigh.modelCapacity.check(model, profile: "high"), "the learned model passes the checks of a model file")
        XCTAssertEqual(model.featureCoreCode(1), Feature.humidity.rawValue)
        // About 5 % of the sample is flagged (the contamination rule, ties aside).
        var flagged = 0
        for i in 0..<bench.sample.count where model.score(inputs: bench.sample.row(i)).anomaly { flagged += 1 }
        XCTAssertGreaterThanOrEqual(flagged, 40)
        XCTAssertLessThanOrEqual(flagged, 60)
    }

    func testSameSeedSameBytesOtherSeedOtherBytes() {
        let a = makeHigh(), b = makeHigh(), c = makeHigh()
        XCTAssertTrue(a.builder.build(sample: a.sample, into: a.image, profile: "high", seed: 7))
        XCTAssertTrue(b.builder.build(sample: b.sample, into: b.image, profile: "high", seed: 7))
        XCTAssertTrue(c.builder.build(sample: c.sample, into: c.image, profile: "high", seed: 8))
        XCTAssertEqual(a.bytes, b.bytes)
        XCTAssertNotEqual(a.bytes, c.bytes)
    }

    func testStepsEqualTheOneShotBuild() {
        let once = makeHigh(), sliced = makeHigh()
        XCTAssertTrue(once.builder.build(sample: once.sample, into: once.image, profile: "high", seed: 5))
        XCTAssertTrue(sliced.builder.start(sample: sliced.sample, into: sliced.image, profile: "high", seed: 5))
        var steps = 0
        while !sliced.builder.step(budget: 37) {
            steps += 1
            XCTAssertNotEqual(sliced.builder.phase, .failed)
            if steps > 100_000 { break }
        }
        XCTAssertGreaterThan(steps, 100, "the build was spread over many steps")
        XCTAssertEqual(once.bytes, sliced.bytes)
    }

    func testOutliersScoreAboveInliers() throws {
        let bench = makeHigh()
        XCTAssertTrue(bench.builder.build(sample: bench.sample, into: bench.image, profile: "high", seed: 1))
        let model = try XCTUnwrap(bench.model)
        func score(_ t: Int32, _ h: Int32, _ p: Int32) -> ForestScore {
            var v = FeatureVector()
            v[.temperature] = t
            v[.humidity] = h
            v[.pressure] = p
            return model.score(core: v)!
        }
        let inlier = score(20_000, 50_000, 1_013_000)
        let hot = score(45_000, 50_000, 1_013_000)
        let dry = score(20_000, 5_000, 1_013_000)
        XCTAssertFalse(inlier.anomaly)
        XCTAssertTrue(hot.anomaly)
        XCTAssertTrue(dry.anomaly)
        XCTAssertGreaterThan(hot.scoreQ16, inlier.scoreQ16 + 6_000)
        XCTAssertGreaterThan(dry.scoreQ16, inlier.scoreQ16 + 6_000)
    }

    func testRefusesTooSmallASample() {
        let bench = Bench(rows: 200, features: 8, trees: 16, nodes: 1024)
        Self.fill(&bench.sample, count: ForestBuilder.minimumRows - 1)
        XCTAssertFalse(bench.builder.start(sample: bench.sample, into: bench.image, profile: "test", seed: 1))
        XCTAssertEqual(bench.builder.phase, .idle)
        Self.fill(&bench.sample, count: 1)
        XCTAssertTrue(bench.builder.start(sample: bench.sample, into: bench.image, profile: "test", seed: 1))
    }

    func testKeepsTheNodeCapacity() throws {
        // 16 trees of ψ = 200 could take 16 × 399 nodes; the slot holds 300.
        let bench = Bench(rows: 200, features: 8, trees: 16, nodes: 300)
        Self.fill(&bench.sample, count: 200)
        XCTAssertTrue(bench.builder.build(sample: bench.sample, into: bench.image, profile: "test", seed: 2))
        let model = try XCTUnwrap(bench.model)
        XCTAssertLessThanOrEqual(model.nodeCount, 300)
        XCTAssertGreaterThan(model.nodeCount, 250)
        XCTAssertEqual(model.treeCount, 16)
    }

    func testSampleUsesTheRunningModelsInputsAndWindow() throws {
        let bench = makeHigh()
        XCTAssertTrue(bench.builder.build(sample: bench.sample, into: bench.image, profile: "high", seed: 1))
        let model = try XCTUnwrap(bench.model)
        var sample = RetrainSample(arena: &bench.arena, capacity: 100, featureCapacity: 32)
        sample.reset(window: 10)
        sample.frozen = false
        var v = FeatureVector()
        v[.temperature] = 21_000
        sample.observe(v, forest: model)
        XCTAssertEqual(sample.count, 0, "a reading without every input of the model is skipped")
        XCTAssertEqual(sample.featureCount, 3)
        v[.humidity] = 40_000
        v[.pressure] = 1_000_000
        v[.power] = 5
        for _ in 0..<25 { sample.observe(v, forest: model) }
        XCTAssertEqual(sample.count, 10, "the window")
        XCTAssertEqual(Array(UnsafeBufferPointer(start: sample.row(9), count: 3)), [21_000, 40_000, 1_000_000])
        XCTAssertEqual(Array(sample.featureEntries), Array(UnsafeRawBufferPointer(start: model.base + model.featureOffset(0), count: 60)))
        sample.frozen = true
        v[.temperature] = 1
        sample.observe(v, forest: model)
        XCTAssertEqual(sample.row(0)[0], 21_000, "a frozen sample takes no row")
    }

    /// The build of outpost-bench's `retrain_ms_high` and the firmware's `--self-test` (uniform
    /// rows from LearnRandom(3, 99), seed 5): its CRC-32C is the same on every machine
    /// (Sources/outpost/RetrainBench.swift `goldenCRC`, checked under qemu by the self-test).
    func testGoldenImage() {
        let bench = Bench(rows: 1_000, features: 3, trees: 100, nodes: 32_768)
        var random = LearnRandom(seed: 3, stream: 99)
        for _ in 0..<1_000 {
            var v = FeatureVector()
            v[.temperature] = 18_000 + Int32(random.below(4_000))
            v[.humidity] = 45_000 + Int32(random.below(10_000))
            v[.pressure] = 1_010_000 + Int32(random.below(6_000))
            bench.sample.observe(v, forest: nil)
        }
        XCTAssertTrue(bench.builder.build(sample: bench.sample, into: bench.image, profile: "high", seed: 5))
        XCTAssertEqual(bench.builder.nodeCount, 19_790)
        XCTAssertEqual(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bench.image)[0..<bench.builder.byteCount])), 0x4867_4BC7)
    }

    func testBuildAllocatesNothing() {
        let bench = makeHigh()
        // Warm-up outside the count (lazily initialised globals).
        XCTAssertTrue(bench.builder.build(sample: bench.sample, into: bench.image, profile: "high", seed: 1))
        malloc_counter_start()
        let built = bench.builder.build(sample: bench.sample, into: bench.image, profile: "high", seed: 2)
        let allocations = malloc_counter_stop()
        XCTAssertTrue(built)
        XCTAssertEqual(allocations, 0)
    }
}
