/// The CoAP server of Outpost (RFC 7252, 7959, 7641, 6690; SenML RFC 8428): turns datagrams into
/// readings for the pipeline and answers with responses, deterministically and without the heap.
///
/// The daemon owns sockets and serial lines and calls, per loop tick: `handle` for each received
/// datagram (the response goes into the daemon's send batch), then `tick`, which drains the
/// pipeline's outbox (to observers, later to the log) and expires tables, then sends the batch.
/// Time is always passed in (`nowMs`), so tests drive the server with a fake clock.
///
/// Every table is carved from the arena at start-up with capacities from the profile; see
/// docs/RESOURCES.md for the resources and `handle` for the message rules.
public struct Server<P: Profile> {
    public var pipeline: Pipeline<P>
    public let identity: ServerIdentity
    /// What happened so far (for `/health` and `/metrics`).
    public internal(set) var counters = ServerCounters()
    /// Per-tick latency as reported by the daemon (`recordTickLatency(ns:)`).
    public internal(set) var tickLatency = MetricsHistogram()
    /// Sensor index → last reading and receive time.
    let sensorRecords: UnsafeMutableBufferPointer<ServerSensorRecord>
    /// Readings decoded from one SenML pack (or serial line) before they enter the pipeline.
    let packReadings: UnsafeMutableBufferPointer<Reading>
    /// Values of quantities not detected on, decoded from one SenML pack.
    let packQuantities: UnsafeMutableBufferPointer<QuantityValue>
    /// Those values between admission and the log (drained after the outbox).
    public internal(set) var quantityQueue: QuantityValueQueue
    /// Values taken per quantity name, for `/metrics`.
    public internal(set) var quantityCounts: QuantityCounts
    public internal(set) var duplicates: DuplicateTable
    /// Every state-changing request of the last EXCHANGE_LIFETIME, compactly (the rated load's worth).
    public internal(set) var ledger: DuplicateLedger
    public internal(set) var block1: Block1Reassembly
    /// Binary uploads in progress (`POST /images/{camera}`) and the one block not yet logged.
    public internal(set) var images: ImageTransferTable
    public internal(set) var observers: ObserverTable
    public internal(set) var alertHistory: ServerAlertHistory
    /// Scratch for rendered response bodies (Block2 slices them) and for notifications.
    let body: UnsafeMutableRawBufferPointer
    /// Copies of bodies being sent in Block2 blocks, so one transfer sees one representation.
    public internal(set) var snapshots: Block2Snapshots
    /// Message ID of the next message the server originates (NON responses, notifications).
    var nextMessageID: UInt16
    /// Time of the last `tick`, for `/health`.
    public internal(set) var lastTickMs: Int64
    /// The log's room for the request being handled (`LogRoom`, the argument of `handle` /
    /// `ingestLine`), kept for the length of that call only (the admission check in `ingest`
    /// reads it): records (-1: no limit) and the refusal's Max-Age. Four 32-bit fields together
    /// with the insertion counters below, so they take 16 bytes of the server's footprint.
    var roomRecords: Int32 = -1
    var roomRetryS: UInt32 = 1
    /// Entries put in the duplicate cache and the ledger since start (wrapping): the marks of
    /// `forgetExchanges(since:)`. Every insertion is made by `handle`.
    var cachedInsertions: UInt32 = 0
    var recordedInsertions: UInt32 = 0
    /// Traffic sources and their token buckets (docs/SECURITY.md, "Fair service").
    public internal(set) var sources: SourceTable
    /// Sensor evictions waiting for the next outbox drain to be logged (a ring of
    /// `P.evictionNoticeCount`, oldest at `noticeHead`): the name is gone from the table by then.
    let evictionNotices: UnsafeMutableBufferPointer<SensorEvictionNotice>
    var noticeHead = 0
    public internal(set) var noticeCount = 0
    /// The per-source limits (the daemon's options).
    public var fairness = FairnessSettings()
    /// The source entry of the request being handled (-1: a serial line, not rate-limited), and
    /// whether its handling dropped it for being over its share (nothing is sent or remembered).
    var sourceIndex = -1
    var droppedOverShare = false
    /// Set by the gateway each tick (`GatewayStore.dropPressure`): with drop-oldest, less than
    /// half the log is free of unforwarded records, and sources over their share are refused.
    public var logPressure = false
    /// The daemon's log and uplink as `/health` shows them (refreshed by the daemon each tick).
    public var storeStatus = ServerStoreStatus()
    /// The daemon's serial lines as `/health` and `/metrics` show them (refreshed by the daemon).
    public var serialStatus = ServerSerialStatus()
    /// The daemon's DTLS listener as `/health` and `/metrics` show it: the daemon's own copy,
    /// refreshed by it (nil: no listener). A pointer, so the server value grows by 8 bytes only.
    public var dtlsStatus: UnsafePointer<ServerDTLSStatus>? = nil
    /// Since when the uplink is down and when trouble counters grew (`updateStoreStatus`).
    public internal(set) var healthWatch = ServerHealthWatch()
    /// Whether the gateway's `uplink_rejected` alert is raised (`updateStoreStatus`; restored from
    /// the log after a restart).
    public internal(set) var uplinkRejectionOpen = false
    /// Commands waiting for their sensors (every front end queues here, `enqueueCommand`).
    public var commands: SensorCommandQueue
    /// Observers of `/commands/<sensor>`.
    public internal(set) var commandObservers: CommandObserverTable
    /// Sensors with a line-mode serial route for their commands (`routeCommands`).
    var linesRouted = 0
    /// Whether the log can take a command's record now (the gateway keeps it current; true
    /// without a log).
    public var commandLogReady = true

