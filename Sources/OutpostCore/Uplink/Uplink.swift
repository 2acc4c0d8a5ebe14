/// The store-and-forward uplink (docs/UPLINK_FORMAT.md): a CoAP client that forwards the log to
/// the upstream as SenML-CBOR batches, as a pure state machine without the heap.
///
/// The daemon owns the socket, the clock and the log, and calls, each loop tick, `tick` (timers,
/// next batch) and `receive` for every datagram from the upstream; both send through a
/// `DatagramSink`. When a batch of records is acknowledged the forward cursor moves:
/// `takeCursorUpdate()` returns it for the log to persist (`LogStore.setCursor`).
///
/// Rules (RFC 7252 §4.2, §4.8; RFC 7959):
/// - One batch in flight at a time (NSTART = 1), each block a CON POST with its own message ID
///   and the batch's token; retransmission after ACK_TIMEOUT × [1, ACK_RANDOM_FACTOR], doubling,
///   MAX_RETRANSMIT times; then the exchange failed: exponential backoff with jitter, then the
///   batch is built again from the cursor (at-least-once).
/// - Alerts first: undelivered alerts after the cursor go in alert-only batches before any other
///   batch; the records' batch skips alerts already delivered that way.
/// - 5.03 waits Max-Age; a refusal that retrying cannot fix (4.00, 4.13 without a smaller block,
///   4.22) narrows the batch down to the refused record, which is set aside behind a durable
///   *rejected by upstream* marker (`rejectionToRecord`, `rejectionRecorded`); any other 4.xx/5.xx
///   is counted and retried after a backoff, so a refusing upstream never loses data silently.
/// - While backing off after an exchange that got no answer the uplink pings the upstream (an
///   empty CON, RFC 7252 §4.3) every 1–2 s; an answer ends the backoff, so the link's return is
///   noticed at once. Pings go only while no exchange is outstanding (NSTART = 1), so with pings
///   an unanswered exchange is given up early (`retransmitLimit`).
/// - Only records the source offers are read (`UplinkSource.uplinkLastSequence`: the log's
///   durable records), so nothing the upstream saw can be lost by a power cut and reused.
public struct Uplink {
    public internal(set) var settings: UplinkSettings
    public internal(set) var counters = UplinkCounters()
    /// Every record up to this sequence was delivered.
    public internal(set) var cursor: UInt64
    /// Highest alert sequence delivered by an alert batch (alerts up to it are skipped later).
    var alertMark: UInt64
    /// Alert search position: no undelivered alert in (max(cursor, alertMark), alertScan] outside
    /// the batch in flight.
    var alertScan: UInt64
    var cursorChanged = false

    /// The pack being sent, and the scratch for one CoAP message.
    let batchBuffer: UnsafeMutableRawBufferPointer
    let datagram: UnsafeMutableRawBufferPointer
    /// A record read from the source.
    var scratch = LogRecord()

    var phase: UplinkPhase = .idle
    /// Retransmission, response, or backoff deadline (by phase).
    var deadlineMs: Int64 = 0
    var batch = UplinkBatch()
    var messageID: UInt16
    var transmissions = 0
    var timeoutMs: Int64 = 0
    /// Failed or refused batches in a row (drives the backoff); 0 after any answer of 2.xx.
    var consecutiveFailures = 0
    var bucket: UplinkTokenBucket
    var random: UplinkRandom
    /// Timestamp of the first record after the cursor, when known (for the forward lag).
    var oldestPendingMs: Int64? = nil
    /// The search for a refused record, while one runs.
    var narrowing: UplinkNarrowing? = nil
    /// The refused record being set aside (phase `.settingAside`).
    var setAside: UplinkSetAside? = nil
    /// Records set aside since the last acknowledged batch (`UplinkSettings.maxRejectionsInARow`).
    var rejectedInARow = 0
    /// Pinging during a backoff: the next ping's time, and the last ping's message ID while it
    /// waits for its answer.
    var probing = false
    var probeAtMs: Int64 = 0
    var probeMessageID: UInt16 = 0
    var probeOutstanding = false

