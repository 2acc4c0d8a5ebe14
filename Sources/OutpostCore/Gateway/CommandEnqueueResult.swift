/// The answer of `CommandQueue.enqueue`.
public enum CommandEnqueueResult: Equatable, Sendable {
    /// Kept under this id (ids rise by one per command, from 1).
    case queued(id: UInt32)
    /// The payload is longer than `CommandQueue.payloadBytesMax`.
    case payloadTooLarge
    /// The sensor name is empty, too long, or not printable ASCII.
    case badSensor
    /// The sensor already has `perSensorMax` commands waiting.
    case sensorFull
    /// Every slot holds a waiting command.
    case queueFull
}
