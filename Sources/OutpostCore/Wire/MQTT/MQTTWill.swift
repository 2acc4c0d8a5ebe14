/// The Last Will of a CONNECT (§3.1.2.5–3.1.2.7): what the broker publishes for the client when
/// its connection ends without DISCONNECT.
public struct MQTTWill {
    public var topic: UnsafeRawBufferPointer
    public var message: UnsafeRawBufferPointer
    public var qos: UInt8
    public var retain: Bool

    public init(topic: UnsafeRawBufferPointer, message: UnsafeRawBufferPointer, qos: UInt8, retain: Bool) {
        precondition(qos <= 2, "QoS 0...2")
        self.topic = topic
        self.message = message
        self.qos = qos
        self.retain = retain
    }
}
