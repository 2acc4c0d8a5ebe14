/// The MQTT 3.1.1 upstream (docs/MQTT.md): a client that forwards the log as QoS 1 publishes, one
/// message per record (or, with `settings.batchRecords` > 1, one SenML pack per run of records of
/// one topic: `MQTTClient+Batch.swift`), as a pure state machine without the heap; the sibling of
/// the CoAP `Uplink` with the same guarantees.
///
/// The daemon owns the link (`MQTTLink`: TCP now, TLS later), the clock and the log, and calls
/// `tick` every loop pass and whenever the link's descriptor is ready. When records are
/// acknowledged the forward cursor moves: `takeCursorUpdate()` returns it for the log to persist.
///
/// Rules:
/// - Persistent session (Clean Session 0), a retained Last Will `<prefix>/<node>/status` =
///   `offline`, a retained `online` after every CONNACK, SUBSCRIBE to `<prefix>/<node>/command/+`.
/// - A window of at most `settings.window` (64) unacknowledged QoS 1 publishes, each with its own
///   packet id (1…32 767; the status, health and SUBSCRIBE packets use 32 768…65 535, so their
///   PUBACKs never acknowledge a record). After a reconnect every unacknowledged one is sent again
///   with DUP = 1 and its packet id (§4.4), re-encoded from the log.
/// - The cursor is the highest sequence such that every forwarded record up to it is acknowledged
///   (records the mode skips count as done); PUBACKs in any order are handled.
/// - Alerts first: undelivered alerts beyond the records in order are published ahead of them;
///   the reader in order skips them later.
/// - Only records the source offers are read (`UplinkSource.uplinkLastSequence`: durable ones).
/// - Reconnect: while the broker cannot be reached, an attempt every 1–2 s; after a broker that
///   accepted TCP failed, exponential backoff with jitter.
public struct MQTTClient {
    public internal(set) var settings: MQTTSettings
    public internal(set) var counters = MQTTCounters()
    public internal(set) var phase: MQTTClientPhase = .down
    /// Every record up to this sequence was acknowledged (or is not forwarded).
    public internal(set) var cursor: UInt64
    var cursorChanged = false
    /// The reader in order: every record up to here was published (or skipped).
    var position: UInt64
    /// Highest alert published ahead; the reader in order skips alerts up to it.
    var alertMark: UInt64
    /// No undelivered alert in (max(position, alertMark), alertScan].
    var alertScan: UInt64

    var window = InlineArray<128, MQTTInFlight>(repeating: MQTTInFlight())
    var nextPacketID: UInt16 = 1
    var nextControlID: UInt16 = 0x8000

    /// Output queue: bytes `outStart..<outEnd` wait for the link.
    let output: UnsafeMutableRawBufferPointer
    var outStart = 0
    var outEnd = 0
    /// Input: `inCount` bytes of partial packets.
    let input: UnsafeMutableRawBufferPointer
    var inCount = 0
    /// Scratch: one record's SenML-CBOR pack, its payload in the chosen format, a topic.
    let pack: UnsafeMutableRawBufferPointer
    let payload: UnsafeMutableRawBufferPointer
    let topic: UnsafeMutableRawBufferPointer
    /// The host's part of the health message (JSON members: sensors, open alerts), `healthDetailCount` bytes.
    let healthDetail: UnsafeMutableRawBufferPointer
    var healthDetailCount = 0
    var healthDetailWrittenMs: Int64 = Int64.min
    var scratch = LogRecord()

    /// Deadline of the phase: next attempt (down), connect or CONNACK timeout.
    var deadlineMs: Int64 = 0
    /// Attempts that failed in a row after the broker accepted TCP (drives the backoff).
    var consecutiveFailures = 0
    /// Last time a packet was written (keep alive), and when the outstanding PINGREQ left.
    var lastSentMs: Int64 = 0
    var pingSentMs: Int64? = nil
    var healthDueMs: Int64 = 0
    var bucket: UplinkTokenBucket
    var random: UplinkRandom
    /// Timestamp of the first record after the cursor, when known (forward lag).
    var oldestPendingMs: Int64? = nil
    /// The current connection's number (`counters.connects` when its CONNACK arrived): a command
    /// acknowledged later must be acknowledged on the connection it came on.
    public var connection: UInt64 { counters.connects }
    /// The connection's CONNACK said the broker had our session.
    public internal(set) var sessionPresent = false
    /// The source's log id, taken at every tick (payloads carry it).
    var currentLogID: UInt64 = 0

    /// A client starting at `cursor` (the log's persisted forward cursor), its buffers carved from
    /// `arena` (`arenaBytes(after:settings:)` bytes).
    public init(arena: inout Arena, settings: MQTTSettings, cursor: UInt64, nowMs: Int64) {
        settings.validate()
        self.settings = settings
        self.cursor = cursor
        position = cursor
        alertMark = cursor
        alertScan = cursor
        output = UnsafeMutableRawBufferPointer(arena.carve(settings.outputBytes, of: UInt8(0)))
        input = UnsafeMutableRawBufferPointer(arena.carve(settings.inputBytes, of: UInt8(0)))
        pack = UnsafeMutableRawBufferPointer(arena.carve(SenMLEncoder.maxLogRecordBytes + 2, of: UInt8(0)))
        payload = UnsafeMutableRawBufferPointer(arena.carve(MQTTSettings.payloadBytes, of: UInt8(0)))
        topic = UnsafeMutableRawBufferPointer(arena.carve(MQTTSettings.topicBytes, of: UInt8(0)))
        healthDetail = UnsafeMutableRawBufferPointer(arena.carve(MQTTSettings.healthDetailBytes, of: UInt8(0)))
        bucket = UplinkTokenBucket(ratePerS: settings.rateRecordsPerS, burstRecords: settings.burstRecords, nowMs: nowMs)
        random = UplinkRandom(seed: settings.seed)
        deadlineMs = nowMs
    }

