/// Receives every event the server drains from the pipeline's outbox in `Server.tick`, in order:
/// the log appends them, the uplink forwards them. The server keeps alert events for
/// `/alerts` and its observers itself.
public protocol OutboxConsumer {
    /// Takes one event; `sensor` is the name of the sensor it concerns.
    mutating func consume(_ event: OutboxEvent, sensor: SensorName)
    /// Takes one sensor eviction (its slot went to a new sensor), before the events drained with
    /// it: the log records it as a marker naming the sensor and why.
    mutating func consumeEviction(_ notice: SensorEvictionNotice)
    /// Takes one value of a quantity not detected on (drained before the outbox's events, after the evictions).
    mutating func consume(quantity value: QuantityValue)
    /// Takes one chunk of a binary upload (`POST /images/{camera}`); false when it could not be
    /// kept (the log refused it): the server then ends the transfer aborted.
    mutating func consumeImageChunk(_ chunk: ImageChunk) -> Bool
}

extension OutboxConsumer {
    /// A consumer without a log has nothing to record an eviction in.
    public mutating func consumeEviction(_ notice: SensorEvictionNotice) {}
    /// Consumers that only want the pipeline's events ignore quantity values.
    /// - Complexity: O(1).
    public mutating func consume(quantity value: QuantityValue) {}
    /// Keeps nothing of an image (a consumer without a log).
    public mutating func consumeImageChunk(_ chunk: ImageChunk) -> Bool { true }
}
