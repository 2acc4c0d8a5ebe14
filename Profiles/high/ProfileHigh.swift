import CProfileModels
import OutpostCore

/// High-power gateways: a 100-tree forest plus thresholds, large tables, all four windows.
public enum ProfileHigh: Profile {
    public typealias Outbox = Ring<1024, OutboxEvent>
    public static let name: StaticString = "high"
    public static let sensorSlotCount = 512
    public static let batchSize = 200
    public static let windows = WindowSet.all
    public static var rules: ThresholdRules { ReferenceRules.standard }
    public static var modelBytes: UnsafeRawBufferPointer? {
        bakedModel(outpost_model_high_bytes(), outpost_model_high_size())
    }
    // A model file (`--model`) taken at run time: twice the baked 100-tree forest (12 108 nodes); two slots of 257 KiB.
    public static var modelCapacity: ModelCapacity { ModelCapacity(trees: 200, nodes: 32_768, features: 32) }
    // Learning on the board (`--retrain-every`): 1000 rows of 32 inputs (125 KiB) and 100 trees of ψ = 256.
    public static let retrainSampleCount = 1_000
    public static let retrainTreeCount = 100
    // 4160 KiB: 4 MiB until the eviction notices, quantity values, image transfers and the
    // per-sensor history of context inputs joined the core state (4 214 105 bytes with them).
    public static let footprintLimitBytes = 4160 * 1024
    // The platform's static arena (6 MiB): Makefile, Package.swift and CHAL repeat it (ProfileFactsTests).
    public static let arenaBytes = 6_291_456
    public static var logGeometry: LogGeometry { LogGeometry.high }
    // CoAP server.
    // Full cached answers for the most recent exchanges (byte for byte); older ones are
    // answered from the duplicate ledger.
    public static let duplicateEntryCount = 128
    // Reading requests per second recognised as duplicates for all of EXCHANGE_LIFETIME: the
    // ledger holds 200 × 256 s = 51200 records of 12 bytes (Profiles/README.md).
    public static let ratedRequestsPerSecond = 200
    public static let block1SlotCount = 8
    public static let block1SlotBytes = 8192
    public static let observerCount = 16
    /// DTLS sessions and key-file identities (docs/SECURITY.md).
    public static let dtlsSessionCount = 64
    public static let pskIdentityCount = 128
    public static let packReadingCapacity = 128
    public static let recentAlertCount = 128
    public static let responseBodyBytes = 48 * 1024
    // HTTP: /metrics with 384 sensors is about 210 KiB; fewer connections keep the buffers at 1.3 MiB.
    public static let httpConnectionCount = 6
    public static let httpResponseBytes = 224 * 1024
    public static let commandSlotCount = 64
    // Images: four uploads at once, up to 8 MiB each (written to the log as they come).
    public static let imageTransferCount = 4
    public static let imageBytesMax = 8 * 1024 * 1024
}
