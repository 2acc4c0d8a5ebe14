import CMallocCounter
import OutpostProfiles
import XCTest
@testable import OutpostCore

/// Context inputs (format version 3): the per-sensor history in fixed point, the loader's rules
/// for context kinds, the capacity check, and the pipeline scoring with each sensor's history.
final class ContextTests: XCTestCase {
    /// Inputs: temperature, its z-score, power's rate, temperature's lag 1. One tree splits on the
    /// z-score at 3 σ: above is a shallow leaf (an anomaly), below a deep one.
    static let inputs: [ReferenceForest.Input] = [
        .init(name: "temperature", decimals: 3, coreCode: 0),
        .init(name: "temperature", decimals: 3, coreCode: 0),
        .init(name: "power_consumption", decimals: 3, coreCode: 4),
        .init(name: "temperature", decimals: 3, coreCode: 0),
    ]
    static let kinds: [UInt8] = [0, 1, 2, 3]
    static let tree: [ModelBytes.RawNode] = [.split(1, 3_000, right: 2), .leaf(4 * 65536), .leaf(65536)]

    static func modelBytes(kinds: [UInt8] = kinds, version: UInt16 = 3, inputs: [ReferenceForest.Input] = inputs) -> [UInt8] {
        ModelBytes.encode(
            inputs: inputs, trees: [tree], sampleSize: 2, cPsiQ16: 65536, thresholdScoreQ16: 32768,
            pathSumThreshold: 65536, version: version, profile: "test", kinds: kinds)
    }

    func load(_ bytes: [UInt8]) -> Result<ForestModel, ModelError> {
        bytes.withUnsafeBytes { raw in Result { () throws(ModelError) in try ForestModel(bytes: raw) } }
    }

    // MARK: the history

    func testRunningMeanAndSigmaFollowTheSensor() {
        var context = FeatureContext.empty
        var count: UInt8 = 0
        // 200 values alternating 20 000 ± 500: mean 20 000, σ 500.
        for i in 0..<200 {
            context.fold(i % 2 == 0 ? 20_500 : 19_500, count: count)
            if count < 255 { count += 1 }
        }
        XCTAssertEqual(Double(context.meanQ4) / 16, 20_000, accuracy: 50)
        XCTAssertEqual(Double(context.sigmaQ4) / 16, 500, accuracy: 25)
        // 10 σ above the mean reads about 10 000 milli-σ.
        let z = context.input(.zScore, value: 25_000, timestampMs: 0, count: count, previousMs: 0)
        XCTAssertEqual(Double(z), 10_000, accuracy: 600)
        XCTAssertEqual(context.input(.lag1, value: 25_000, timestampMs: 0, count: count, previousMs: 0), 19_500)
        XCTAssertEqual(context.input(.value, value: 25_000, timestampMs: 0, count: count, previousMs: 0), 25_000)
        // Rate: from 19 500 to 20 500 in 500 ms is 2 000 units per second.
        XCTAssertEqual(context.input(.rate, value: 20_500, timestampMs: 1_500, count: count, previousMs: 1_000), 2_000)
        // Not after the previous reading: 0.
        XCTAssertEqual(context.input(.rate, value: 20_500, timestampMs: 1_000, count: count, previousMs: 1_000), 0)
    }

    func testAnAnomalyDoesNotBecomeTheNormalQuickly() {
        var context = FeatureContext.empty
        var count: UInt8 = 0
        for i in 0..<100 {
            context.fold(i % 2 == 0 ? 20_500 : 19_500, count: count)
            if count < 255 { count += 1 }
        }
        // 30 readings 15 °C off (30 σ): clipped, the mean moves by a few σ at most and σ widens
        // by less than half, so the anomaly stays far off to the end.
        for _ in 0..<30 {
            XCTAssertGreaterThan(context.input(.zScore, value: 35_000, timestampMs: 0, count: count, previousMs: 0), 15_000)
            context.fold(35_000, count: count)
        }
        XCTAssertLessThan(Double(context.meanQ4) / 16, 20_000 + 3 * 500)
        XCTAssertLessThan(Double(context.sigmaQ4) / 16, 1.5 * 500)
    }

