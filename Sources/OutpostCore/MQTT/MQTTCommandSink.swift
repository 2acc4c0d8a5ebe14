/// Where the client hands the commands it receives on `<prefix>/<node>/command/<sensor>`
/// (docs/MQTT.md §5): the daemon's command queue. Generic, so no existential is needed.
public protocol MQTTCommandSink {
    /// Takes one command for `sensor` (the topic's last level). Returns false when it cannot be
    /// kept now (a full queue): the client then does not acknowledge it, so the broker delivers it
    /// again after the next reconnect.
    mutating func mqttCommand(sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, nowMs: Int64) -> Bool
}

/// A command sink that keeps nothing and acknowledges everything (a client without a queue).
public struct MQTTCommandCounter: MQTTCommandSink {
    public private(set) var received: UInt64 = 0
    public init() {}
    public mutating func mqttCommand(sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, nowMs: Int64) -> Bool {
        received &+= 1
        return true
    }
}
