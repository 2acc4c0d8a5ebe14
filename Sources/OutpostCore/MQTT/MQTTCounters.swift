/// What the MQTT client counted since start (`/health`'s uplink map, `--stats`).
public struct MQTTCounters: Sendable, BitwiseCopyable {
    public var connectAttempts: UInt64 = 0
    /// Connections the broker accepted.
    public var connects: UInt64 = 0
    /// Attempts that failed before CONNACK (refused TCP, timeout, CONNACK refusal).
    public var connectFailures: UInt64 = 0
    /// Established connections that ended (broker gone, keepalive timeout, protocol error).
    public var disconnects: UInt64 = 0
    /// Record publishes sent (first time), re-sent with DUP, and acknowledged.
    public var published: UInt64 = 0
    public var resent: UInt64 = 0
    public var acked: UInt64 = 0
    /// Records in the publishes sent first time and acknowledged (with `--mqtt-batch` a publish
    /// carries several; else the same as `published` and `acked`).
    public var recordsPublished: UInt64 = 0
    public var recordsAcked: UInt64 = 0
    public var pings: UInt64 = 0
    public var keepaliveTimeouts: UInt64 = 0
    /// Packets from the broker that broke MQTT 3.1.1 (each ends the connection).
    public var protocolErrors: UInt64 = 0
    public var commandsReceived: UInt64 = 0
    /// Commands not kept (full queue): left unacknowledged for the broker to deliver again.
    public var commandsRefused: UInt64 = 0
    /// PUBACKs of commands sent by the host after their records were committed.
    public var commandsAcknowledged: UInt64 = 0
    /// Answers to commands queued on `command/<sensor>/ack`.
    public var commandAcks: UInt64 = 0
    /// Records the forward mode does not send, and records whose payload did not encode.
    public var recordsFiltered: UInt64 = 0
    public var recordsMalformed: UInt64 = 0
    public var sourceErrors: UInt64 = 0
    /// Bytes written to and read from the link.
    public var bytesOut: UInt64 = 0
    public var bytesIn: UInt64 = 0
    /// The last CONNACK refusal code (1…5), 0 when none.
    public var lastRefusal: UInt8 = 0

    public init() {}
}
