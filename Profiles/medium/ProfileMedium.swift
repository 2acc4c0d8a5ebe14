import CProfileModels
import OutpostCore

/// Medium devices (the default build): a 50-tree forest plus thresholds, all four windows.
public enum ProfileMedium: Profile {
    // 512 events: a whole 64-reading SenML pack (7 events reserved per reading) fits after a drain.
    public typealias Outbox = Ring<512, OutboxEvent>
    public static let name: StaticString = "medium"
    public static let sensorSlotCount = 128
    public static let batchSize = 50
    public static let windows = WindowSet.all
    public static var rules: ThresholdRules { ReferenceRules.standard }
    public static var modelBytes: UnsafeRawBufferPointer? {
        bakedModel(outpost_model_medium_bytes(), outpost_model_medium_size())
    }
    // A model file (`--model`) taken at run time: twice the baked 50-tree forest (5 774 nodes); two slots of 128.8 KiB.
    public static var modelCapacity: ModelCapacity { ModelCapacity(trees: 100, nodes: 16_384, features: 16) }
    // 1088 KiB: 1 MiB until the MQTT client's command names, the eviction notices, the quantity
    // value queue, the image transfers and the per-sensor history of context inputs joined the
    // core state (1 062 969 bytes with them).
    public static let footprintLimitBytes = 1088 * 1024
    // The platform's static arena (3 MiB: the log, the uplink, 16 DTLS sessions and the HTTP
    // server's 8 connections at once need more than 2): Makefile, Package.swift and CHAL repeat it
    // (ProfileFactsTests).
    public static let arenaBytes = 3_145_728
    public static var logGeometry: LogGeometry { LogGeometry.medium }
    // CoAP server.
    // Full cached answers for the most recent exchanges (byte for byte); older ones are
    // answered from the duplicate ledger.
    public static let duplicateEntryCount = 32
    // Reading requests per second recognised as duplicates for all of EXCHANGE_LIFETIME: the
    // ledger holds 40 × 256 s = 10240 records of 12 bytes (Profiles/README.md).
    public static let ratedRequestsPerSecond = 40
    public static let block1SlotCount = 4
    public static let block1SlotBytes = 4096
    public static let observerCount = 8
    public static let packReadingCapacity = 64
    // Values of quantities not detected on per pack (and queued for the log): 16 of 128 bytes
    // twice, inside the 1 MiB footprint.
    public static let packQuantityCapacity = 16
    public static let recentAlertCount = 64
    public static let responseBodyBytes = 16 * 1024
    // HTTP: /metrics with 96 sensors (five values, online and last-seen lines each) is about 55 KiB.
    public static let httpResponseBytes = 64 * 1024
    // Images: two uploads at once, up to 1 MiB each (written to the log as they come).
    public static let imageTransferCount = 2
    public static let imageBytesMax = 1024 * 1024
}
