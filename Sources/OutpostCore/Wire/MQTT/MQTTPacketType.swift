/// The control packet types of MQTT 3.1.1 (OASIS standard, §2.2.1): the high nibble of the first
/// byte. 0 and 15 are reserved and refused by the decoder.
public enum MQTTPacketType: UInt8, Sendable, BitwiseCopyable {
    case connect = 1
    case connack = 2
    case publish = 3
    case puback = 4
    case pubrec = 5
    case pubrel = 6
    case pubcomp = 7
    case subscribe = 8
    case suback = 9
    case unsubscribe = 10
    case unsuback = 11
    case pingreq = 12
    case pingresp = 13
    case disconnect = 14

    /// The flags nibble every packet but PUBLISH must carry (§2.2.2): 2 for PUBREL, SUBSCRIBE and
    /// UNSUBSCRIBE, 0 for the rest. A packet with other flags is malformed.
    var requiredFlags: UInt8 {
        switch self {
        case .pubrel, .subscribe, .unsubscribe: return 2
        default: return 0
        }
    }
}
