/// Commands waiting for their sensors, shared by every front end (HTTP `POST
/// /api/sensors/{id}/command`, an MQTT subscription): a bounded table carved once, `capacity`
/// commands in all and at most `perSensorLimit` per sensor, each with up to `payloadBytes` of
/// payload. A full queue refuses (`full`); nothing is overwritten, so a command is never lost
/// silently once accepted.
///
/// Around the table:
/// - the *log journal*: a command stays `logged == false` until the gateway appended its
///   *accepted* record (`oldestUnlogged`, `markLogged`), and the end events after `eventsLogged`
///   still need their *delivered* / *expired* records (docs/LOG_FORMAT.md §4.6);
/// - the *event ring*: the last `eventCapacity` delivered / expired events, numbered from 0 since
///   start (`eventsTotal`), which any upstream reads with its own cursor (`event(sequence:)`) to
///   publish acknowledgements. An event is never overwritten before it was logged: `finish`
///   refuses (the caller retries on a later tick) while the ring holds only unlogged events.
public struct SensorCommandQueue {
    let commands: UnsafeMutableBufferPointer<SensorCommand>
    let payloads: UnsafeMutableRawBufferPointer
    let events: UnsafeMutableBufferPointer<SensorCommandEvent>
    public let payloadBytes: Int
    public let perSensorLimit: Int
    /// How long a command waits for its sensor before it expires (`--command-expiry`).
    public var expiryMs: Int64 = SensorCommandQueue.defaultExpiryMs
    /// True when a log keeps the commands (the gateway drains the journal into it); false without
    /// one: commands count as logged at once and events need no record.
    public var journaling = false
    /// Commands queued now.
    public private(set) var count = 0
    /// The id the next accepted command gets.
    public private(set) var nextId: UInt32 = 1
    /// Delivered / expired events since start, and how many of them the log holds (or, without a
    /// log, were passed by the gateway).
    public private(set) var eventsTotal: UInt32 = 0
    public private(set) var eventsLogged: UInt32 = 0
    public private(set) var counters = SensorCommandCounters()

    /// One hour: long enough for a sensor that sleeps between short wake-ups, short enough that a
    /// forgotten command does not act hours later.
    public static var defaultExpiryMs: Int64 { 3_600_000 }
    /// Most commands expired per call of `expire` (the rest on the next tick).
    public static var expiryPerTick: Int { 16 }

    /// A queue of `slotCount` commands of up to `payloadBytes` each and a ring of `eventCount`
    /// end events, carved from `arena`.
    public init(arena: inout Arena, slotCount: Int, payloadBytes: Int, perSensorLimit: Int, eventCount: Int) {
        // 0: a profile without commands (the queue takes nothing and is never used).
        precondition(slotCount >= 0 && slotCount <= Int(Int16.max), "command slot count out of range")
        precondition(payloadBytes > 0 && payloadBytes <= Int(UInt16.max) && perSensorLimit > 0, "command queue limits out of range")
        // Every pending command may end in one tick: the ring must hold them all unlogged.
        precondition(eventCount >= slotCount, "the event ring must hold an event per slot")
        commands = arena.carve(slotCount, of: SensorCommand.free)
        payloads = UnsafeMutableRawBufferPointer(arena.carve(slotCount * payloadBytes, of: UInt8(0)))
        events = arena.carve(eventCount, of: SensorCommandEvent.filler)
        self.payloadBytes = payloadBytes
        self.perSensorLimit = perSensorLimit
    }

