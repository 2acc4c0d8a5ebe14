/// A command that ended: delivered or expired, with its sensor (dense index of the sensor table
/// when the event happened) and the sensor's own name (what the log record and an upstream's
/// `outpost/<node>/command/<sensor>/ack` carry: the index alone is not enough, because a full
/// sensor table gives an evicted sensor's index to a newcomer), id and time.
public struct SensorCommandEvent: BitwiseCopyable, Sendable, Equatable {
    public var kind: SensorCommandEventKind
    public var via: SensorCommandVia
    public var sensor: Int16
    public var sensorName: SensorName
    public var id: UInt32
    public var timeMs: Int64

    public init(kind: SensorCommandEventKind, via: SensorCommandVia, sensor: Int16, sensorName: SensorName, id: UInt32, timeMs: Int64) {
        self.kind = kind
        self.via = via
        self.sensor = sensor
        self.sensorName = sensorName
        self.id = id
        self.timeMs = timeMs
    }

    /// Filler for unused ring slots.
    public static var filler: SensorCommandEvent {
        SensorCommandEvent(kind: .expired, via: .none, sensor: -1, sensorName: SensorName(), id: 0, timeMs: 0)
    }
}
