/// What `SensorCommandQueue.enqueue` did with a command.
public enum SensorCommandOutcome: UInt8, BitwiseCopyable, Sendable, Equatable {
    /// Queued for the sensor.
    case accepted
    /// Not queued: the sensor already has its most pending commands, or the queue is full.
    case full
    /// Not queued: no sensor of that name is known.
    case unknown
    /// Not queued: the payload is empty or longer than a slot holds.
    case tooLarge
    /// Not queued: the log cannot take the command's record now (full or out of space), so it
    /// could not be kept across a restart.
    case logRefusing
}
