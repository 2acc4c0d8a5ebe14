/// How the uplink talks to its upstream (`--upstream`, `--forward`, `--uplink-rate`) and the
/// transmission parameters of RFC 7252 §4.8, all in integers.
public struct UplinkSettings: BitwiseCopyable, Sendable {
    /// The upstream's UDP endpoint (the daemon resolves the host of `--upstream`).
    public var upstream: Endpoint
    /// The resource path, sent as Uri-Path options.
    public var path: UplinkPath
    /// This node's id: the SenML base name is `nodeId + "/"`.
    public var nodeId: SensorName
    public var mode: UplinkForwardMode = .raw
    /// Log records per second sent at most (`--uplink-rate`); 0 = unlimited.
    public var rateRecordsPerS: UInt32 = 0
    /// Records the rate limit lets through at once after a pause (the bucket size).
    public var burstRecords: Int = 32
    /// Log records per batch at most.
    public var maxRecordsPerBatch: Int = 32
    /// Size of the batch buffer (one SenML pack) in bytes.
    public var batchBytes: Int = 16_384
    /// Block1 size exponent: blocks of 16 << exponent bytes (6 = 1024, the largest).
    public var blockSizeExponent: UInt8 = 6
    /// ACK_TIMEOUT, ACK_RANDOM_FACTOR (in thousandths) and MAX_RETRANSMIT of RFC 7252 §4.8.
    public var ackTimeoutMs: Int64 = 2_000
    public var ackRandomFactorMilli: Int64 = 1_500
    public var maxRetransmit: Int = 4
    /// Backoff after a failed or refused batch: base × 2^(failures − 1), capped, with jitter.
    public var backoffBaseMs: Int64 = 1_000
    public var backoffCapMs: Int64 = 60_000
    /// While backing off after an exchange that got no answer, a CoAP ping goes to the upstream at
    /// once and then every `probeIntervalMs` + uniform(0 … `probeJitterMs`); its answer ends the
    /// backoff. Pinging also makes `maxRetransmit` smaller (`Uplink.retransmitLimit`). 0 turns
    /// probing off.
    public var probeIntervalMs: Int64 = 1_000
    public var probeJitterMs: Int64 = 1_000
    /// Records refused for good that are set aside in a row, with no batch acknowledged between
    /// them, before further such refusals are treated as retryable: an upstream that refuses
    /// everything (a misconfigured receiver) must not make the uplink pass the whole log.
    public var maxRejectionsInARow: Int = 8
    /// How long to wait for a separate response after an empty ACK.
    public var responseTimeoutMs: Int64 = 30_000
    /// Records looked at per source read while searching for alerts or skipping records the mode
    /// does not forward (bounds the work per tick).
    public var scanBudget: Int = 256
    /// Seed of the jitter and tokens.
    public var seed: UInt64 = 1
    /// First message ID (the daemon derives it from the clock, RFC 7252 §4.4).
    public var initialMessageID: UInt16 = 0

    public init(upstream: Endpoint, path: UplinkPath, nodeId: SensorName) {
        self.upstream = upstream
        self.path = path
        self.nodeId = nodeId
    }

    /// Block size in bytes.
    public var blockBytes: Int { 16 &<< Int(blockSizeExponent) }

    /// Bytes of the datagram scratch: one block plus header, token and options.
    var datagramBytes: Int { blockBytes + 32 + 2 * UplinkPath.capacityBytes }

    /// Checks every field (traps on a configuration error: it is a start-up bug, not a run-time event).
    func validate() {
        precondition(nodeId.count > 0, "the uplink needs a node id")
        precondition(SenMLEncoder.isAlphanumeric(nodeId[0]), "a SenML name starts with a letter or digit (RFC 8428 §4.5.1)")
        precondition(upstream.kind != Endpoint.kindSerial, "the upstream is a UDP endpoint")
        precondition(burstRecords >= 1 && burstRecords <= 1_000_000, "burst out of range")
        precondition(maxRecordsPerBatch >= 1 && maxRecordsPerBatch <= 65_536, "records per batch out of range")
        precondition(batchBytes >= SenMLEncoder.maxLogRecordBytes + 2 && batchBytes <= 1 << 24, "batch buffer out of range")
        precondition(blockSizeExponent <= 6, "block size exponent 0...6")
        precondition(ackTimeoutMs >= 1 && ackTimeoutMs <= 600_000, "ACK_TIMEOUT out of range")
        precondition(ackRandomFactorMilli >= 1_000 && ackRandomFactorMilli <= 4_000, "ACK_RANDOM_FACTOR out of range")
        precondition(maxRetransmit >= 0 && maxRetransmit <= 20, "MAX_RETRANSMIT out of range")
        precondition(backoffBaseMs >= 1 && backoffCapMs >= backoffBaseMs && backoffCapMs <= 86_400_000, "backoff out of range")
        precondition(responseTimeoutMs >= 1, "response timeout out of range")
        precondition(scanBudget >= 1, "scan budget must be positive")
        precondition(probeIntervalMs >= 0 && probeJitterMs >= 0 && probeIntervalMs + probeJitterMs <= 600_000, "probe interval out of range")
        precondition(maxRejectionsInARow >= 0, "rejections in a row must not be negative")
    }
}
