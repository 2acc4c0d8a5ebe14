/// A command that ended: delivered or expired, with its sensor (by name: an upstream publishes it
/// on `outpost/<node>/command/<sensor>/ack`), id and time.
public struct SensorCommandEvent: BitwiseCopyable, Sendable, Equatable {
    public var kind: SensorCommandEventKind
    public var via: SensorCommandVia
    public var sensor: SensorName
    public var id: UInt32
    public var timeMs: Int64

    public init(kind: SensorCommandEventKind, via: SensorCommandVia, sensor: SensorName, id: UInt32, timeMs: Int64) {
        self.kind = kind
        self.via = via
        self.sensor = sensor
        self.id = id
        self.timeMs = timeMs
    }

    /// Filler for unused ring slots.
    public static var filler: SensorCommandEvent {
        SensorCommandEvent(kind: .expired, via: .none, sensor: SensorName(), id: 0, timeMs: 0)
    }
}