    func testNoHistoryGivesNeutralInputs() {
        let context = FeatureContext.empty
        XCTAssertEqual(context.input(.zScore, value: 99_000, timestampMs: 5, count: 0, previousMs: Int64.min), 0)
        XCTAssertEqual(context.input(.rate, value: 99_000, timestampMs: 5, count: 0, previousMs: Int64.min), 0)
        XCTAssertEqual(context.input(.lag1, value: 99_000, timestampMs: 5, count: 0, previousMs: Int64.min), 99_000)
        // During the warm-up the z-score stays 0.
        var warming = FeatureContext.empty
        for count in 0..<UInt8(7) { warming.fold(Int32(count) * 1000, count: count) }
        XCTAssertEqual(warming.input(.zScore, value: 500_000, timestampMs: 5, count: 7, previousMs: 0), 0)
    }

    func testExtremeValuesSaturateWithoutTrapping() {
        var context = FeatureContext.empty
        var count: UInt8 = 0
        for i in 0..<300 {
            context.fold(i % 2 == 0 ? Int32.max : Int32.min, count: count)
            if count < 255 { count += 1 }
        }
        let z = context.input(.zScore, value: Int32.max, timestampMs: 0, count: count, previousMs: 0)
        XCTAssertLessThanOrEqual(abs(Int64(z)), FeatureContext.zLimitMilli)
        // A constant sensor: σ is floored at one core unit, the z-score clamped.
        var constant = FeatureContext.empty
        for c in 0..<UInt8(20) { constant.fold(1_000, count: c) }
        XCTAssertEqual(constant.input(.zScore, value: Int32.max, timestampMs: 0, count: 20, previousMs: 0), Int32(FeatureContext.zLimitMilli))
        XCTAssertEqual(constant.input(.rate, value: Int32.max, timestampMs: 1, count: 20, previousMs: 0), Int32.max)
    }

    func testSquareRootIsExact() {
        for (value, root) in [(UInt64(0), Int64(0)), (1, 1), (2, 1), (3, 1), (4, 2), (24, 4), (25, 5), (1_000_000_000_000, 1_000_000)] {
            XCTAssertEqual(FeatureContext.squareRoot(value), root, "\(value)")
        }
        XCTAssertEqual(FeatureContext.squareRoot(UInt64.max), 4_294_967_295)
        // σ (the floating-point root, corrected) equals the bitwise root for every variance.
        var generator = SystemRandomNumberGenerator()
        for variance in [UInt32(0), 1, 255, 256, 65_535, 65_536, UInt32.max, UInt32.max - 1] + (0..<2_000).map({ _ in UInt32.random(in: 0...UInt32.max, using: &generator) }) {
            let context = FeatureContext(meanQ4: 0, variance: variance, previous: 0)
            XCTAssertEqual(context.sigmaQ4, max(FeatureContext.squareRoot(UInt64(variance) << 8), FeatureContext.sigmaFloorQ4), "\(variance)")
        }
        for k in UInt64(1)..<UInt64(1 << 16) where (k * k) >> 8 < UInt64(UInt32.max) {
            // Perfect squares and their neighbours, where a rounded root could be off by one.
            for variance in [(k * k) >> 8, ((k * k) >> 8) + 1] {
                let context = FeatureContext(meanQ4: 0, variance: UInt32(variance), previous: 0)
                XCTAssertEqual(context.sigmaQ4, max(FeatureContext.squareRoot(variance << 8), FeatureContext.sigmaFloorQ4))
            }
        }
    }

    // MARK: the format

    func testVersion3LoadsItsKinds() throws {
        let model = try load(ContextTests.modelBytes()).get()
        XCTAssertEqual(model.version, 3)
        XCTAssertTrue(model.usesContext)
        XCTAssertEqual((0..<4).map { model.featureContextKind($0) }, [.value, .zScore, .rate, .lag1])
        XCTAssertNotNil(model.profileName)
        // A version 3 model of values only is valid and uses no context.
        let plain = try load(ContextTests.modelBytes(kinds: [0, 0, 0, 0])).get()
        XCTAssertFalse(plain.usesContext)
    }

