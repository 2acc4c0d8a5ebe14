/// An `UplinkSource` over a caller's fixed ring of records (tests, self-test, benchmarks): record
/// sequence s lives in slot (s − 1) mod capacity. Appending over an unforwarded record loses it,
/// as a `drop-oldest` log would; the uplink then skips the gap.
public struct UplinkMemorySource: UplinkSource {
    let records: UnsafeMutableBufferPointer<LogRecord>
    /// Sequence of the newest record appended (0 when none).
    public private(set) var uplinkLastSequence: UInt64 = 0
    /// The log id the packs carry (0: none), as a test chooses.
    public var uplinkLogID: UInt64 = 0

    /// A source over `records` (capacity ≥ 1), initially empty.
    public init(records: UnsafeMutableBufferPointer<LogRecord>) {
        precondition(records.count >= 1, "the ring needs a slot")
        self.records = records
    }

    /// Oldest sequence still held.
    public var firstSequence: UInt64 {
        let capacity = UInt64(truncatingIfNeeded: records.count.wide)
        return uplinkLastSequence > capacity ? uplinkLastSequence - capacity + 1 : 1
    }

    /// Appends `record` with the next sequence (its `sequence` field is overwritten); returns it.
    @discardableResult
    public mutating func append(_ record: LogRecord) -> UInt64 {
        var copy = record
        uplinkLastSequence &+= 1
        copy.sequence = uplinkLastSequence
        records[slot(uplinkLastSequence)] = copy
        return uplinkLastSequence
    }

    /// - Complexity: O(budget) records.
    public mutating func uplinkRead(after sequence: UInt64, alertsOnly: Bool, budget: Int, into record: inout LogRecord) -> UplinkRead {
        precondition(budget > 0, "a read needs a budget")
        var next = sequence &+ 1
        if next < firstSequence { next = firstSequence }
        var looked = 0
        // Bounded by the budget.
        while next <= uplinkLastSequence && looked < budget {
            let candidate = records[slot(next)]
            if !alertsOnly || candidate.type.isAlert {
                record = candidate
                return .found
            }
            looked += 1
            next &+= 1
        }
        return .none(through: next &- 1 > sequence ? next &- 1 : sequence)
    }

    func slot(_ sequence: UInt64) -> Int {
        let capacity = UInt64(truncatingIfNeeded: records.count.wide)
        return Int(truncatingIfNeeded: Int64(bitPattern: (sequence &- 1) % capacity))
    }
}
