import OutpostProfiles
import XCTest
@testable import OutpostCore

/// Model files at run time: format version 2, the checks against the profile with their exact
/// messages, and the two-slot swap that never lets a reading see half a model.
final class ModelSlotsTests: XCTestCase {
    typealias RawNode = ModelBytes.RawNode

    static let core: [ReferenceForest.Input] = ForestModelTests.goldenInputs

    /// The golden forest (docs example trees), named for `profile`.
    static func golden(profile: String? = "test", inputs: [ReferenceForest.Input] = core, trees: [[RawNode]]? = nil,
                       pathSumThreshold: Int64 = 227_667) -> [UInt8] {
        ModelBytes.encode(
            inputs: inputs, trees: trees ?? ForestModelTests.goldenTrees, sampleSize: 2, cPsiQ16: 65536,
            thresholdScoreQ16: 19661, pathSumThreshold: pathSumThreshold, profile: profile)
    }

    /// Another model for the same profile: one tree, every sample at h = 0.5 (score 0.707, an anomaly).
    static func other() -> [UInt8] {
        golden(trees: [[.split(0, 0, right: 2), .leaf(32768), .leaf(32768)]], pathSumThreshold: 40_000)
    }

    /// A scratch arena of `bytes` for the slots.
    final class Memory {
        let base: UnsafeMutableRawPointer
        var arena: Arena
        init(bytes: Int) {
            base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            arena = Arena(base: base, sizeBytes: bytes)
        }
        deinit { base.deallocate() }
    }

    func makeSlots(_ capacity: ModelCapacity = ProfileTest.modelCapacity) -> (Memory, ModelSlots) {
        let memory = Memory(bytes: ModelSlots.arenaBytes(after: 0, capacity: capacity) + 64)
        let slots = ModelSlots(arena: &memory.arena, capacity: capacity)
        XCTAssertLessThanOrEqual(memory.arena.usedBytes, ModelSlots.arenaBytes(after: 0, capacity: capacity))
        return (memory, slots)
    }

    /// Copies `bytes` into the spare slot (as the daemon's read does) and takes them.
    func take(_ bytes: [UInt8], into slots: inout ModelSlots, profile: StaticString = ProfileTest.name) -> Result<ForestModel, ModelRefusal> {
        let spare = slots.spare
        let count = min(bytes.count, spare.count)
        spare.copyBytes(from: bytes[0..<count])
        do throws(ModelRefusal) {
            return .success(try slots.take(count: count, profile: profile))
        } catch {
            return .failure(error)
        }
    }

    /// The daemon's message for a refusal of `bytes`.
    func message(_ mismatch: ModelMismatch, _ bytes: [UInt8], profile: StaticString = ProfileTest.name) -> String {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 512, alignment: 1)
        defer { buffer.deallocate() }
        var writer = TextWriter(buffer: buffer)
        bytes.withUnsafeBytes { mismatch.write(file: $0, profile: profile, into: &writer) }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    func refusal(_ bytes: [UInt8]) -> ModelRefusal? {
        var (memory, slots) = makeSlots()
        defer { withExtendedLifetime(memory) {} }
        if case .failure(let refusal) = take(bytes, into: &slots) {
            XCTAssertEqual(slots.activeSlot, -1, "a refused file leaves no active slot")
            return refusal
        }
        return nil
    }

    func testVersion2LoadsWithItsProfileAndScoresAsVersion1() throws {
        let v2 = Self.golden()
        let v1 = Self.golden(profile: nil)
        XCTAssertEqual(v2.count, v1.count + 16)
        try v2.withUnsafeBytes { raw2 in
            try v1.withUnsafeBytes { raw1 in
                let m2 = try ForestModel(bytes: raw2)
                let m1 = try ForestModel(bytes: raw1)
                XCTAssertEqual(m2.version, 2)
                XCTAssertEqual(m1.version, 1)
                XCTAssertNil(m1.profileName)
                XCTAssertEqual(Array(m2.profileName!), Array("test".utf8) + [UInt8](repeating: 0, count: 12))
                XCTAssertEqual(m2.checksum, UInt32(v2[v2.count - 4]) | UInt32(v2[v2.count - 3]) << 8 | UInt32(v2[v2.count - 2]) << 16 | UInt32(v2[v2.count - 1]) << 24)
                XCTAssertEqual(m2.byteCount, v2.count)
                XCTAssertEqual(Array(m2.featureName(1).prefix(8)), Array("humidity".utf8))
                for x0 in stride(from: Int32(-200), through: 200, by: 50) {
                    for x1 in stride(from: Int32(-100), through: 100, by: 25) {
                        let inputs: [Int32] = [x0, x1]
                        inputs.withUnsafeBufferPointer { p in
                            XCTAssertEqual(m2.score(inputs: p.baseAddress!), m1.score(inputs: p.baseAddress!))
                        }
                    }
                }
            }
        }
    }