    func testUnknownKindsAreRefusedByName() {
        XCTAssertEqual(load(ContextTests.modelBytes(kinds: [0, 4, 0, 0])).failure, .unknownContextKind(feature: 1, kind: 4))
        XCTAssertEqual(load(ContextTests.modelBytes(kinds: [0, 0, 0, 0xFF])).failure, .unknownContextKind(feature: 3, kind: 0xFF))
    }

    func testKindsOutsideVersion3OrOnOtherInputsAreMalformed() {
        // Version 2 keeps the byte reserved.
        XCTAssertEqual(load(ContextTests.modelBytes(version: 2)).failure, .malformed)
        // History is kept for the core's quantities only.
        var inputs = ContextTests.inputs
        inputs[1] = .init(name: "co2", decimals: 3, coreCode: 0xFF)
        XCTAssertEqual(load(ContextTests.modelBytes(inputs: inputs)).failure, .malformed)
        // The second reserved byte stays 0.
        var bytes = ContextTests.modelBytes()
        bytes[56 + 20 + 3] = 1
        ModelBytes.reseal(&bytes)
        XCTAssertEqual(load(bytes).failure, .malformed)
    }

    func testCapacityWithoutContextRefusesContextInputs() throws {
        let bytes = ContextTests.modelBytes()
        let model = try load(bytes).get()
        XCTAssertNil(ModelCapacity(trees: 16, nodes: 1_024, features: 8).check(model, profile: "test"))
        let mismatch = ModelCapacity(trees: 16, nodes: 1_024, features: 8, contextInputs: false).check(model, profile: "test")
        XCTAssertEqual(mismatch, .contextNotInBuild(index: 1))
        var text = [UInt8](repeating: 0, count: 256)
        let written = text.withUnsafeMutableBytes { out in
            var w = TextWriter(buffer: out)
            bytes.withUnsafeBytes { mismatch!.write(file: $0, profile: "test", into: &w) }
            return w.count
        }
        XCTAssertEqual(String(decoding: text[0..<written], as: UTF8.self), "model feature 1 'temperature' is a context input (z), which profile test does not keep")
        // Every profile that takes model files keeps context; the low profile keeps none.
        XCTAssertEqual(ProfileLow.contextSensorCount, 0)
        XCTAssertEqual(ProfileMedium.contextSensorCount, ProfileMedium.sensorCapacity)
        XCTAssertEqual(ProfileHigh.contextSensorCount, ProfileHigh.sensorCapacity)
    }

    // MARK: the pipeline

    /// A model with context inputs installed in the test profile's pipeline.
    final class ContextPipeline {
        let storage: UnsafeMutableRawBufferPointer
        let harness = PipelineHarness<ProfileTest>()
        let model: ForestModel

        init(_ bytes: [UInt8] = ContextTests.modelBytes()) throws {
            storage = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 16)
            storage.copyBytes(from: bytes)
            model = try ForestModel(bytes: UnsafeRawBufferPointer(storage))
            harness.pipeline.install(model, nowMs: 0)
        }

        deinit { storage.deallocate() }

        func reading(_ sensor: StaticString, _ timestampMs: Int64, temperature: Int32, power: Int32 = 100_000) -> Reading {
            var reading = Reading(sensor: SensorName(sensor), timestampMs: timestampMs)
            reading.features[.temperature] = temperature
            reading.features[.power] = power
            return reading
        }

