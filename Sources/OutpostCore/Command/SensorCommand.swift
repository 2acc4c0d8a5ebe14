/// One queued command: its sensor (dense index of the sensor table), when it was queued, and its
/// payload (the bytes live in the queue's carved payload region).
public struct SensorCommand: BitwiseCopyable, Sendable {
    public var sensor: Int16
    public var payloadCount: UInt16
    public var enqueuedMs: Int64
    /// Queue order since start (the command's id in answers).
    public var sequence: UInt32
    /// The sensor index's generation when queued (`SensorTable.generation(at:)`): a command whose
    /// index was since given to another sensor is dropped, never delivered to the newcomer.
    public var generation: UInt16 = 0

    public init(sensor: Int16, payloadCount: UInt16, enqueuedMs: Int64, sequence: UInt32, generation: UInt16 = 0) {
        self.sensor = sensor
        self.payloadCount = payloadCount
        self.enqueuedMs = enqueuedMs
        self.sequence = sequence
        self.generation = generation
    }
}