    /// Arena bytes the queue takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, slotCount: Int, payloadBytes: Int, eventCount: Int) -> Int {
        var bytes = Arena.bytes(after: offset, slotCount, of: SensorCommand.self)
        bytes = Arena.bytes(after: bytes, slotCount * payloadBytes, of: UInt8.self)
        return Arena.bytes(after: bytes, eventCount, of: SensorCommandEvent.self)
    }

    public var capacity: Int { commands.count }
    public var eventCapacity: Int { events.count }

    /// Queues `payload` for the sensor at dense index `sensorIndex`, called `sensorName`.
    /// - Complexity: O(capacity)
    public mutating func enqueue(
        sensorIndex: Int, sensorName: SensorName, payload: UnsafeRawBufferPointer, contentFormat: UInt16, origin: SensorCommandOrigin, nowMs: Int64
    ) -> SensorCommandEnqueueResult {
        precondition(sensorIndex >= 0 && sensorIndex < Int(Int16.max), "sensor index out of range")
        if payload.count == 0 || payload.count > payloadBytes {
            counters.refusedOther &+= 1
            return SensorCommandEnqueueResult(outcome: .tooLarge)
        }
        let sensor = Int16(truncatingIfNeeded: sensorIndex)
        var free = -1
        var pending = 0
        for i in 0..<commands.count {
            if commands[i].sensor < 0 {
                if free < 0 { free = i }
            } else if commands[i].sensor == sensor {
                pending += 1
            }
        }
        if free < 0 || pending >= perSensorLimit {
            counters.refusedFull &+= 1
            return SensorCommandEnqueueResult(outcome: .full)
        }
        let id = nextId
        nextId = nextId == UInt32.max ? 1 : nextId &+ 1
        commands[free] = SensorCommand(
            sensor: sensor, sensorName: sensorName, payloadCount: UInt16(truncatingIfNeeded: payload.count), contentFormat: contentFormat,
            origin: origin, id: id, enqueuedMs: nowMs)
        commands[free].logged = !journaling
        slotBytes(free).baseAddress!.copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        count += 1
        counters.accepted &+= 1
        assert(count <= commands.count)
        return SensorCommandEnqueueResult(outcome: .accepted, id: id, pending: pending + 1)
    }

    /// The command in slot `slot` (check `sensor >= 0`).
    /// - Complexity: O(1)
    public func command(at slot: Int) -> SensorCommand { commands[slot] }

    /// The payload of the command in slot `slot` (valid until the slot is reused).
    /// - Complexity: O(1)
    public func payload(at slot: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(payloads)[(slot * payloadBytes)..<(slot * payloadBytes + Int(commands[slot].payloadCount))])
    }

    func slotBytes(_ slot: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: payloads[(slot * payloadBytes)..<((slot + 1) * payloadBytes)])
    }

    /// Commands pending for the sensor at `sensorIndex`.
    /// - Complexity: O(capacity)
    public func pending(sensorIndex: Int) -> Int {
        let sensor = Int16(truncatingIfNeeded: sensorIndex)
        var n = 0
        for i in 0..<commands.count where commands[i].sensor == sensor { n += 1 }
        return n
    }

    /// The slot of the oldest pending command of the sensor at `sensorIndex`, or nil.
    /// - Complexity: O(capacity)
    public func oldest(sensorIndex: Int) -> Int? {
        let sensor = Int16(truncatingIfNeeded: sensorIndex)
        var oldest = -1
        for i in 0..<commands.count where commands[i].sensor == sensor {
            if oldest < 0 || isOlder(commands[i], than: commands[oldest]) { oldest = i }
        }
        return oldest < 0 ? nil : oldest
    }

    /// The slot of the pending command `id`, or nil.
    /// - Complexity: O(capacity)
    public func slot(id: UInt32) -> Int? {
        for i in 0..<commands.count where commands[i].sensor >= 0 && commands[i].id == id { return i }
        return nil
    }

    /// Ids grow by one per command and wrap at 2^32 (skipping 0): the older of two pending
    /// commands is the one further behind `nextId`.
    func isOlder(_ a: SensorCommand, than b: SensorCommand) -> Bool {
        nextId &- a.id > nextId &- b.id
    }

    /// True while the event ring can take another end event without overwriting an unlogged one.
    public var canFinish: Bool { Int(truncatingIfNeeded: eventsTotal &- eventsLogged) < events.count }

    /// Ends the command in slot `slot`: frees the slot and appends the event. False (nothing changed) while the ring has no room (`canFinish`) or while the
    /// command's *accepted* record is not logged yet; the caller tries again on a later tick.
    /// - Complexity: O(1)
    @discardableResult
    public mutating func finish(slot: Int, kind: SensorCommandEventKind, via: SensorCommandVia, nowMs: Int64) -> Bool {
        precondition(slot >= 0 && slot < commands.count && commands[slot].sensor >= 0, "finishing a free command slot")
        if !canFinish || !commands[slot].logged { return false }
        let event = SensorCommandEvent(
            kind: kind, via: via, sensor: commands[slot].sensor, sensorName: commands[slot].sensorName, id: commands[slot].id,
            timeMs: nowMs)
        events[Int(truncatingIfNeeded: eventsTotal % UInt32(truncatingIfNeeded: events.count))] = event
        eventsTotal &+= 1
        if !journaling { eventsLogged = eventsTotal }
        commands[slot] = .free
        count -= 1
        if kind == .delivered { counters.delivered &+= 1 } else { counters.expired &+= 1 }
        return true
    }

    /// Expires the commands older than `expiryMs` (at most `expiryPerTick`, the oldest first is
    /// not required: every one past its time goes within a few ticks). Returns how many.
    /// - Complexity: O(capacity)
    @discardableResult
    public mutating func expire(nowMs: Int64) -> Int {
        var expired = 0
        for i in 0..<commands.count where commands[i].sensor >= 0 {
            if expired >= SensorCommandQueue.expiryPerTick || !canFinish { break }
            let (waitedMs, overflow) = nowMs.subtractingReportingOverflow(commands[i].enqueuedMs)
            if overflow || waitedMs < expiryMs { continue }
            if finish(slot: i, kind: .expired, via: .none, nowMs: nowMs) {
                expired += 1
            }
        }
        return expired
    }

    /// Ends every pending command of the sensor at `sensorIndex` after its index was given to a
    /// new sensor (`Pipeline+Evict`): the newcomer must never receive them. Each ends as an
    /// *expired* event (via `none`) so the log closes it by id and upstreams acknowledge it; a
    /// command whose *accepted* record was not logged yet is no longer owed to the log. When the
    /// event ring has no room the command is freed without an event. Returns how many.
    /// - Complexity: O(capacity)
    @discardableResult
    public mutating func dropSensor(sensorIndex: Int, nowMs: Int64) -> Int {
        precondition(sensorIndex >= 0 && sensorIndex < Int(Int16.max), "sensor index out of range")
        let sensor = Int16(truncatingIfNeeded: sensorIndex)
        var dropped = 0
        for i in 0..<commands.count where commands[i].sensor == sensor {
            commands[i].logged = true
            if !finish(slot: i, kind: .expired, via: .none, nowMs: nowMs) {
                commands[i] = .free
                count -= 1
            }
            dropped += 1
        }
        counters.droppedEvicted &+= UInt64(bitPattern: dropped.wide)
        assert(pending(sensorIndex: sensorIndex) == 0)
        return dropped
    }

    // MARK: - Event ring (readers keep their own cursor)

    /// Sequence of the oldest event the ring still holds (`eventsTotal` when empty).
    public var oldestEventSequence: UInt32 {
        eventsTotal &- min(eventsTotal, UInt32(truncatingIfNeeded: events.count))
    }

    /// The event numbered `sequence`, or nil when the ring no longer (or not yet) holds it.
    /// - Complexity: O(1)
    public func event(sequence: UInt32) -> SensorCommandEvent? {
        let behind = eventsTotal &- sequence
        if behind == 0 || behind > UInt32(truncatingIfNeeded: events.count) || behind > eventsTotal { return nil }
        return events[Int(truncatingIfNeeded: sequence % UInt32(truncatingIfNeeded: events.count))]
    }

    // MARK: - Log journal

    /// The slot of the oldest command whose *accepted* record is not in the log yet, or nil.
    /// - Complexity: O(capacity)
    public func oldestUnlogged() -> Int? {
        var oldest = -1
        for i in 0..<commands.count where commands[i].sensor >= 0 && !commands[i].logged {
            if oldest < 0 || isOlder(commands[i], than: commands[oldest]) { oldest = i }
        }
        return oldest < 0 ? nil : oldest
    }

    /// The log holds the *accepted* record of the command in `slot`.
    /// - Complexity: O(1)
    public mutating func markLogged(slot: Int) {
        precondition(commands[slot].sensor >= 0, "logging a free command slot")
        commands[slot].logged = true
    }

    /// The next event whose record the log does not hold yet, or nil.
    /// - Complexity: O(1)
    public var nextUnloggedEvent: SensorCommandEvent? {
        eventsLogged == eventsTotal ? nil : event(sequence: eventsLogged)
    }

    /// The log holds the record of `nextUnloggedEvent`.
    /// - Complexity: O(1)
    public mutating func markEventLogged() {
        precondition(eventsLogged != eventsTotal, "no unlogged event")
        eventsLogged &+= 1
    }

    /// Counts a record the log refused (full, out of space): tried again on the next drain.
    public mutating func countLogRefusal() { counters.logRefusals &+= 1 }

    // MARK: - Recovery from the log

    /// Puts back a command read from its *accepted* record at start-up (already logged). Ids
    /// continue after the highest one seen. False (counted) when the queue has no room.
    /// - Complexity: O(capacity)
    @discardableResult
    public mutating func restore(
        id: UInt32, sensorIndex: Int, sensorName: SensorName, payload: UnsafeRawBufferPointer, contentFormat: UInt16, origin: SensorCommandOrigin,
        enqueuedMs: Int64
    ) -> Bool {
        if id &- nextId < UInt32.max / 2 { nextId = id == UInt32.max ? 1 : id &+ 1 }
        if payload.count == 0 || payload.count > payloadBytes || slot(id: id) != nil {
            counters.restoreSkipped &+= 1
            return false
        }
        guard let free = firstFree() else {
            counters.restoreSkipped &+= 1
            return false
        }
        var command = SensorCommand(
            sensor: Int16(truncatingIfNeeded: sensorIndex), sensorName: sensorName, payloadCount: UInt16(truncatingIfNeeded: payload.count),
            contentFormat: contentFormat, origin: origin, id: id, enqueuedMs: enqueuedMs)
        command.logged = true
        commands[free] = command
        slotBytes(free).baseAddress!.copyMemory(from: payload.baseAddress!, byteCount: payload.count)
        count += 1
        counters.restored &+= 1
        return true
    }

    /// Removes command `id` at start-up: its *delivered* or *expired* record was read (no event).
    /// - Complexity: O(capacity)
    public mutating func restoreEnded(id: UInt32) {
        guard let slot = slot(id: id) else { return }
        commands[slot] = .free
        count -= 1
        counters.restored &-= 1
    }

    func firstFree() -> Int? {
        for i in 0..<commands.count where commands[i].sensor < 0 { return i }
        return nil
    }
}
