/// An outbox consumer that keeps nothing (until the log is wired in).
public struct DiscardingOutboxConsumer: OutboxConsumer {
    public init() {}
    public mutating func consume(_ event: OutboxEvent, sensor: SensorName) {}
}
