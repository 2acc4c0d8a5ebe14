/// What a command sink did with a command the client received (`MQTTCommandSink.mqttCommand`).
public enum MQTTCommandTake: Sendable, Equatable {
    /// Not kept (a full inbox): the client does not acknowledge it, so the broker delivers it
    /// again after the next reconnect.
    case refused
    /// Nothing to keep durably (a topic level that is no sensor name): acknowledged at once.
    case acknowledgeNow
    /// Kept for the host, which acknowledges it (`MQTTClient.acknowledgeCommand`) only once the
    /// command's record is committed to the log: a PUBACK tells the broker it may forget the
    /// command, so it must never leave before the command would survive a power cut.
    case acknowledgeLater
}