        /// Processes `reading` and returns its score and decision.
        func process(_ reading: Reading) -> (scoreQ16: UInt16, anomaly: Bool) {
            guard case .accepted(let processed) = harness.pipeline.process(reading) else {
                XCTFail("refused")
                return (0, false)
            }
            while harness.pipeline.outbox.popFirst() != nil {}
            return (processed.scoreQ16, processed.anomaly)
        }
    }

    func testASensorOffItsOwnNormalIsFlaggedWhereTheFleetsNormalIsNot() throws {
        let p = try ContextPipeline()
        // A freezer at −18 °C and an oven room at 35 °C, each steady around its own level.
        for i in 0..<40 {
            let t = 1_767_225_600_000 + Int64(i) * 1_000
            let jitter: Int32 = i % 2 == 0 ? 300 : -300
            XCTAssertFalse(p.process(p.reading("freezer", t, temperature: -18_000 + jitter)).anomaly, "freezer \(i)")
            XCTAssertFalse(p.process(p.reading("oven", t, temperature: 35_000 + jitter)).anomaly, "oven \(i)")
        }
        // 5 °C is normal for neither's fleet-wide view, but the freezer warming by 13 °C is far off its own mean.
        let t: Int64 = 1_767_225_600_000 + 40_000
        XCTAssertTrue(p.process(p.reading("freezer", t, temperature: -5_000)).anomaly)
        XCTAssertFalse(p.process(p.reading("oven", t, temperature: 35_100)).anomaly)
    }

    func testPipelineScoresAreTheRowBuildersScores() throws {
        let p = try ContextPipeline()
        var source = ReadingSource(seed: 11)
        var contexts = [SensorContext](repeating: .empty, count: 4)
        var newest = [Int64](repeating: Int64.min, count: 4)
        var anomalies = 0
        for i in 0..<400 {
            let sensor = i % 4
            let reading = source.reading(sensor: sensor, timestampMs: 1_767_225_600_000 + Int64(i / 4) * 1_000 + Int64(i % 3))
            var row = InlineArray<64, Int32>(repeating: 0)
            XCTAssertTrue(p.model.inputRow(core: reading.features, timestampMs: reading.timestampMs, previousMs: newest[sensor], context: &contexts[sensor], into: &row))
            newest[sensor] = max(newest[sensor], reading.timestampMs)
            let expected = row.span.withUnsafeBufferPointer { p.model.score(inputs: $0.baseAddress!) }
            let got = p.process(reading)
            XCTAssertEqual(got.scoreQ16, expected.scoreQ16, "reading \(i)")
            XCTAssertEqual(got.anomaly, expected.anomaly, "reading \(i)")
            if got.anomaly { anomalies += 1 }
        }
        XCTAssertGreaterThan(anomalies, 0, "the test data has outliers the z-score catches")
    }

    func testInstallStartsFreshHistory() throws {
        let p = try ContextPipeline()
        for i in 0..<20 { _ = p.process(p.reading("s", Int64(i) * 1_000, temperature: 20_000 + Int32(i % 2) * 100)) }
        XCTAssertEqual(p.harness.pipeline.contexts.pointer(sensor: 0).pointee.counts[0], 20)
        p.harness.pipeline.install(p.model, nowMs: 0)
        XCTAssertEqual(p.harness.pipeline.contexts.pointer(sensor: 0).pointee.counts[0], 0)
    }

    func testScoringWithContextAllocatesNothing() throws {
        let p = try ContextPipeline()
        var source = ReadingSource(seed: 5)
        let count = 20_000
        let readings = UnsafeMutableBufferPointer<Reading>.allocate(capacity: count)
        defer { readings.deallocate() }
        for i in 0..<count { readings[i] = source.reading(sensor: i % 5, timestampMs: 1_767_225_600_000 + Int64(i / 5) * 1_000) }
        _ = p.harness.pipeline.process(readings[0])
        while p.harness.pipeline.outbox.popFirst() != nil {}
        malloc_counter_start()
        for i in 1..<count {
            _ = p.harness.pipeline.process(readings[i])
            while p.harness.pipeline.outbox.popFirst() != nil {}
        }
        let allocations = malloc_counter_stop()
        XCTAssertEqual(allocations, 0)
        XCTAssertEqual(p.harness.pipeline.counters.readingsAccepted, UInt64(count))
        XCTAssertGreaterThan(p.harness.pipeline.contexts.pointer(sensor: 0).pointee.counts[0], 200)
    }
}

extension Result {
    /// The error of a failure, nil for a success.
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
