/// A device profile: every capacity and constant of a build, fixed at compile time.
///
/// One type per profile lives in `Profiles/<name>/`. The pipeline is generic over its profile, so
/// the compiler specialises all code for the chosen profile and nothing is looked up at run time.
/// The firmware is built for exactly one profile (`-D OUTPOST_PROFILE_<NAME>`); host tests use all.
public protocol Profile {
    /// The outbox ring type: an inline `Ring` whose capacity holds a tick's worth of events.
    associatedtype Outbox: OutboxQueue

    /// Short lower-case name: `low`, `medium`, `high`, `test`.
    static var name: StaticString { get }
    /// Sensor table capacity (a power of two). The table refuses new sensors at 3/4 of it.
    static var sensorSlotCount: Int { get }
    /// Readings taken per loop tick (the receive batch).
    static var batchSize: Int { get }
    /// The rolling windows kept per sensor and feature.
    static var windows: WindowSet { get }
    /// The threshold detector's rules.
    static var rules: ThresholdRules { get }
    /// The baked Isolation Forest model (docs/MODEL_FORMAT.md), or nil for a thresholds-only build.
    static var modelBytes: UnsafeRawBufferPointer? { get }
    /// The largest model file (`--model`) the build takes at run time, in two arena slots
    /// (`ModelSlots`); `.none` (the default): no model file.
    static var modelCapacity: ModelCapacity { get }
    /// Rows of recent normal readings the on-board learner keeps (`RetrainSample`); 0 (the
    /// default): no learning on the board, and none of its code or memory in the build.
    static var retrainSampleCount: Int { get }
    /// Trees of a forest learned on the board (at most `modelCapacity.trees`).
    static var retrainTreeCount: Int { get }
    /// The most static RAM the core state may take (asserted by a test).
    static var footprintLimitBytes: Int { get }
    /// Size of the platform's static arena (CHAL's `.bss` region, carved once at start-up): the core
    /// state plus the daemon's I/O buffers and the log's regions. The build files cannot read
    /// Swift, so the Makefile's `ARENA_BYTES_<name>`, Package.swift's `OUTPOST_ARENA_BYTES` per
    /// trait and CHAL's default (medium) repeat it; `ProfileFactsTests` fails when one differs.
    static var arenaBytes: Int { get }
    /// The log's default geometry (file and segment size, docs/LOG_FORMAT.md §1) when no
    /// `--log-size` is given.
    static var logGeometry: LogGeometry { get }

    // Capacities of the CoAP server (`Server`); defaults in the extension below.
    /// Largest datagram the server reads or writes (RFC 7252 §4.6 suggests 1152 bytes).
    static var maxDatagramBytes: Int { get }
    /// Entries of the duplicate-detection table (requests remembered for EXCHANGE_LIFETIME).
    static var duplicateEntryCount: Int { get }
    /// Bytes of response cached per duplicate-table entry (every POST response fits).
    static var duplicateResponseBytes: Int { get }
    /// Reading requests per second (`POST /readings`, CON or NON, all peers together) the profile
    /// is rated for: each is recognised as a duplicate for the whole EXCHANGE_LIFETIME (247 s)
    /// up to this load (docs/RESOURCES.md, Profiles/README.md).
    static var ratedRequestsPerSecond: Int { get }
    /// Entries of the compact duplicate ledger (`DuplicateLedger`): the rated load × 256 s.
    static var duplicateRecordCount: Int { get }
    /// Concurrent Block1 (RFC 7959) uploads the server reassembles.
    static var block1SlotCount: Int { get }
    /// Largest request body a Block1 slot holds.
    static var block1SlotBytes: Int { get }
    /// Observers of `/alerts` (RFC 7641) the server keeps.
    static var observerCount: Int { get }
    /// Readings one SenML pack may decode to.
    static var packReadingCapacity: Int { get }
    /// Alert events kept for `GET /alerts` and for observers that fell behind.
    static var recentAlertCount: Int { get }
    /// Largest rendered response body (larger ones are sent with Block2 from it).
    static var responseBodyBytes: Int { get }
    /// Block2 transfers whose body is copied at block 0 so later blocks match it (RFC 7959 §2.4).
    static var block2SnapshotCount: Int { get }
    /// Largest body such a copy holds (larger bodies are sent block by block as rendered).
    static var block2SnapshotBytes: Int { get }

