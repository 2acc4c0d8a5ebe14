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
    // CoAP server: small datagrams and tables for a microcontroller-class board.
    public static let maxDatagramBytes = 512
    public static let duplicateEntryCount = 32
    public static let block1SlotCount = 1
    public static let block1SlotBytes = 1024
    public static let observerCount = 2
    public static let packReadingCapacity = 8
    public static let recentAlertCount = 16
    public static let responseBodyBytes = 4096
    // One Block2 copy as large as the body scratch: /metrics (about 3 KiB) still goes out in one
    // representation, within the 64 KiB footprint.
    public static let block2SnapshotCount = 1
}
