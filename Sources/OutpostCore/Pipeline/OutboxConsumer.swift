/// Receives every event the server drains from the pipeline's outbox in `Server.tick`, in order:
/// the log appends them (issue 4), the uplink forwards them. The server keeps alert events for
/// `/alerts` and its observers itself.
public protocol OutboxConsumer {
    /// Takes one event; `sensor` is the name of the sensor it concerns.
    mutating func consume(_ event: OutboxEvent, sensor: SensorName)
    /// Takes one chunk of a binary upload (`POST /images/{camera}`); false when it could not be
    /// kept (the log refused it): the server then ends the transfer aborted.
    mutating func consumeImageChunk(_ chunk: ImageChunk) -> Bool
}

extension OutboxConsumer {
    /// Keeps nothing of an image (a consumer without a log).
    public mutating func consumeImageChunk(_ chunk: ImageChunk) -> Bool { true }
}
