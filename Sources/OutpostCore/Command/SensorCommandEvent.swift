/// A command that ended: delivered or expired, with its sensor (dense index of the sensor table,
/// stable while the daemon runs: `Server.pipeline.sensors.name(at:)` gives the name an upstream
/// publishes under, `outpost/<node>/command/<sensor>/ack`), id and time. 16 bytes, so the ring
/// costs little RAM.
public struct SensorCommandEvent: BitwiseCopyable, Sendable, Equatable {
    public var kind: SensorCommandEventKind
    public var via: SensorCommandVia
    public var sensor: Int16
    public var id: UInt32
    public var timeMs: Int64

    public init(kind: SensorCommandEventKind, via: SensorCommandVia, sensor: Int16, id: UInt32, timeMs: Int64) {
        self.kind = kind
        self.via = via
        self.sensor = sensor
        self.id = id
        self.timeMs = timeMs
    }

    /// Filler for unused ring slots.
    public static var filler: SensorCommandEvent {
        SensorCommandEvent(kind: .expired, via: .none, sensor: -1, id: 0, timeMs: 0)
    }
}