    func testVersion2RulesOnTheProfileName() {
        var bytes = Self.golden()
        bytes[40] = 0  // empty name
        ModelBytes.reseal(&bytes)
        XCTAssertEqual(refusal(bytes), .format(.malformed))
        bytes = Self.golden()
        bytes[42] = 0x07  // not printable
        ModelBytes.reseal(&bytes)
        XCTAssertEqual(refusal(bytes), .format(.malformed))
        bytes = Self.golden()
        ModelBytes.set(&bytes, at: 6, UInt16(40))  // version 2 with version 1's header size
        ModelBytes.reseal(&bytes)
        XCTAssertEqual(refusal(bytes), .format(.malformed))
    }

    func testVersion1IsRefusedForNamingNoProfile() {
        let bytes = Self.golden(profile: nil)
        XCTAssertEqual(refusal(bytes), .mismatch(.noProfileName))
        XCTAssertEqual(
            message(.noProfileName, bytes),
            "model format version 1 names no profile; write it in version 2 with `outpost-tool train --profile test` (or `outpost-tool import --profile test`)")
    }

    func testOtherProfileIsRefusedByName() {
        let bytes = Self.golden(profile: "high")
        XCTAssertEqual(refusal(bytes), .mismatch(.otherProfile))
        XCTAssertEqual(message(.otherProfile, bytes), "model was made for profile high, this build is profile test")
        // A prefix of the name is another name.
        XCTAssertEqual(refusal(Self.golden(profile: "tes")), .mismatch(.otherProfile))
        XCTAssertEqual(refusal(Self.golden(profile: "tests")), .mismatch(.otherProfile))
    }

    func testTooManyTreesSaysHowMany() {
        let tree: [RawNode] = [.split(0, 0, right: 2), .leaf(65536), .leaf(65536)]
        let bytes = Self.golden(trees: [[RawNode]](repeating: tree, count: 17))
        XCTAssertEqual(refusal(bytes), .mismatch(.trees(count: 17, limit: 16)))
        XCTAssertEqual(message(.trees(count: 17, limit: 16), bytes), "model has 17 trees, profile test holds 16")
        XCTAssertNil(refusal(Self.golden(trees: [[RawNode]](repeating: tree, count: 16))), "16 trees fit")
    }

    func testTooManyFeaturesSaysHowMany() {
        let names = ["temperature", "humidity", "pressure", "vibration", "power_consumption", "a", "b", "c", "d"]
        let inputs = names.enumerated().map { ReferenceForest.Input(name: $1, decimals: 3, coreCode: $0 < 5 ? UInt8($0) : 0xFF) }
        let bytes = Self.golden(inputs: inputs)
        XCTAssertEqual(refusal(bytes), .mismatch(.features(count: 9, limit: 8)))
        XCTAssertEqual(message(.features(count: 9, limit: 8), bytes), "model has 9 features, profile test holds 8")
    }

    /// A file larger than the slot is judged by its header's counts before it is read whole.
    func testTooManyNodesIsSeenFromTheHeaderAlone() {
        var bytes = Self.golden()
        ModelBytes.set(&bytes, at: 16, UInt32(5000))
        bytes += [UInt8](repeating: 0, count: 5000 * 8)
        XCTAssertEqual(refusal(bytes), .mismatch(.nodes(count: 5000, limit: 1024)))
        XCTAssertEqual(message(.nodes(count: 5000, limit: 1024), bytes), "model has 5000 nodes, profile test holds 1024")
    }

    func testFileLongerThanItsModelIsMalformed() {
        XCTAssertEqual(refusal(Self.golden() + [0]), .format(.malformed))
        XCTAssertEqual(refusal([UInt8](repeating: 0x41, count: 20_000)), .format(.badMagic))
        XCTAssertEqual(refusal([]), .format(.tooShort))
    }

