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
    public static let footprintLimitBytes = 64 * 1024
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
    // 7936, not 8192: room for the two threshold overrides within 64 KiB (the test profile's
    // largest body, /metrics, is about 3.5 KiB).
    public static let responseBodyBytes = 7936
    // One small Block2 copy, as the footprint limit is 64 KiB: /health (about 520 bytes) fits,
    // /metrics is sent as rendered, block by block. (752, not 768: the server's forbidden-write
    // counter took the last 8 bytes under the limit; 688, not 752: the sensor table's
    // per-index generations and the eviction setting and counter took 49 more.)
    public static let block2SnapshotCount = 1
    public static let block2SnapshotBytes = 688
    // HTTP: small buffers, so tests reach the limits and the eviction with few connections.
    public static let httpConnectionCount = 4
    public static let httpRequestBytes = 1024
    public static let httpResponseBytes = 8192
    public static let httpEventStreamCount = 2
    public static let commandSlotCount = 4
    public static let commandPayloadBytes = 64
    // Two threshold overrides: enough for the pattern tests (a freezer and an oven rule).
    public static let thresholdOverrideCount = 2
}
