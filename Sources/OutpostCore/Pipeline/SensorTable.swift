/// Result of looking a sensor up by name, inserting it when new.
public enum SensorLookup: Equatable, Sendable {
    /// Known sensor, at this dense index.
    case found(Int)
    /// New sensor, registered at this dense index.
    case inserted(Int)
    /// New sensor refused: the table holds `capacity` sensors already (counted in `refusedCount`).
    case full
}

/// The fixed-capacity table of known sensors: names hashed into open-addressed slots (linear
/// probing), each slot pointing at a dense sensor index 0..<capacity that all per-sensor state is
/// indexed by. Indices are dense and never move; once the table is full, `replace` may give the
/// index of a long-silent sensor to a new name (its owner resets every per-sensor state first).
///
/// Slots number `slotCount` (a power of two) and at most `capacity` (≤ 3/4 of the slots) are used,
/// which bounds every probe chain. When full, a new sensor is refused and counted, never allocated.
public struct SensorTable {
    /// Slot → sensor index, or -1 for an empty slot.
    @usableFromInline let slots: UnsafeMutableBufferPointer<Int16>
    /// Sensor index → name.
    @usableFromInline let names: UnsafeMutableBufferPointer<SensorName>
    /// Most sensors the table accepts.
    public let capacity: Int
    /// Sensors registered so far.
    public private(set) var count: Int = 0
    /// New sensors refused because the table was full.
    public private(set) var refusedCount: UInt64 = 0

    /// A table with `slotCount` slots (power of two) and room for `capacity` sensors, in `arena`.
    public init(arena: inout Arena, slotCount: Int, capacity: Int) {
        precondition(slotCount > 0 && slotCount & (slotCount - 1) == 0, "slot count must be a power of two")
        precondition(capacity > 0 && capacity < slotCount, "the table needs more slots than sensors")
        precondition(capacity <= Int(Int16.max), "sensor indices are stored as Int16")
        slots = arena.carve(slotCount, of: Int16(-1))
        names = arena.carve(capacity, of: SensorName())
        self.capacity = capacity
    }

    /// Arena bytes the table takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, slotCount: Int, capacity: Int) -> Int {
        let afterSlots = Arena.bytes(after: offset, slotCount, of: Int16.self)
        return Arena.bytes(after: afterSlots, capacity, of: SensorName.self)
    }

    /// The index of `name`, or nil when unknown.
    /// - Complexity: O(1) expected; at most `slotCount` probes.
    public func find(_ name: SensorName) -> Int? {
        switch probe(name) {
        case .index(let index): return index
        case .emptySlot: return nil
        }
    }

    /// The index of `name`, registering it when new and there is room.
    /// - Complexity: O(1) expected; at most `slotCount` probes.
    public mutating func findOrInsert(_ name: SensorName) -> SensorLookup {
        precondition(name.count > 0, "empty sensor name")
        switch probe(name) {
        case .index(let index):
            return .found(index)
        case .emptySlot(let slot):
            if count == capacity {
                refusedCount &+= 1
                return .full
            }
            let index = count
            names[index] = name
            slots[slot] = Int16(truncatingIfNeeded: index)
            count += 1
            assert(find(name) == index)
            return .inserted(index)
        }
    }

    /// The name of the sensor at `index`.
    public func name(at index: Int) -> SensorName {
        precondition(index >= 0 && index < count, "sensor index out of range")
        return names[index]
    }

    enum Probe {
        case index(Int)
        case emptySlot(Int)
    }

    func probe(_ name: SensorName) -> Probe {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: name.hash32) & mask
        // Bounded: at most slotCount probes, and an empty slot always exists (capacity < slots).
        for _ in 0..<slots.count {
            let entry = Int(slots[slot])
            if entry < 0 { return .emptySlot(slot) }
            if names[entry] == name { return .index(entry) }
            slot = (slot + 1) & mask
        }
        preconditionFailure("sensor table has no empty slot")
    }
}
