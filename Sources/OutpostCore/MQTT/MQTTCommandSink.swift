/// Where the client hands the commands it receives on `<prefix>/<node>/command/<sensor>`
/// (docs/MQTT.md §5): the daemon's command queue. Generic, so no existential is needed.
public protocol MQTTCommandSink {
    /// Takes one command for `sensor` (the topic's last level). `packetID` is the PUBLISH's packet
    /// id (nil for QoS 0, which has no PUBACK) and `connection` the client's connection number
    /// (`MQTTClient.connection`): what `MQTTClient.acknowledgeCommand` needs for a command the
    /// sink acknowledges later.
    mutating func mqttCommand(
        sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, packetID: UInt16?, connection: UInt64, nowMs: Int64
    ) -> MQTTCommandTake
}

/// A command sink that keeps nothing and acknowledges everything at once (a client without a queue).
public struct MQTTCommandCounter: MQTTCommandSink {
    public private(set) var received: UInt64 = 0
    public init() {}
    public mutating func mqttCommand(
        sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, packetID: UInt16?, connection: UInt64, nowMs: Int64
    ) -> MQTTCommandTake {
        received &+= 1
        return .acknowledgeNow
    }
}
