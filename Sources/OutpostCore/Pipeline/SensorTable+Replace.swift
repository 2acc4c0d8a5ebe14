// Giving a dense index to another name: the sensor slot of a long-silent sensor comes back.

extension SensorTable {
    /// Gives dense index `index` to `name`, which must be unknown: the old name is removed from
    /// the hash slots (backward-shift deletion keeps every probe chain unbroken, no tombstones).
    /// The caller resets all state kept per index first (the server drops the old sensor's
    /// queued commands: `SensorCommandQueue.dropSensor`).
    /// - Complexity: O(1) expected; at most `slotCount` probes for the removal and the insertion.
    public mutating func replace(_ index: Int, with name: SensorName) {
        precondition(index >= 0 && index < count, "sensor index out of range")
        precondition(name.count > 0, "empty sensor name")
        precondition(find(name) == nil, "the new name is already in the table")
        remove(names[index])
        guard case .emptySlot(let slot) = probe(name) else { preconditionFailure("name reappeared after the check") }
        names[index] = name
        slots[slot] = Int16(truncatingIfNeeded: index)
        assert(find(name) == index)
    }

    /// Removes `name`'s hash slot and moves later entries of its probe chain back into the gap.
    /// - Complexity: O(chain length) ≤ `slotCount`.
    mutating func remove(_ name: SensorName) {
        let mask = slots.count - 1
        guard case .index = probe(name) else { preconditionFailure("removing a name that is not in the table") }
        var gap = Int(truncatingIfNeeded: name.hash32) & mask
        // Find the name's slot (bounded by slotCount: the probe above found it).
        for _ in 0..<slots.count {
            let entry = Int(slots[gap])
            if entry >= 0 && names[entry] == name { break }
            gap = (gap + 1) & mask
        }
        slots[gap] = -1
        var next = (gap + 1) & mask
        // Bounded: an empty slot always exists (capacity < slotCount), and the walk stops there.
        for _ in 0..<slots.count {
            let entry = Int(slots[next])
            if entry < 0 { return }
            let home = Int(truncatingIfNeeded: names[entry].hash32) & mask
            // The entry may move into the gap when its home is not cyclically in (gap, next].
            if (next &- home) & mask >= (next &- gap) & mask {
                slots[gap] = slots[next]
                slots[next] = -1
                gap = next
            }
            next = (next + 1) & mask
        }
        preconditionFailure("sensor table has no empty slot")
    }
}
