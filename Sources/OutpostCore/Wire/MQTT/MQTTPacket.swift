/// One decoded MQTT packet (`MQTTReader.decode`). Strings and payloads are byte ranges into the
/// frame that was decoded, so nothing is copied; which fields mean something depends on `type`.
public struct MQTTPacket: Sendable, BitwiseCopyable {
    public var type: MQTTPacketType
    /// PUBLISH: the fixed header's flags.
    public var dup = false
    public var qos: UInt8 = 0
    public var retain = false
    /// PUBLISH (QoS > 0), PUBACK, SUBACK, SUBSCRIBE: the packet identifier.
    public var packetID: UInt16 = 0
    /// CONNACK: session present flag and return code (0 = accepted, 1…5 refusals, §3.2.2.3).
    public var sessionPresent = false
    public var returnCode: UInt8 = 0
    /// PUBLISH: the topic name's range in the frame.
    public var topicStart = 0
    public var topicCount = 0
    /// PUBLISH: the application message; SUBACK: the return codes.
    public var payloadStart = 0
    public var payloadCount = 0
    /// Bytes of the whole frame (fixed header included).
    public var frameBytes = 0

    public init(type: MQTTPacketType) { self.type = type }
}
