/// Where the MQTT client's connection stands.
public enum MQTTClientPhase: UInt8, Sendable, BitwiseCopyable {
    /// No connection; the next attempt is due at the retry deadline.
    case down = 0
    /// The link is connecting (TCP connect, later a TLS handshake).
    case connecting = 1
    /// CONNECT sent, waiting for CONNACK.
    case awaitingConnack = 2
    /// Accepted by the broker: publishing.
    case connected = 3

    public var name: StaticString {
        switch self {
        case .down: return "down"
        case .connecting: return "connecting"
        case .awaitingConnack: return "awaiting_connack"
        case .connected: return "up"
        }
    }
}
