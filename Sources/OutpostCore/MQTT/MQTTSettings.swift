/// How the MQTT client connects and forwards (`--upstream mqtt://…`, `--mqtt-*`, `--uplink-format`,
/// `--forward`, `--uplink-rate`; docs/MQTT.md). Byte strings point at memory the daemon carved
/// at start-up and keeps for the process's life.
public struct MQTTSettings {
    /// This node's id: the SenML base name and the topic level after the prefix.
    public var nodeId: SensorName
    /// MQTT client id (default: the node id).
    public var clientID: UnsafeRawBufferPointer
    /// Topic prefix (default `outpost`), without a trailing `/`.
    public var prefix: UnsafeRawBufferPointer
    public var userName: UnsafeRawBufferPointer? = nil
    public var password: UnsafeRawBufferPointer? = nil
    /// Keep Alive (§3.1.2.10): a PINGREQ after this long without sending; no PINGRESP within
    /// it means the connection is dead.
    public var keepAliveS: UInt16 = 30
    public var format: MQTTPayloadFormat = .senmlJSON
    public var mode: UplinkForwardMode = .raw
    /// Log records per second published at most; 0 = unlimited.
    public var rateRecordsPerS: UInt32 = 0
    public var burstRecords: Int = 32
    /// QoS 1 publishes of records waiting for PUBACK at most (1…128). A small window bounds the
    /// drain after an outage by window / round trip (16 drained at a fifth of the CoAP uplink's
    /// rate); from 64 on loopback it no longer does (64 and 100 both drained at about 0.78 of the
    /// CoAP uplink's rate, whose messages carry many records each). 100 is the most
    /// unacknowledged publishes the strictest cloud broker takes (AWS IoT Core's in-flight limit).
    public var window: Int = 100
    /// Time allowed for the link to connect, and for CONNACK after CONNECT.
    public var connectTimeoutMs: Int64 = 5_000
    public var connackTimeoutMs: Int64 = 10_000
    /// Reconnect delay after a broker that accepted TCP and then failed (refused CONNACK, protocol
    /// error, lost connection): base × 2^(failures − 1), capped, with equal jitter.
    public var backoffBaseMs: Int64 = 1_000
    public var backoffCapMs: Int64 = 60_000
    /// Reconnect delay while the broker cannot be reached at all (connect refused or timed out):
    /// `probeIntervalMs` + uniform(0 … `probeJitterMs`). An attempt costs one SYN, so probing
    /// often is cheap, and the first attempt after the broker returns comes within 2 s.
    public var probeIntervalMs: Int64 = 1_000
    public var probeJitterMs: Int64 = 1_000
    /// How often the retained health message is published while connected.
    public var healthIntervalMs: Int64 = 10_000
    /// Records looked at per read while searching alerts ahead or skipping filtered records.
    public var scanBudget: Int = 256
    /// Sizes of the output queue and the input buffer (a command larger than the input buffer
    /// ends the connection as a protocol error, counted).
    public var outputBytes: Int = 32_768
    public var inputBytes: Int = 4_096
    public var seed: UInt64 = 1
    /// Records per message at most (`--mqtt-batch`, 1…64): a run of records of one topic, in log
    /// order, published as one SenML pack (influx: that many lines) in one QoS 1 PUBLISH; 1
    /// publishes one message per record.
    public var batchRecords: Int = 1

    public static let windowMax = 128
    /// Most records per run (`MQTTInFlight.count` is a byte).
    public static let batchRecordsMax = 64
    /// A run stops taking records once its SenML-CBOR pack is this large, so its SenML-JSON or
    /// line protocol (at most about twice the CBOR for records of short names) fits the payload
    /// scratch; a run that still does not fit is halved (`MQTTClient.encodeRun`).
    static let batchPackBytesSoft = payloadBytes / 3
    /// Longest prefix, client id, user name and password accepted.
    public static let textMaxBytes = 256
    /// Payload scratch: the JSON or line protocol of the largest record.
    static let payloadBytes = 12_288
    static let topicBytes = 2 * textMaxBytes + 64
    /// The host's part of the health message: 32 sensor names and 16 open alerts of the longest
    /// names, escaped, fit (about 2.2 KB and 1.5 KB).
    public static let healthDetailBytes = 4_096
    /// Largest PUBLISH of a record: payload, topic, fixed header and packet id.
    static let packetBytesMax = payloadBytes + topicBytes + 16

    public init(nodeId: SensorName, clientID: UnsafeRawBufferPointer, prefix: UnsafeRawBufferPointer) {
        self.nodeId = nodeId
        self.clientID = clientID
        self.prefix = prefix
    }

    /// Checks every field (traps on a configuration error: a start-up bug, not a run-time event;
    /// the daemon checks user input with messages before).
    func validate() {
        precondition(nodeId.count > 0, "the MQTT client needs a node id")
        precondition(clientID.count >= 1 && clientID.count <= MQTTSettings.textMaxBytes, "client id length")
        precondition(prefix.count >= 1 && prefix.count <= MQTTSettings.textMaxBytes, "prefix length")
        precondition(window >= 1 && window <= MQTTSettings.windowMax, "window 1...128")
        precondition(burstRecords >= 1, "burst must be positive")
        precondition(backoffBaseMs >= 1 && backoffCapMs >= backoffBaseMs, "backoff out of range")
        precondition(probeIntervalMs >= 1 && probeJitterMs >= 0, "probe interval out of range")
        precondition(outputBytes >= 2 * MQTTSettings.packetBytesMax && inputBytes >= 256, "buffer sizes")
        precondition(scanBudget >= 1, "scan budget")
        precondition(batchRecords >= 1 && batchRecords <= MQTTSettings.batchRecordsMax, "batch 1...64")
        precondition(password == nil || userName != nil, "a password needs a user name")
    }
}
