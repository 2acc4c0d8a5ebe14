import OutpostCore

/// Low-power devices: threshold detector only, a small sensor table, 1 and 5 minute windows.
public enum ProfileLow: Profile {
    public typealias Outbox = Ring<64, OutboxEvent>
    public static let name: StaticString = "low"
    public static let sensorSlotCount = 16
    public static let batchSize = 10
    public static let windows = WindowSet.short
    public static var rules: ThresholdRules { ReferenceRules.simple }
    public static var modelBytes: UnsafeRawBufferPointer? { nil }
    public static let footprintLimitBytes = 64 * 1024
    // The platform's static arena (256 KiB): Makefile, Package.swift and CHAL repeat it (ProfileFactsTests).
    public static let arenaBytes = 262_144
    public static var logGeometry: LogGeometry { LogGeometry.low }
    // CoAP server: small datagrams and tables for a microcontroller-class board.
    public static let maxDatagramBytes = 512
    // Full cached answers for the most recent exchanges (byte for byte); older ones are
    // answered from the duplicate ledger. 7, not 8: the server's new tables (eviction, quantity,
    // image and fairness state, empty here but present) left the core state 57 bytes over 64 KiB.
    public static let duplicateEntryCount = 7
    // Reading requests per second recognised as duplicates for all of EXCHANGE_LIFETIME: the
    // ledger holds 2 × 256 s = 512 records of 12 bytes (Profiles/README.md).
    public static let ratedRequestsPerSecond = 2
    public static let block1SlotCount = 1
    public static let block1SlotBytes = 1024
    public static let observerCount = 2
    /// DTLS sessions and key-file identities (docs/SECURITY.md). The low firmware has no mbedTLS: it does not fit the size budget.
    public static let dtlsSessionCount = 0
    public static let pskIdentityCount = 0
    public static let packReadingCapacity = 8
    public static let recentAlertCount = 16
    // 4608, not 4096: /metrics (about 4.1 KiB with the sensor-eviction and command counters) must
    // fit whole (ServerResourceTests).
    public static let responseBodyBytes = 4608
    // One Block2 copy as large as the body scratch: /metrics still goes out in one
    // representation, within the 64 KiB footprint.
    public static let block2SnapshotCount = 1
    // HTTP: a scrape, the dashboard and one event stream; /metrics with 12 sensors is about 12 KiB.
    public static let httpConnectionCount = 3
    public static let httpRequestBytes = 1024
    public static let httpResponseBytes = 16 * 1024
    public static let httpEventStreamCount = 1
    // No commands: the aarch64 firmware must stay small (the queue, /commands and its observers
    // take about 16 KiB of code), and without HTTP nothing could queue them.
    public static let commandSlotCount = 0
    public static let commandPayloadBytes = 64
    // No threshold rules per sensor: the low build keeps the reference rules (`--threshold` is
    // not in it), so no arena is carved for them.
    public static let thresholdOverrideCount = 0
    // No eviction markers, no taking back of sensor slots from sources over their share and no
    // per-source cap on the duplicate memory: the aarch64 firmware has no room for their code.
    public static let evictionNoticeCount = 0
    public static let sourceDuplicatePercent = 0
    // Values of quantities not detected on are only counted (`unknown_quantities`): the path to
    // log and forward them compiles away, so the firmware stays in its size budget.
    public static let packQuantityCapacity = 0
    // No images: the firmware must stay small; `/images` is 4.04 and the code folds away.
    public static let imageTransferCount = 0
    public static let imageBytesMax = 0
}