    /// End events the command ring keeps (acks an upstream publishes): every slot can end in one
    /// tick, and a slow reader has as many again.
    public static var commandEventCount: Int { commandsEnabled ? max(8, 2 * P.commandSlotCount) : 0 }
    /// Observers of `/commands/<sensor>` (the profile's `observerCount`, as for `/alerts`).
    public static var commandObserverCount: Int { commandsEnabled ? P.observerCount : 0 }
    /// False in a profile whose `commandSlotCount` is 0 (low: its firmware must stay small):
    /// every command path is then a constant branch the compiler removes, `/commands` is 4.04 and
    /// `enqueueCommand` refuses.
    @inline(__always) public static var commandsEnabled: Bool { P.commandSlotCount > 0 }
    /// Buckets the duplicate table's and the ledger's entries are counted per source in
    /// (`DuplicateOwners`, 1 KiB each); 0 in a profile without the per-source cap.
    static var duplicateOwnerBuckets: Int { P.sourceDuplicatePercent > 0 ? 512 : 0 }
    /// Entries of the duplicate table, and of the ledger, one source may hold while its next one
    /// would push out another source's live entry (`sourceDuplicatePercent` of each, at least 1).
    static var duplicateShare: Int { max(1, P.duplicateEntryCount * P.sourceDuplicatePercent / 100) }
    static var ledgerShare: Int { max(1, P.duplicateRecordCount * P.sourceDuplicatePercent / 100) }
    /// Most commands queued per sensor.
    public static var commandsPerSensor: Int { 4 }
    /// Slots of the quantity value queue: one pack's worth, so a pack always fits after a drain
    /// (`outboxNeedsDrain` asks for one when less is free; the gateway drains before every request).
    public static var quantityQueueCount: Int { P.packQuantityCapacity }