    // Security (docs/SECURITY.md); defaults in the extension below.
    /// DTLS sessions (`--listen-dtls`) kept at once, handshaking or up; 0: no DTLS in this profile.
    static var dtlsSessionCount: Int { get }
    /// Identities the key file (`--psk-file`) may hold.
    static var pskIdentityCount: Int { get }
    // Fair service under load (`SourceTable`, docs/SECURITY.md); defaults in the extension below.
    /// Sources (addresses) tracked with their own token buckets (a power of two); the rest share one.
    static var sourceSlotCount: Int { get }
    /// Sensor places kept for sources holding fewer than `sourceSensorShareMin` sensors.
    static var sensorReserve: Int { get }
    /// Sensors a source may hold and still take a reserved place.
    static var sourceSensorShareMin: Int { get }
    /// Block1 uploads, and `/alerts` registrations, one source may hold at once.
    static var sourceBlock1Share: Int { get }
    static var sourceObserverShare: Int { get }
    /// Sensor evictions waiting for their log marker (docs/LOG_FORMAT.md §4.4, code 5) until the
    /// next outbox drain; 0: evictions write no marker and slots of sources over their sensor
    /// share are not taken back (the optimiser folds both paths away).
    static var evictionNoticeCount: Int { get }
    /// Percent of the duplicate table and of the ledger one source may hold while its next entry
    /// would push out another source's live one; 0: no per-source cap.
    static var sourceDuplicatePercent: Int { get }
    // Capacities of the HTTP server (`HTTPServer`, docs/HTTP.md) and the command queue.
    /// Connections served at once (event streams included).
    static var httpConnectionCount: Int { get }
    /// Request buffer per connection: the largest request head plus body it reads.
    static var httpRequestBytes: Int { get }
    /// Answer buffer per connection: the largest rendered answer (`/metrics` with every sensor).
    static var httpResponseBytes: Int { get }
    /// Server-Sent Events streams (`/api/events`) open at once.
    static var httpEventStreamCount: Int { get }
    /// Commands queued for sensors (`POST /api/sensors/{id}/command`), and bytes per command.
    static var commandSlotCount: Int { get }
    static var commandPayloadBytes: Int { get }
    /// Threshold rules per quantity and sensor-name pattern (`--threshold`) the profile holds.
    static var thresholdOverrideCount: Int { get }
    /// Values of quantities not detected on (`co2`, `voltage`) one SenML pack may carry; they are
    /// logged and forwarded as sent (`QuantityValue`). 0: such records are only counted, and the
    /// path compiles away (the low profile).
    static var packQuantityCapacity: Int { get }
    /// Quantity names counted one by one in `/metrics` (the rest under one label).
    static var quantityNameCount: Int { get }
    /// Binary uploads (`POST /images/{camera}`) in progress at once (0: no images in this build),
    /// and the largest upload in bytes (`--image-max-bytes` may lower it).
    static var imageTransferCount: Int { get }
    static var imageBytesMax: Int { get }
    /// Sensors the pipeline keeps a `SensorContext` for (the history behind a model's context
    /// inputs, `ContextKind`): 0 leaves the store and its code out of the build.
    static var contextSensorCount: Int { get }
}

extension Profile {
    /// Sensors the table accepts (3/4 of the slots, to keep probe chains short).
    public static var sensorCapacity: Int { sensorSlotCount / 4 * 3 }

    public static var maxDatagramBytes: Int { 1152 }
    public static var duplicateEntryCount: Int { max(16, batchSize * 4) }
    public static var duplicateResponseBytes: Int { 96 }
    public static var ratedRequestsPerSecond: Int { 4 }
    public static var duplicateRecordCount: Int {
        min(65_535, ratedRequestsPerSecond * Int(truncatingIfNeeded: DuplicateLedger.holdMs / 1_000))
    }
    public static var block1SlotCount: Int { 2 }
    public static var block1SlotBytes: Int { 4096 }
    public static var observerCount: Int { 4 }
    public static var packReadingCapacity: Int { 64 }
    public static var recentAlertCount: Int { 32 }
    public static var responseBodyBytes: Int { 8192 }
    public static var block2SnapshotCount: Int { 2 }
    /// Every body the scratch can hold can be copied.
    public static var block2SnapshotBytes: Int { responseBodyBytes }
    public static var dtlsSessionCount: Int { 16 }
    public static var pskIdentityCount: Int { 32 }
    public static var sourceSlotCount: Int { max(8, sensorSlotCount / 2) }
    public static var sensorReserve: Int { sensorCapacity / 8 }
    public static var sourceSensorShareMin: Int { max(1, sensorReserve / 4) }
    public static var sourceBlock1Share: Int { max(1, block1SlotCount / 2) }
    public static var sourceObserverShare: Int { max(1, observerCount / 4) }
    public static var evictionNoticeCount: Int { packReadingCapacity }
    public static var sourceDuplicatePercent: Int { 25 }
    public static var httpConnectionCount: Int { 8 }
    public static var httpRequestBytes: Int { 2048 }
    public static var httpResponseBytes: Int { 32 * 1024 }
    public static var httpEventStreamCount: Int { 4 }
    public static var commandSlotCount: Int { 16 }
    public static var commandPayloadBytes: Int { 128 }
    public static var modelCapacity: ModelCapacity { .none }
    public static var retrainSampleCount: Int { 0 }
    public static var retrainTreeCount: Int { 0 }
    public static var thresholdOverrideCount: Int { 16 }
    public static var packQuantityCapacity: Int { 32 }
    public static var quantityNameCount: Int { 16 }
    public static var imageTransferCount: Int { 2 }
    public static var imageBytesMax: Int { 1024 * 1024 }
    /// Every sensor when the profile takes model files with context inputs, else none (a baked
    /// model is format version 1: no context inputs).
    public static var contextSensorCount: Int { modelCapacity.contextInputs ? sensorCapacity : 0 }
}

/// The queue between the pipeline and its consumers (log, uplink, replay output).
public protocol OutboxQueue {
    /// An empty queue.
    init()
    /// Number of queued events.
    var count: Int { get }
    /// Most events the queue holds.
    static var capacityEvents: Int { get }
    /// Appends `event` if there is room; false (changing nothing) when full.
    mutating func tryAppend(_ event: OutboxEvent) -> Bool
    /// Removes and returns the oldest event, or nil.
    mutating func popFirst() -> OutboxEvent?
    /// The event at `offset` from the front (0 is the oldest; `offset` < `count`).
    subscript(offset: Int) -> OutboxEvent { get }
}

extension Ring: OutboxQueue where Element == OutboxEvent {
    public init() {
        self.init(filler: .reading(ProcessedReading(
            sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 0, timestampMs: 0,
            features: FeatureVector(), batteryMilliPercent: nil)))
    }

    public static var capacityEvents: Int { capacity }
}
