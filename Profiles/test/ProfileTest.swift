import CProfileModels
import OutpostCore

/// A tiny profile for tests: capacities small enough that wrap-around and table-full paths run,
/// a debounce of 2 and a 10-tree forest.
public enum ProfileTest: Profile {
    public typealias Outbox = Ring<32, OutboxEvent>
    public static let name: StaticString = "test"
    public static let sensorSlotCount = 8
    public static let batchSize = 4
    public static let windows = WindowSet.all
    public static var rules: ThresholdRules {
        var rules = ReferenceRules.standard
        rules.debounceCount = 2
        var temperature = rules[.temperature]
        temperature.rateMaxPerSecond = 10_000
        rules.set(.temperature, temperature)
        return rules
    }
    public static var modelBytes: UnsafeRawBufferPointer? {
        bakedModel(outpost_model_test_bytes(), outpost_model_test_size())
    }
    // A model file (`--model`) taken at run time: the baked 10-tree forest (524 nodes) and a little more; two slots of 8.6 KiB.
    public static var modelCapacity: ModelCapacity { ModelCapacity(trees: 16, nodes: 1_024, features: 8) }
    // 72 KiB: the low profile's 64 KiB plus the command queue, its event ring and observers,
    // the eviction notices, quantity values and image transfers (about 6 KiB at the test sizes);
    // the test profile carries every table, small.
    public static let footprintLimitBytes = 72 * 1024
    // The platform's static arena (256 KiB): Makefile, Package.swift and CHAL repeat it (ProfileFactsTests).
    public static let arenaBytes = 262_144
    public static var logGeometry: LogGeometry { LogGeometry.test }
    // CoAP server: tables small enough that eviction and exhaustion paths run.
    public static let duplicateEntryCount = 4
    // The ledger holds 48 records (about 0.19 requests/s over 256 s, below one request per
    // second, so it is given as a record count): eviction paths run in tests, within 64 KiB.
    public static let duplicateRecordCount = 48
    public static let ratedRequestsPerSecond = 0
    public static let block1SlotCount = 2
    public static let block1SlotBytes = 512
    public static let observerCount = 2
    /// DTLS sessions and key-file identities (docs/SECURITY.md).
    public static let dtlsSessionCount = 4
    public static let pskIdentityCount = 8
    public static let packReadingCapacity = 4
    public static let recentAlertCount = 8
    // 7 KiB, not 8: the source table (fair service, docs/SECURITY.md §7) took the rest under 64 KiB;
    // the test profile's /metrics still fits whole (ServerResourceTests).
    public static let responseBodyBytes = 7168
    // One small Block2 copy: /health (about 790 bytes with the model, the source drops and the
    // sensor evictions) fits with room for its counters to grow; /metrics is sent as rendered,
    // block by block (ServerBlock2Tests transfer /health through this one copy).
    public static let block2SnapshotCount = 1
    public static let block2SnapshotBytes = 896
    // HTTP: small buffers, so tests reach the limits and the eviction with few connections.
    public static let httpConnectionCount = 4
    public static let httpRequestBytes = 1024
    public static let httpResponseBytes = 8192
    public static let httpEventStreamCount = 2
    public static let commandSlotCount = 4
    public static let commandPayloadBytes = 64
    // Two threshold overrides: enough for the pattern tests (a freezer and an oven rule).
    public static let thresholdOverrideCount = 2
    // No per-source duplicate cap: this ledger (48 records, rated for 0 requests/s) is below any
    // load, so a cap of a quarter would refuse most of the tests' traffic; the medium profile's
    // ledger is where the cap is tested (ServerSensorReclaimTests).
    public static let sourceDuplicatePercent = 0
    // Small, so the tests reach the limits of the quantity value path (a pack, the queue, the names).
    public static let packQuantityCapacity = 4
    public static let quantityNameCount = 4
    // Two uploads at once, up to 4 KiB: the limit is reached in a few blocks.
    public static let imageTransferCount = 2
    public static let imageBytesMax = 4096
}
