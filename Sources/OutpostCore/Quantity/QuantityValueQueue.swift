/// The queue of `QuantityValue`s between a pack's admission and the log, beside the pipeline's
/// outbox (which carries only detected readings and alerts, so its events stay small): a ring in
/// the arena, drained into the outbox consumer before the outbox's events (`Server.drainOutbox`).
public struct QuantityValueQueue {
    let slots: UnsafeMutableBufferPointer<QuantityValue>
    var head = 0
    public private(set) var count = 0

    /// Carves `capacity` slots (0: a profile without the path; every call is then a no-op).
    /// - Complexity: O(capacity), once at start-up.
    public init(arena: inout Arena, capacity: Int) {
        slots = arena.carve(capacity, of: QuantityValue.empty)
    }

    /// An empty queue of no slots (a profile without the path).
    /// - Complexity: O(1).
    public init() {
        slots = UnsafeMutableBufferPointer(start: nil, count: 0)
    }

    /// Arena bytes the queue carves after `offset`.
    /// - Complexity: O(1).
    public static func arenaBytes(after offset: Int, capacity: Int) -> Int {
        Arena.bytes(after: offset, capacity, of: QuantityValue.self)
    }

    public var capacity: Int { slots.count }
    /// Slots free now.
    public var free: Int { slots.count - count }

    /// Appends `value` if there is room; false (changing nothing) when full.
    /// - Complexity: O(1).
    public mutating func tryAppend(_ value: QuantityValue) -> Bool {
        if count == slots.count { return false }
        slots[(head + count) % slots.count] = value
        count += 1
        return true
    }

    /// Removes and returns the oldest value, or nil.
    /// - Complexity: O(1).
    public mutating func popFirst() -> QuantityValue? {
        if count == 0 { return nil }
        let value = slots[head]
        head = (head + 1) % slots.count
        count -= 1
        return value
    }
}
