/// Counters of the CoAP server, for `/health` and `/metrics`. All wrap at 2^64 (never in practice).
public struct ServerCounters: BitwiseCopyable, Sendable {
    /// Datagrams given to `handle`.
    public var datagrams: UInt64 = 0
    /// Responses written by `handle` (cached duplicates included).
    public var responses: UInt64 = 0
    /// Requests by method (all other codes are counted in `badRequests` or format errors).
    public var requests: UInt64 = 0
    /// Message format errors answered with RST (CON) ...
    public var formatErrorsReset: UInt64 = 0
    /// ... and dropped (NON, or no header to answer; version ≠ 1 is dropped silently, §3).
    public var formatErrorsDropped: UInt64 = 0
    /// Datagrams longer than the profile's `maxDatagramBytes`.
    public var oversizeDatagrams: UInt64 = 0
    /// Empty CON messages (pings) answered with RST.
    public var pings: UInt64 = 0
    /// ACKs and RSTs received (replies to notifications).
    public var acks: UInt64 = 0
    public var resets: UInt64 = 0
    /// Requests recognised as duplicates: CON answered from the cache ...
    public var duplicatesAnswered: UInt64 = 0
    /// ... of which answered from the ledger's compact record (the cached bytes were evicted) ...
    public var duplicatesRecalled: UInt64 = 0
    /// ... CON re-processed because the (safe) response was too large to cache ...
    public var duplicatesReprocessed: UInt64 = 0
    /// ... NON dropped.
    public var duplicatesDropped: UInt64 = 0
    /// Duplicate-ledger records dropped before their EXCHANGE_LIFETIME ended (above the rated load).
    public var duplicateEvictions: UInt64 = 0
    /// Responses by class: 2.xx, 4.xx, 5.xx.
    public var success: UInt64 = 0
    public var clientErrors: UInt64 = 0
    public var serverErrors: UInt64 = 0
    /// 4.xx details the metrics break out.
    public var badRequests: UInt64 = 0
    public var badOptions: UInt64 = 0
    public var notFound: UInt64 = 0
    public var methodNotAllowed: UInt64 = 0
    public var notAcceptable: UInt64 = 0
    public var entityIncomplete: UInt64 = 0
    public var tooLarge: UInt64 = 0
    public var unsupportedFormat: UInt64 = 0
    /// 5.03 answers: Block1 slots all busy, pipeline outbox full, sensor table full.
    public var busyBlock1: UInt64 = 0
    /// 4.03 answers: a pack for a sensor outside the sending DTLS identity's patterns.
    public var forbiddenWrites: UInt64 = 0
    public var busyOutbox: UInt64 = 0
    public var busySensorTable: UInt64 = 0
    /// 5.03 answers because the log cannot take the readings (`LogRoom`, the request's argument).
    public var busyLog: UInt64 = 0
    /// Responses not sent because the request's No-Response option declined their class
    /// (RFC 7967); a CON got an empty ACK instead, which `responses` counts.
    public var responsesSuppressed: UInt64 = 0
    /// Responses that did not fit the caller's buffer (nothing sent).
    public var responseNoRoom: UInt64 = 0
    /// SenML packs accepted (whole) and readings they carried; quantities skipped as unknown.
    public var packsAccepted: UInt64 = 0
    public var readingsReceived: UInt64 = 0
    public var unknownQuantities: UInt64 = 0
    /// Invalid SenML packs (4.00) and serial lines (CSV or SenML) refused.
    public var invalidPacks: UInt64 = 0
    public var invalidLines: UInt64 = 0
    /// Block1 uploads completed, and slots freed because the upload went quiet.
    public var block1Completed: UInt64 = 0
    public var block1Expired: UInt64 = 0
    /// Observers registered, deregistered (Observe=1), removed by RST or an unanswered CON, refused (table full).
    public var observersAdded: UInt64 = 0
    public var observersRemoved: UInt64 = 0
    public var observersRejected: UInt64 = 0
    /// Notifications sent, and ones skipped (the observer fell more than `recentAlertCount` behind).
    public var notificationsSent: UInt64 = 0
    /// Command notifications sent (retransmissions included), and commands that expired.
    public var commandNotifications: UInt64 = 0
    public var commandsExpired: UInt64 = 0
    public var notificationsSkipped: UInt64 = 0
    /// GET responses sent in Block2 blocks, and bodies cut at `responseBodyBytes` (marked truncated).
    public var block2Responses: UInt64 = 0
    public var bodiesTruncated: UInt64 = 0
    /// Block2 bodies copied at block 0 for the later blocks, and ones not copied (every slot held
    /// a live transfer, or the body was larger than a slot).
    public var block2SnapshotsTaken: UInt64 = 0
    public var block2SnapshotsRefused: UInt64 = 0
    /// Blocks after block 0 sent from a copy, and ones rendered fresh (no live copy).
    public var block2BlocksFromSnapshot: UInt64 = 0
    public var block2BlocksFresh: UInt64 = 0
    /// What sources over their share sent, dropped or refused by reason (docs/SECURITY.md):
    /// datagrams above the request rate, packs above the reading rate (while contended), packs
    /// whose new sensors would take a reserved place, Block1 uploads and Observe registrations
    /// above the source's share, and NON GET answers cut to the amplification limit.
    public var sourceRequestRate: UInt64 = 0
    public var sourceReadingRate: UInt64 = 0
    public var sourceSensorShare: UInt64 = 0
    public var sourceBlock1Share: UInt64 = 0
    public var sourceObserverShare: UInt64 = 0
    /// Packs of sources over their share refused while drop-oldest would push out others' records.
    public var sourceLogShare: UInt64 = 0
    public var amplificationLimited: UInt64 = 0
    /// Sensor slots taken back from a source over its sensor share for another source's new
    /// sensor (`Server.assignSlot`), and eviction markers the notice ring had no room for.
    public var sensorsReclaimed: UInt64 = 0
    public var evictionNoticesLost: UInt64 = 0
    /// State-changing requests refused because their source held its share of the duplicate
    /// ledger while its entry would push out another source's live one; responses not cached in
    /// the duplicate table for the same reason (the ledger still recognises a retransmission).
    public var sourceDuplicateShare: UInt64 = 0
    public var sourceDuplicateCacheShare: UInt64 = 0
    /// Requests refused on a read-only listener (4.03), and observers ended unrenewed.
    public var readOnlyRefused: UInt64 = 0
    /// Datagrams dropped because their source is not on the listener's allow-list.
    public var listenerRefused: UInt64 = 0
    public var observersExpired: UInt64 = 0
    /// Records applied at start-up from the log (`restore`): readings and alert events, and
    /// records skipped (undecodable, or their sensor did not fit the table).
    public var restoredReadings: UInt64 = 0
    public var restoredAlerts: UInt64 = 0
    public var restoreSkipped: UInt64 = 0

    public init() {}
    /// Image blocks accepted (`POST /images/{camera}`), their bytes, transfers completed, transfers
    /// ended aborted (their abort record logged), of which for going idle.
    public var imageBlocks: UInt64 = 0
    public var imageBytes: UInt64 = 0
    public var imagesCompleted: UInt64 = 0
    public var imagesAborted: UInt64 = 0
    public var imagesExpired: UInt64 = 0
}