    /// An uplink starting at `cursor` (the log's persisted forward cursor), its buffers carved
    /// from `arena` (`arenaBytes(after:settings:)` bytes).
    public init(arena: inout Arena, settings: UplinkSettings, cursor: UInt64, nowMs: Int64) {
        settings.validate()
        self.settings = settings
        self.cursor = cursor
        alertMark = cursor
        alertScan = cursor
        batchBuffer = UnsafeMutableRawBufferPointer(arena.carve(settings.batchBytes, of: UInt8(0)))
        datagram = UnsafeMutableRawBufferPointer(arena.carve(settings.datagramBytes, of: UInt8(0)))
        messageID = settings.initialMessageID
        bucket = UplinkTokenBucket(ratePerS: settings.rateRecordsPerS, burstRecords: settings.burstRecords, nowMs: nowMs)
        random = UplinkRandom(seed: settings.seed)
    }

    /// Arena bytes the uplink carves after `offset` bytes.
    public static func arenaBytes(after offset: Int, settings: UplinkSettings) -> Int {
        let bytes = Arena.bytes(after: offset, settings.batchBytes, of: UInt8.self)
        return Arena.bytes(after: bytes, settings.datagramBytes, of: UInt8.self)
    }

    /// The link state for `/health`.
    public var state: UplinkLinkState {
        if phase == .backoff { return .backoff }
        return consecutiveFailures > 0 ? .down : .up
    }

    /// True while a batch is in flight (waiting for an ACK or a separate response).
    public var inFlight: Bool { phase == .waitingAck || phase == .waitingResponse }

    /// The new forward cursor when it moved since the last call, else nil. The daemon persists it
    /// with the log's next commit.
    public mutating func takeCursorUpdate() -> UInt64? {
        if !cursorChanged { return nil }
        cursorChanged = false
        return cursor
    }

    /// When the uplink next needs a `tick` (a retransmission, response or backoff deadline, a
    /// ping, the rate limit, or soon while a set-aside marker becomes durable), or nil when only
    /// new records or datagrams will give it work.
    public func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        switch phase {
        case .waitingAck, .waitingResponse: return deadlineMs
        case .backoff: return probing ? min(deadlineMs, probeAtMs) : deadlineMs
        case .settingAside: return nowMs + Uplink.setAsidePollMs
        case .idle:
            let wait = bucket.msUntilOne
            return wait > 0 ? nowMs + wait : nil
        }
    }

    /// How often a set-aside checks whether its marker became durable (the daemon commits every
    /// tick, or every 100 ms with batch durability).
    static var setAsidePollMs: Int64 { 20 }

    /// The sequence of a record the upstream refused for good, while the daemon has still to
    /// append its *rejected by upstream* marker (LogMarkerPayload.rejectedByUpstream, value = this
    /// sequence) and report it with `rejectionRecorded`; nil otherwise. Asked again until answered,
    /// so a marker that could not be appended (a full log) is tried again on a later tick.
    public var rejectionToRecord: UInt64? {
        guard phase == .settingAside, let setAside, setAside.markerSequence == nil else { return nil }
        return setAside.sequence
    }

    /// The marker for `rejectionToRecord` was appended under `markerSequence`. The uplink passes the
    /// refused record once the source offers the marker (it is durable).
    public mutating func rejectionRecorded(markerSequence: UInt64) {
        precondition(rejectionToRecord != nil, "no rejection waits for its marker")
        setAside!.markerSequence = markerSequence
    }

    /// The `/health` snapshot; `lastSequence` is the source's `uplinkLastSequence`.
    public func health(nowMs: Int64, lastSequence: UInt64) -> UplinkHealth {
        let backlog = lastSequence > cursor ? lastSequence - cursor : 0
        var lag: Int64 = 0
        if backlog > 0, let oldest = oldestPendingMs, nowMs > oldest { lag = nowMs - oldest }
        return UplinkHealth(
            state: state, mode: settings.mode, cursor: cursor, backlogRecords: backlog, forwardLagMs: lag,
            inFlight: inFlight, counters: counters)
    }
}