    /// Builds the server and its pipeline in `arena`, which must have `arenaBytes(after:)` room.
    public init(arena: inout Arena, identity: ServerIdentity) {
        precondition(P.maxDatagramBytes >= 64 && P.maxDatagramBytes <= 65_507, "datagram size out of range")
        precondition(P.duplicateResponseBytes >= 64, "cached responses must hold a POST answer")
        precondition(P.responseBodyBytes >= 2 * P.maxDatagramBytes, "the body scratch also builds notifications")
        precondition(P.packReadingCapacity > 0, "a pack needs room for a reading")
        // A pack is taken whole or refused, with room reserved for every reading's worst case:
        // a pack larger than an empty outbox could take would be refused forever.
        precondition(
            P.packReadingCapacity * Pipeline<P>.outboxRoomPerReading <= P.Outbox.capacityEvents,
            "packReadingCapacity too large for the outbox")
        let start = arena.usedBytes
        pipeline = Pipeline<P>(arena: &arena)
        self.identity = identity
        sensorRecords = arena.carve(P.sensorCapacity, of: ServerSensorRecord.empty)
        packReadings = arena.carve(P.packReadingCapacity, of: Reading(sensor: SensorName(), timestampMs: 0))
        // (A profile without room for them carves nothing: folded away, no code in its firmware.)
        if P.packQuantityCapacity > 0 {
            packQuantities = arena.carve(P.packQuantityCapacity, of: QuantityValue.empty)
            quantityQueue = QuantityValueQueue(arena: &arena, capacity: Server.quantityQueueCount)
            quantityCounts = QuantityCounts(arena: &arena, capacity: P.quantityNameCount)
        } else {
            packQuantities = UnsafeMutableBufferPointer(start: nil, count: 0)
            quantityQueue = QuantityValueQueue()
            quantityCounts = QuantityCounts()
        }
        duplicates = DuplicateTable(
            arena: &arena, capacity: P.duplicateEntryCount, responseBytes: P.duplicateResponseBytes, ownerBuckets: Server.duplicateOwnerBuckets)
        ledger = DuplicateLedger(arena: &arena, capacity: P.duplicateRecordCount, ownerBuckets: Server.duplicateOwnerBuckets)
        block1 = Block1Reassembly(arena: &arena, slotCount: P.block1SlotCount, slotBytes: P.block1SlotBytes)
        images = ImageTransferTable(
            arena: &arena, slotCount: P.imageTransferCount, bufferBytes: P.maxDatagramBytes, limitBytes: P.imageBytesMax)
        observers = ObserverTable(arena: &arena, capacity: P.observerCount)
        alertHistory = ServerAlertHistory(arena: &arena, capacity: P.recentAlertCount)
        body = UnsafeMutableRawBufferPointer(arena.carve(P.responseBodyBytes, of: UInt8(0)))
        snapshots = Block2Snapshots(arena: &arena, slotCount: P.block2SnapshotCount, slotBytes: P.block2SnapshotBytes)
        sources = SourceTable(arena: &arena, slotCount: P.sourceSlotCount)
        evictionNotices = arena.carve(P.evictionNoticeCount, of: SensorEvictionNotice(sensor: SensorName(), reason: 0, timestampMs: 0))
        precondition(P.commandPayloadBytes > 0 && P.commandPayloadBytes <= LogCommandPayload.maxCommandBytes, "a command must fit in one log record")
        commands = SensorCommandQueue(
            arena: &arena, slotCount: P.commandSlotCount, payloadBytes: P.commandPayloadBytes,
            perSensorLimit: Server.commandsPerSensor, eventCount: Server.commandEventCount)
        commandObservers = CommandObserverTable(arena: &arena, capacity: Server.commandObserverCount)
        // Start message IDs somewhere that depends on the node and start time, so a restarted
        // server does not reuse the IDs its peers may still remember (RFC 7252 §4.4).
        nextMessageID = UInt16(truncatingIfNeeded: identity.nodeId.hash32 ^ UInt32(truncatingIfNeeded: identity.startMs))
        lastTickMs = identity.startMs
        precondition(arena.usedBytes - start <= Server.arenaBytes(after: 0), "arena accounting out of step")
    }

