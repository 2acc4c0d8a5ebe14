import CMallocCounter
import OutpostCore
import OutpostProfiles

/// `retrain_ms_high`: one on-board retrain (`ForestBuilder`) at the high profile's sizes — 100
/// trees from a sample of 1 000 readings of three quantities — in one go, best of N, and the heap
/// allocations it made (0: it builds in the arena). The firmware's `--bench-retrain` does the same
/// build on the board (scripts/bench.sh runs it under qemu-aarch64).
enum RetrainBench {
    static func run(repetitions: Int, into report: inout BenchReport) {
        let bytes = 2 << 20
        let base = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { base.deallocate() }
        base.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        var arena = Arena(base: base, sizeBytes: bytes)
        typealias P = ProfileHigh
        var sample = RetrainSample(arena: &arena, capacity: P.retrainSampleCount, featureCapacity: P.modelCapacity.features)
        var builder = ForestBuilder(arena: &arena, sampleCapacity: P.retrainSampleCount, treeCount: P.retrainTreeCount, nodeCapacity: P.modelCapacity.nodes)
        let image = UnsafeMutableRawBufferPointer(arena.carve(builder.imageBytesMax(features: P.modelCapacity.features), of: UInt8(0)))
        sample.frozen = false
        var random = LearnRandom(seed: 3, stream: 99)
        for _ in 0..<P.retrainSampleCount {
            var v = FeatureVector()
            v[.temperature] = 18_000 + Int32(random.below(4_000))
            v[.humidity] = 45_000 + Int32(random.below(10_000))
            v[.pressure] = 1_010_000 + Int32(random.below(6_000))
            sample.observe(v, forest: nil)
        }
        // Warm-up (lazily initialised globals), then the timed builds.
        guard builder.build(sample: sample, into: image, profile: P.name, seed: 5) else {
            report.missing("retrain_ms_high", reason: "the build did not finish")
            return
        }
        // Seeds 1...5 as the firmware's `--bench-retrain`: the last image is the one it prints the CRC of.
        var seed: UInt64 = 0
        malloc_counter_start()
        let ns = BenchClock.bestNs(repetitions: repetitions) {
            seed &+= 1
            _ = builder.build(sample: sample, into: image, profile: P.name, seed: seed)
        }
        let allocations = malloc_counter_stop()
        let crc = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(image)[0..<builder.byteCount]))
        note("retrain high: \(sample.count) rows, \(builder.treeCount) trees; seed \(seed): \(builder.nodeCount) nodes, \(builder.byteCount) bytes, crc32c 0x" + String(crc, radix: 16))
        report.add("retrain_ms_high", Double(ns) / 1e6)
        report.add("retrain_allocations_high", Double(allocations))
    }
}
