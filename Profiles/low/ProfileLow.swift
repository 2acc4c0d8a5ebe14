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
}
