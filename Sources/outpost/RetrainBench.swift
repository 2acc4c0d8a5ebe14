#if !OUTPOST_PROFILE_LOW
import CHAL
import OutpostCore
import OutpostProfiles

/// `outpost --bench-retrain`: one on-board retrain at this profile's sizes (`ForestBuilder`:
/// `retrainTreeCount` trees from `retrainSampleCount` readings of three quantities), timed on the
/// machine it runs on, best of 5 (seeds 1...5). Prints `retrain_ms_<profile> MS`, and the
/// last build's `retrain_nodes N` and `retrain_crc32c 0x…`.
///
/// Everything is carved before `chal_startup_complete`, which starts a preloaded malloc counter
/// (scripts/bench.sh runs the aarch64 firmware under qemu with one), and `chal_shutdown_begin`
/// stops it after the builds: the count covers exactly the five builds. The sample is the one of
/// outpost-bench's `retrain_ms_high` (uniform readings from LearnRandom seed 3).
enum RetrainBench {
    /// CRC-32C of the image built from `fill`'s 1 000 rows with seed 5 at the high profile's sizes
    /// (100 trees, 32 768 nodes): the same on x86_64 (outpost-bench, ForestBuilderTests) and on
    /// the boards (`--self-test` under qemu), which proves the build is the same everywhere.
    static let goldenCRC: UInt32 = 0x4867_4BC7

    /// The benchmark's sample: 1 000 readings of temperature, humidity and pressure, uniform in
    /// 18–22 °C, 45–55 %RH, 1010–1016 hPa, from LearnRandom(seed 3, stream 99).
    static func fill(_ sample: inout RetrainSample) {
        sample.frozen = false
        var random = LearnRandom(seed: 3, stream: 99)
        // One reading per sample row.
        for _ in 0..<sample.capacity {
            var v = FeatureVector()
            v[.temperature] = 18_000 &+ Int32(truncatingIfNeeded: Int64(bitPattern: random.below(4_000)))
            v[.humidity] = 45_000 &+ Int32(truncatingIfNeeded: Int64(bitPattern: random.below(10_000)))
            v[.pressure] = 1_010_000 &+ Int32(truncatingIfNeeded: Int64(bitPattern: random.below(6_000)))
            sample.observe(v, forest: nil)
        }
    }

    /// The golden build (`goldenCRC`) on this machine; true when the profile does not learn.
    static func checkGolden(_ arena: inout Arena) -> Bool {
        typealias P = ActiveProfile
        if P.retrainSampleCount < 1_000 || P.retrainTreeCount != 100 { return true }
        var sample = RetrainSample(arena: &arena, capacity: 1_000, featureCapacity: 3)
        var builder = ForestBuilder(arena: &arena, sampleCapacity: 1_000, treeCount: 100, nodeCapacity: 32_768)
        let image = UnsafeMutableRawBufferPointer(arena.carve(builder.imageBytesMax(features: 3), of: UInt8(0)))
        fill(&sample)
        guard builder.build(sample: sample, into: image, profile: "high", seed: 5) else { return false }
        return CRC32C.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(image)[0..<builder.byteCount])) == goldenCRC
    }

    static func run(arena: inout Arena, out: inout Console, err: inout Console) -> Int32 {
        typealias P = ActiveProfile
        if P.retrainSampleCount == 0 {
            err.line("outpost: --bench-retrain: this profile does not learn on the board (retrainSampleCount 0)")
            return 2
        }
        var sample = RetrainSample(arena: &arena, capacity: P.retrainSampleCount, featureCapacity: P.modelCapacity.features)
        var builder = ForestBuilder(arena: &arena, sampleCapacity: P.retrainSampleCount, treeCount: P.retrainTreeCount, nodeCapacity: P.modelCapacity.nodes)
        let image = UnsafeMutableRawBufferPointer(arena.carve(builder.imageBytesMax(features: P.modelCapacity.features), of: UInt8(0)))
        fill(&sample)
        chal_startup_complete()
        var bestNs = Int64.max
        var built = true
        // Five timed builds, each with its own seed.
        for seed: UInt64 in 1...5 {
            let start = chal_monotonic_ns()
            built = builder.build(sample: sample, into: image, profile: P.name, seed: seed) && built
            let elapsed = chal_monotonic_ns() &- start
            if elapsed < bestNs { bestNs = elapsed }
        }
        chal_shutdown_begin()
        if !built {
            err.line("outpost: --bench-retrain: a build did not finish")
            return 1
        }
        out.reserve(96)
        out.writer.text("retrain_ms_")
        out.writer.text(P.name)
        out.writer.byte(0x20)
        let micros = bestNs / 1_000
        out.writer.integer(micros / 1_000)
        out.writer.byte(0x2E)
        let fraction = micros % 1_000
        if fraction < 100 { out.writer.byte(0x30) }
        if fraction < 10 { out.writer.byte(0x30) }
        out.writer.integer(fraction)
        out.writer.text("\nretrain_nodes ")
        out.writer.integer(builder.nodeCount.wide)
        // The last build (seed 5), whose bytes outpost-bench's build of the same sample and seed equals.
        out.writer.text("\nretrain_crc32c ")
        DaemonModel.writeHex(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(image)[0..<builder.byteCount])), &out.writer)
        out.writer.byte(0x0A)
        return 0
    }
}
#endif
