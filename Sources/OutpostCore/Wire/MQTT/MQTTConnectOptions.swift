/// The fields of a CONNECT packet (§3.1). Byte strings are the caller's (the client's settings).
public struct MQTTConnectOptions {
    public var clientID: UnsafeRawBufferPointer
    /// Clean Session (§3.1.2.4): false keeps the session (subscriptions, unacknowledged QoS 1
    /// messages) across connections.
    public var cleanSession: Bool
    /// Keep Alive in seconds (§3.1.2.10); 0 turns it off.
    public var keepAliveS: UInt16
    public var will: MQTTWill?
    /// User Name and Password (§3.1.3.4–5); a password needs a user name (§3.1.2.9).
    public var userName: UnsafeRawBufferPointer?
    public var password: UnsafeRawBufferPointer?

    public init(clientID: UnsafeRawBufferPointer, cleanSession: Bool, keepAliveS: UInt16) {
        self.clientID = clientID
        self.cleanSession = cleanSession
        self.keepAliveS = keepAliveS
    }
}
