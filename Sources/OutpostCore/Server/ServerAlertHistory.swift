/// The latest alert events (raised and cleared) with their sequence numbers, for `GET /alerts`
/// and for observers catching up: a ring carved from the arena that overwrites the oldest.
///
/// Event number `n` (counting from 0 since start-up) is the Observe value of its notification
/// (modulo 2^24, RFC 7641 §4.4).
public struct ServerAlertHistory {
    let events: UnsafeMutableBufferPointer<AlertEvent>
    /// Events appended since start-up: the sequence number the next event gets.
    public private(set) var total: UInt32 = 0
    /// Events held (at most `capacity`).
    public private(set) var count = 0

    /// A history of `capacity` events carved from `arena`.
    public init(arena: inout Arena, capacity: Int) {
        precondition(capacity > 0 && capacity <= 1 << 16, "alert history capacity out of range")
        events = arena.carve(capacity, of: ServerAlertHistory.filler)
    }

    /// Arena bytes the history takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, capacity: Int) -> Int {
        Arena.bytes(after: offset, capacity, of: AlertEvent.self)
    }

    static var filler: AlertEvent {
        AlertEvent(
            raised: false, kind: .threshold, severity: .warning, sensorSlot: 0, feature: nil, value: 0, threshold: 0,
            confidenceQ16: 0, timestampMs: 0)
    }

    /// Most events held.
    public var capacity: Int { events.count }

    /// Sequence number of the oldest event held (== `total` when empty).
    public var oldestSequence: UInt32 { total &- UInt32(truncatingIfNeeded: count) }

    /// Appends `event` as number `total`, overwriting the oldest when full.
    /// - Complexity: O(1)
    public mutating func append(_ event: AlertEvent) {
        events[Int(truncatingIfNeeded: total % UInt32(truncatingIfNeeded: events.count))] = event
        total &+= 1
        if count < events.count { count += 1 }
    }

    /// The event numbered `sequence`, or nil when it is not held (too old, or not yet).
    public func event(sequence: UInt32) -> AlertEvent? {
        let age = total &- sequence
        if age == 0 || age > UInt32(truncatingIfNeeded: count) { return nil }
        return events[Int(truncatingIfNeeded: sequence % UInt32(truncatingIfNeeded: events.count))]
    }

    /// Changes the `sensorSlot` of every held event of `slot` to `replacement` (a sensor's index
    /// given to another must not lend the new name to the old sensor's events).
    /// - Complexity: O(capacity)
    public mutating func retag(slot: UInt16, as replacement: UInt16) {
        for i in 0..<events.count where events[i].sensorSlot == slot { events[i].sensorSlot = replacement }
    }
}