    /// Arena bytes the client carves after `offset` bytes.
    public static func arenaBytes(after offset: Int, settings: MQTTSettings) -> Int {
        var bytes = Arena.bytes(after: offset, settings.outputBytes, of: UInt8.self)
        bytes = Arena.bytes(after: bytes, settings.inputBytes, of: UInt8.self)
        bytes = Arena.bytes(after: bytes, SenMLEncoder.maxLogRecordBytes + 2, of: UInt8.self)
        bytes = Arena.bytes(after: bytes, MQTTSettings.payloadBytes, of: UInt8.self)
        bytes = Arena.bytes(after: bytes, MQTTSettings.topicBytes, of: UInt8.self)
        return Arena.bytes(after: bytes, MQTTSettings.healthDetailBytes, of: UInt8.self)
    }

    /// True when the host should write the health detail again (`updateHealthDetail`): at most
    /// once a second, so the walk over the sensor table costs little whatever the loop's pace,
    /// and the detail a health message carries is at most a second old.
    public func healthDetailWanted(nowMs: Int64) -> Bool {
        healthDetailWrittenMs == Int64.min || nowMs - healthDetailWrittenMs >= 1_000 || nowMs < healthDetailWrittenMs
    }

    /// A writer over the buffer of the host's part of the health message
    /// (`MQTTSettings.healthDetailBytes`): the host writes JSON members into it (no braces, no
    /// leading comma) and hands it back with `setHealthDetail`.
    public var healthDetailWriter: TextWriter { TextWriter(buffer: healthDetail) }

    /// Takes the detail `out` (from `healthDetailWriter`) for the next health messages. A detail
    /// that did not fit is dropped whole (the message then carries none) rather than cut into
    /// broken JSON.
    /// - Complexity: O(1)
    public mutating func setHealthDetail(_ out: TextWriter, nowMs: Int64) {
        healthDetailCount = out.overflowed ? 0 : out.count
        healthDetailWrittenMs = nowMs
    }

    /// Publishes the health message at the next tick rather than at its interval (the host saw
    /// the sensors or the open alerts change; `healthDetailWanted` paces the calls to once a
    /// second at most).
    /// - Complexity: O(1)
    public mutating func publishHealthSoon(nowMs: Int64) {
        if healthDueMs > nowMs { healthDueMs = nowMs }
    }

    /// The new forward cursor when it moved since the last call, else nil (the daemon persists it
    /// with the log's next commit).
    public mutating func takeCursorUpdate() -> UInt64? {
        if !cursorChanged { return nil }
        cursorChanged = false
        return cursor
    }

    /// True while the link has output waiting or a connection in progress (poll for writing).
    public var wantsWrite: Bool { phase == .connecting || outEnd > outStart }
    /// True while the link is open (poll it for reading).
    public var linkOpen: Bool { phase != .down }

    /// Unacknowledged record publishes.
    public var inFlightCount: Int {
        var n = 0
        for i in 0..<settings.window where window[i].used { n += 1 }
        return n
    }

    /// When the client next needs a `tick` without link activity, or nil.
    public func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        switch phase {
        case .down, .connecting, .awaitingConnack: return deadlineMs
        case .connected:
            var next = min(healthDueMs, lastSentMs + Int(settings.keepAliveS).wide * 1_000)
            if let ping = pingSentMs { next = min(next, ping + Int(settings.keepAliveS).wide * 1_000) }
            let wait = bucket.msUntilOne
            if wait > 0 { next = min(next, nowMs + wait) }
            return max(next, nowMs)
        }
    }

    /// The `/health` snapshot; `lastSequence` is the source's `uplinkLastSequence`.
    public func health(nowMs: Int64, lastSequence: UInt64) -> UplinkHealth {
        let backlog = lastSequence > cursor ? lastSequence - cursor : 0
        var lag: Int64 = 0
        if backlog > 0, let oldest = oldestPendingMs, nowMs > oldest { lag = nowMs - oldest }
        var c = UplinkCounters()
        c.batchesSent = counters.published
        c.batchesAcknowledged = counters.acked
        c.recordsForwarded = counters.recordsAcked
        c.retransmissions = counters.resent
        c.recordsFiltered = counters.recordsFiltered
        c.recordsMalformed = counters.recordsMalformed
        c.sourceErrors = counters.sourceErrors
        let state: UplinkLinkState = phase == .connected ? .up : (consecutiveFailures > 0 ? .backoff : .down)
        return UplinkHealth(
            state: state, mode: settings.mode, cursor: cursor, backlogRecords: backlog, forwardLagMs: lag,
            inFlight: inFlightCount > 0, counters: c)
    }
}