    func testInputThatIsNoQuantityIsNamed() {
        let inputs: [ReferenceForest.Input] = [.init(name: "temperature", decimals: 3, coreCode: 0), .init(name: "co2", decimals: 0, coreCode: 0xFF)]
        let bytes = Self.golden(inputs: inputs)
        XCTAssertEqual(refusal(bytes), .mismatch(.unknownFeature(index: 1)))
        XCTAssertEqual(
            message(.unknownFeature(index: 1), bytes),
            "model feature 1 'co2' is not a quantity this gateway detects on (temperature, humidity, pressure, vibration, power_consumption)")
        // A core code whose name disagrees is no quantity either.
        let liar: [ReferenceForest.Input] = [.init(name: "temperature", decimals: 3, coreCode: 0), .init(name: "humidity", decimals: 3, coreCode: 2)]
        XCTAssertEqual(refusal(Self.golden(inputs: liar)), .mismatch(.unknownFeature(index: 1)))
        // power_consumption is stored cut to 16 bytes, and that is its name.
        let power: [ReferenceForest.Input] = [.init(name: "power_consumption", decimals: 3, coreCode: 4), .init(name: "humidity", decimals: 3, coreCode: 1)]
        XCTAssertNil(refusal(Self.golden(inputs: power)))
    }

    func testLowProfileHoldsNoModel() {
        XCTAssertFalse(ProfileLow.modelCapacity.allowsModel)
        XCTAssertEqual(ModelSlots.arenaBytes(after: 0, capacity: ProfileLow.modelCapacity), 0)
        XCTAssertEqual(ProfileMedium.modelCapacity.check(trees: 120, nodes: 1, features: 1), .trees(count: 120, limit: 100))
    }

    /// The running model keeps its slot while the next file is read into the other; a taken file
    /// switches the slots, a refused one changes nothing, and the pipeline scores every reading
    /// with one whole model.
    func testSwapTakesTheWholeModelAndARefusedFileKeepsTheRunningOne() throws {
        var (memory, slots) = makeSlots()
        defer { withExtendedLifetime(memory) {} }
        let harness = PipelineHarness<ProfileTest>()
        XCTAssertEqual(harness.pipeline.modelOrigin, .baked)
        var reading = Reading(sensor: SensorName("s1"), timestampMs: 1_000)
        reading.features[.temperature] = 150
        reading.features[.humidity] = 60_000

        let first = try take(Self.golden(), into: &slots).get()
        XCTAssertEqual(slots.activeSlot, 0)
        harness.pipeline.install(first, nowMs: 5_000)
        let scoreFirst = first.score(core: reading.features)!
        guard case .accepted(let a) = harness.pipeline.process(reading) else { return XCTFail("refused") }
        XCTAssertEqual(a.scoreQ16, scoreFirst.scoreQ16)
        XCTAssertEqual(harness.pipeline.modelOrigin, .file)
        XCTAssertEqual(harness.pipeline.model.loadedS, 5)
        XCTAssertEqual(harness.pipeline.forest?.treeCount, 2)
        XCTAssertEqual(harness.pipeline.alerts.settings.anomalyThresholdQ16, 19661)

        // Reading the next file goes to the other slot: the running model is untouched.
        let activeBefore = Array(slots.active)
        let next = try take(Self.other(), into: &slots).get()
        XCTAssertEqual(slots.activeSlot, 1)
        XCTAssertEqual(Array(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(slots.spare)[0..<activeBefore.count])), activeBefore)
        XCTAssertEqual(first.score(core: reading.features), scoreFirst, "the old model still reads its own bytes")
        harness.pipeline.install(next, nowMs: 9_000)
        reading.timestampMs += 1_000
        guard case .accepted(let b) = harness.pipeline.process(reading) else { return XCTFail("refused") }
        XCTAssertEqual(b.scoreQ16, next.score(core: reading.features)!.scoreQ16)
        XCTAssertNotEqual(b.scoreQ16, a.scoreQ16)
        XCTAssertTrue(b.anomaly)
        XCTAssertEqual(harness.pipeline.forest?.checksum, next.checksum)

        // A damaged file: refused, the running model and its slot stay, the spare is reused.
        var damaged = Self.golden()
        damaged[damaged.count - 1] ^= 0xFF
        let runningBytes = Array(slots.active)
        XCTAssertEqual(take(damaged, into: &slots).map { _ in 0 }, .failure(.format(.badChecksum)))
        XCTAssertEqual(slots.activeSlot, 1)
        XCTAssertEqual(Array(slots.active), runningBytes)
        reading.timestampMs += 1_000
        guard case .accepted(let c) = harness.pipeline.process(reading) else { return XCTFail("refused") }
        XCTAssertEqual(c.scoreQ16, b.scoreQ16)
        // And the next good file lands in slot 0 again.
        _ = try take(Self.golden(), into: &slots).get()
        XCTAssertEqual(slots.activeSlot, 0)
    }
}
