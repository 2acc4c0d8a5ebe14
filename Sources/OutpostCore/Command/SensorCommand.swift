/// One queued command: its sensor (dense index of the sensor table), its id, when it was queued,
/// where it came from, the Content-Format of its payload (the bytes live in the queue's carved
/// payload region), and whether its *accepted* record reached the log yet.
public struct SensorCommand: BitwiseCopyable, Sendable {
    /// Dense sensor index; -1: the slot is free.
    public var sensor: Int16
    /// The sensor's name when the command was queued: its end event carries it, because the
    /// index may belong to another sensor by the time the event is logged or published (a full
    /// sensor table evicts a sensor and gives its index to a newcomer).
    public var sensorName: SensorName
    public var payloadCount: UInt16
    /// CoAP Content-Format of the payload (`CoAPContentFormat`; 42 for opaque bytes).
    public var contentFormat: UInt16
    public var origin: SensorCommandOrigin
    /// False until the log holds the command's *accepted* record (or the daemon has no log).
    public var logged: Bool
    /// The command's id: unique in the log's life (restored from the log after a restart).
    public var id: UInt32
    public var enqueuedMs: Int64

    public init(
        sensor: Int16, sensorName: SensorName, payloadCount: UInt16, contentFormat: UInt16, origin: SensorCommandOrigin, id: UInt32,
        enqueuedMs: Int64
    ) {
        self.sensor = sensor
        self.sensorName = sensorName
        self.payloadCount = payloadCount
        self.contentFormat = contentFormat
        self.origin = origin
        self.logged = false
        self.id = id
        self.enqueuedMs = enqueuedMs
    }

    /// A free slot.
    public static var free: SensorCommand {
        SensorCommand(sensor: -1, sensorName: SensorName(), payloadCount: 0, contentFormat: 0, origin: .http, id: 0, enqueuedMs: 0)
    }
}
