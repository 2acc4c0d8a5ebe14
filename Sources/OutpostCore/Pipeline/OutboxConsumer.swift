/// Receives every event the server drains from the pipeline's outbox in `Server.tick`, in order:
/// the log appends them (issue 4), the uplink forwards them. The server keeps alert events for
/// `/alerts` and its observers itself.
public protocol OutboxConsumer {
    /// Takes one event; `sensor` is the name of the sensor it concerns.
    mutating func consume(_ event: OutboxEvent, sensor: SensorName)
    /// Takes one sensor eviction (its slot went to a new sensor), before the events drained with
    /// it: the log records it as a marker naming the sensor and why.
    mutating func consumeEviction(_ notice: SensorEvictionNotice)
}

extension OutboxConsumer {
    /// A consumer without a log has nothing to record an eviction in.
    public mutating func consumeEviction(_ notice: SensorEvictionNotice) {}
}
