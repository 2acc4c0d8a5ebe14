/// Why an MQTT packet could not be decoded or encoded. Decoding errors name the rule of
/// MQTT 3.1.1 the bytes break, so a log line says what the broker (or a fuzzer) sent wrong.
public enum MQTTError: Error, Equatable, Sendable {
    /// The remaining length uses more than four bytes (§2.2.3).
    case remainingLengthTooLong
    /// Packet type 0 or 15 (§2.2.1).
    case reservedPacketType
    /// The flags nibble differs from what the packet type requires (§2.2.2), or PUBLISH has QoS 3
    /// or DUP with QoS 0 (§3.3.1).
    case badFlags
    /// The remaining length does not match the packet's fixed layout (CONNACK, PUBACK, PINGRESP …).
    case badLength
    /// A length-prefixed string runs past the end of the packet.
    case truncatedString
    /// A topic name is empty, holds a wildcard (`+`, `#`) or U+0000 (§3.3.2, §1.5.3).
    case badTopic
    /// A packet identifier is 0 where one is required (§2.3.1).
    case zeroPacketID
    /// CONNACK's acknowledge flags have reserved bits set, or its return code is above 5 (§3.2.2).
    case badConnack
    /// A SUBACK return code other than 0, 1, 2 or 0x80 (§3.9.3).
    case badSubackCode
    /// A packet larger than the receive buffer (the remaining length says so before it arrived).
    case packetTooLarge
    /// The output buffer has no room for the packet being written.
    case noRoom
    /// A field too long for its 16-bit length prefix, or a payload over the 268 435 455-byte limit.
    case fieldTooLong

    /// Short name for logs and counters.
    public var name: StaticString {
        switch self {
        case .remainingLengthTooLong: return "remaining_length_too_long"
        case .reservedPacketType: return "reserved_packet_type"
        case .badFlags: return "bad_flags"
        case .badLength: return "bad_length"
        case .truncatedString: return "truncated_string"
        case .badTopic: return "bad_topic"
        case .zeroPacketID: return "zero_packet_id"
        case .badConnack: return "bad_connack"
        case .badSubackCode: return "bad_suback_code"
        case .packetTooLarge: return "packet_too_large"
        case .noRoom: return "no_room"
        case .fieldTooLong: return "field_too_long"
        }
    }
}