    /// Arena bytes the server (its pipeline included) carves after `offset` bytes, padding included.
    public static func arenaBytes(after offset: Int) -> Int {
        var bytes = offset + Pipeline<P>.arenaBytesRequired + 64  // the pipeline's own alignment padding
        bytes = Arena.bytes(after: bytes, P.sensorCapacity, of: ServerSensorRecord.self)
        bytes = Arena.bytes(after: bytes, P.packReadingCapacity, of: Reading.self)
        bytes = Arena.bytes(after: bytes, P.packQuantityCapacity, of: QuantityValue.self)
        bytes = QuantityValueQueue.arenaBytes(after: bytes, capacity: quantityQueueCount)
        bytes = QuantityCounts.arenaBytes(after: bytes, capacity: P.packQuantityCapacity > 0 ? P.quantityNameCount : 0)
        bytes = DuplicateTable.arenaBytes(
            after: bytes, capacity: P.duplicateEntryCount, responseBytes: P.duplicateResponseBytes, ownerBuckets: duplicateOwnerBuckets)
        bytes = DuplicateLedger.arenaBytes(after: bytes, capacity: P.duplicateRecordCount, ownerBuckets: duplicateOwnerBuckets)
        bytes = Block1Reassembly.arenaBytes(after: bytes, slotCount: P.block1SlotCount, slotBytes: P.block1SlotBytes)
        bytes = ImageTransferTable.arenaBytes(after: bytes, slotCount: P.imageTransferCount, bufferBytes: P.maxDatagramBytes)
        bytes = ObserverTable.arenaBytes(after: bytes, capacity: P.observerCount)
        bytes = ServerAlertHistory.arenaBytes(after: bytes, capacity: P.recentAlertCount)
        bytes = Arena.bytes(after: bytes, P.responseBodyBytes, of: UInt8.self)
        bytes = Block2Snapshots.arenaBytes(after: bytes, slotCount: P.block2SnapshotCount, slotBytes: P.block2SnapshotBytes)
        bytes = SourceTable.arenaBytes(after: bytes, slotCount: P.sourceSlotCount)
        bytes = Arena.bytes(after: bytes, P.evictionNoticeCount, of: SensorEvictionNotice.self)
        bytes = SensorCommandQueue.arenaBytes(
            after: bytes, slotCount: P.commandSlotCount, payloadBytes: P.commandPayloadBytes, eventCount: commandEventCount)
        return CommandObserverTable.arenaBytes(after: bytes, capacity: commandObserverCount)
    }

    /// Static RAM of the server: its arena regions (pipeline included) plus the value itself.
    public static var footprintBytes: Int { arenaBytes(after: 0) + MemoryLayout<Server<P>>.size }

    /// True when the outbox may be too full to take a whole pack: the daemon should call
    /// `drainOutbox(into:)` before the next datagram (all responses still go out after the
    /// batch, so draining mid-batch keeps "the ACK means it is logged" once the log is wired in).
    public var outboxNeedsDrain: Bool {
        P.Outbox.capacityEvents - pipeline.outbox.count < P.packReadingCapacity * Pipeline<P>.outboxRoomPerReading
            // A pack may evict one sensor per reading: the notices must have room for it.
            || (P.evictionNoticeCount > 0 && P.evictionNoticeCount - noticeCount < P.packReadingCapacity)
            || (P.packQuantityCapacity > 0 && quantityQueue.free < P.packQuantityCapacity)
    }

    /// Keeps `room` for the request being handled (see `roomRecords`).
    mutating func setRoom(_ room: LogRoom) {
        if let records = room.records {
            roomRecords = Int32(truncatingIfNeeded: min(max(records, 0), Int(Int32.max)))
        } else {
            roomRecords = -1
        }
        roomRetryS = room.retryS
    }

    /// Where the memory of answered exchanges stands now (see `forgetExchanges(since:)`).
    public var exchangeMark: ServerExchangeMark {
        ServerExchangeMark(cached: cachedInsertions, recorded: recordedInsertions)
    }

    /// Forgets every exchange remembered since `mark` (cached answers and ledger records), so
    /// their retransmissions are processed afresh: for requests whose answers were withheld
    /// because what they acknowledged did not reach the log. Returns how many entries went.
    /// - Complexity: O(entries since the mark).
    @discardableResult
    public mutating func forgetExchanges(since mark: ServerExchangeMark) -> Int {
        let cached = Int(truncatingIfNeeded: cachedInsertions &- mark.cached)
        let recorded = Int(truncatingIfNeeded: recordedInsertions &- mark.recorded)
        let before = duplicates.count + ledger.count
        duplicates.removeNewest(cached)
        ledger.removeNewest(recorded)
        return before - duplicates.count - ledger.count
    }

    /// Records the duration of one loop tick (receive, handle, drain, send) for `/metrics`.
    public mutating func recordTickLatency(ns: UInt64) { tickLatency.record(ns: ns) }

    /// A fresh message ID for a message the server originates.
    mutating func takeMessageID() -> UInt16 {
        let id = nextMessageID
        nextMessageID &+= 1
        return id
    }

    /// The last reading and receive time of sensor `index`.
    public func sensorRecord(_ index: Int) -> ServerSensorRecord {
        precondition(index >= 0 && index < pipeline.sensors.count, "sensor index out of range")
        return sensorRecords[index]
    }
}
