/// The bounded table of traffic sources (docs/SECURITY.md, "Fair service"): per source address a
/// token bucket for requests and one for readings, the sensors it registered, and whether it was
/// active this second, so that one source sending as fast as it can is held to its share while
/// the others are served.
///
/// Open addressing over `slotCount` entries (a power of two), probing at most `probeLimit` of
/// them. A new source takes a free entry, or one idle for `idleMs` (its buckets are full by then,
/// so forgetting it loses nothing but its sensor count); when the probe window holds neither, the
/// source is counted in the one shared `others` entry, whose buckets all such sources share: a
/// flood from many addresses then competes with itself, not with the sources already known.
public struct SourceTable {
    /// Entries probed per lookup: bounds the work per datagram.
    public static var probeLimit: Int { 8 }
    /// An entry unseen this long may be taken by another source.
    public static var idleMs: Int64 { 60_000 }

    let entries: UnsafeMutableBufferPointer<SourceEntry>
    let mask: Int
    /// Index of the shared entry of sources the table has no room for.
    public let othersIndex: Int
    /// Sources active (a datagram seen) in the current second, and in the one before.
    public private(set) var activeNow = 0
    public private(set) var activeBefore = 0
    var currentSecond: Int64 = -1
    /// Datagrams counted in the shared entry, and entries taken over from idle sources.
    public private(set) var othersDatagrams: UInt64 = 0
    public private(set) var evictions: UInt64 = 0

    /// A table of `slotCount` entries (a power of two) plus the shared one, carved from `arena`.
    public init(arena: inout Arena, slotCount: Int) {
        precondition(slotCount >= 2 && slotCount & (slotCount - 1) == 0 && slotCount <= 4096, "source slot count must be a power of two")
        entries = arena.carve(slotCount + 1, of: SourceEntry.unused)
        mask = slotCount - 1
        othersIndex = slotCount
        entries[othersIndex].key = .none
        entries[othersIndex].inUse = true
    }

    /// Arena bytes the table takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, slotCount: Int) -> Int {
        Arena.bytes(after: offset, slotCount + 1, of: SourceEntry.self)
    }

    /// The entry at `index` (0...othersIndex).
    public subscript(index: Int) -> SourceEntry { entries[index] }

    /// Sources holding an entry (the shared one not counted).
    /// - Complexity: O(slotCount).
    public var count: Int {
        var n = 0
        for i in 0..<othersIndex where entries[i].inUse { n += 1 }
        return n
    }

    /// True while two or more sources were active this second or the last: readings are then
    /// held to each source's rate, since one source's flood would delay another's.
    public var contended: Bool { max(activeNow, activeBefore) >= 2 }

    /// The key of `peer`'s source: its endpoint without the port.
    /// - Complexity: O(1).
    public static func key(of peer: Endpoint) -> Endpoint {
        var key = peer
        key.port = 0
        return key
    }

    /// The entry of `peer`'s source at `nowMs` (taking a free or idle one for a new source, else
    /// the shared one), its buckets refilled and its activity counted.
    /// - Complexity: O(probeLimit).
    public mutating func lookup(_ peer: Endpoint, nowMs: Int64, settings: FairnessSettings) -> Int {
        let key = SourceTable.key(of: peer)
        let start = Int(truncatingIfNeeded: key.hash32) & mask
        var candidate = -1
        var index = othersIndex
        for k in 0..<SourceTable.probeLimit {
            let i = (start + k) & mask
            let entry = entries[i]
            if entry.inUse && entry.key == key {
                index = i
                candidate = -2
                break
            }
            if candidate == -1 && (!entry.inUse || nowMs - entry.refilledMs >= SourceTable.idleMs) { candidate = i }
        }
        if candidate >= 0 {
            if entries[candidate].inUse { evictions &+= 1 }
            var fresh = SourceEntry.unused
            fresh.key = key
            fresh.inUse = true
            fresh.refilledMs = nowMs
            fresh.requestMilli = SourceTable.burstMilli(settings.requestsPerS)
            fresh.readingMilli = SourceTable.burstMilli(settings.readingsPerS)
            entries[candidate] = fresh
            index = candidate
        } else if candidate == -1 {
            othersDatagrams &+= 1
        }
        refill(index, nowMs: nowMs, settings: settings)
        markActive(index, nowMs: nowMs)
        assert(index == othersIndex || entries[index].key == key, "a source got another's entry")
        return index
    }

    /// Takes one request token from entry `index`; false (taking nothing) when it has none.
    /// - Complexity: O(1).
    public mutating func takeRequest(_ index: Int) -> Bool {
        precondition(index >= 0 && index <= othersIndex, "source index out of range")
        if entries[index].requestMilli < 1_000 { return false }
        entries[index].requestMilli -= 1_000
        return true
    }

    /// Takes `count` reading tokens from entry `index`; false (taking nothing) when it has fewer.
    /// - Complexity: O(1).
    public mutating func takeReadings(_ index: Int, count: Int) -> Bool {
        precondition(count >= 0 && count <= 1_000_000, "reading count out of range")
        let needed = Int32(truncatingIfNeeded: count) &* 1_000
        if entries[index].readingMilli < needed { return false }
        entries[index].readingMilli -= needed
        return true
    }

    /// True when entry `index`'s source spends readings faster than its rate: less than half its
    /// reading bucket is left (a source within its rate keeps it nearly full). The shared entry
    /// is judged by its shared bucket.
    /// - Complexity: O(1).
    public func overShare(_ index: Int, settings: FairnessSettings) -> Bool {
        entries[index].readingMilli < SourceTable.burstMilli(settings.readingsPerS) / 2
    }

    /// Counts `count` sensors registered by entry `index`'s source.
    /// - Complexity: O(1).
    public mutating func addSensors(_ index: Int, count: Int) {
        precondition(count >= 0, "a source cannot give sensors back")
        let total = Int(entries[index].sensors) + count
        entries[index].sensors = UInt16(truncatingIfNeeded: min(total, Int(UInt16.max)))
    }

    /// Whether entry `index`'s source may register `newSensors` more when the sensor table has
    /// `free` places: the last `reserve` places go only to sources holding fewer than `shareMin`
    /// sensors (a new honest sensor finds room after one source filled the rest); the shared
    /// entry is never such a source.
    /// - Complexity: O(1).
    public func mayRegister(_ index: Int, newSensors: Int, free: Int, reserve: Int, shareMin: Int) -> Bool {
        if newSensors == 0 || newSensors > free { return true }  // nothing to decide, or refused as full anyway
        if free - newSensors >= reserve { return true }
        return index != othersIndex && Int(entries[index].sensors) + newSensors <= shareMin
    }

    /// Moves one held sensor from entry `from` to entry `to` (-1: none, a serial line or a
    /// sensor restored from the log): the sensor's latest reading now came from `to`.
    /// - Complexity: O(1).
    public mutating func moveHeld(from: Int, to: Int) {
        if from == to { return }
        if from >= 0 && entries[from].held > 0 { entries[from].held -= 1 }
        if to >= 0 && entries[to].held < UInt16.max { entries[to].held += 1 }
    }

    /// Forgets what entry `index` holds (its sensors became nobody's): for an entry taken over by
    /// another source, whose owner changed under it.
    /// - Complexity: O(1).
    public mutating func clearHeld(_ index: Int) { entries[index].held = 0 }

    /// The sensor share of a source: `capacity` divided among the sources holding sensors (and
    /// `requester` when it holds none yet), at least `shareMin`. A source holding more is over
    /// its share, and the slots it holds go back first (`Server.reclaimCandidate`).
    /// - Complexity: O(slotCount).
    public func sensorShare(capacity: Int, shareMin: Int, requester: Int) -> Int {
        var holders = 0
        for i in 0...othersIndex where entries[i].held > 0 { holders += 1 }
        if requester >= 0 && entries[requester].held == 0 { holders += 1 }
        return max(shareMin, capacity / max(holders, 1))
    }

    /// A full bucket: two seconds' worth of `perS` (at most 1 000 000), in thousandths.
    static func burstMilli(_ perS: Int32) -> Int32 { perS &* 2_000 }

    mutating func refill(_ index: Int, nowMs: Int64, settings: FairnessSettings) {
        var entry = entries[index]
        // A clock that went back refills nothing; a long gap refills at most a full bucket.
        let elapsedMs = min(max(nowMs - entry.refilledMs, 0), 10_000)
        entry.refilledMs = max(entry.refilledMs, nowMs)
        entry.requestMilli = SourceTable.refilled(entry.requestMilli, elapsedMs: elapsedMs, perS: settings.requestsPerS)
        entry.readingMilli = SourceTable.refilled(entry.readingMilli, elapsedMs: elapsedMs, perS: settings.readingsPerS)
        entries[index] = entry
    }

    /// `milli` after `elapsedMs` (0...10 000) at `perS` tokens a second, at most a full bucket.
    static func refilled(_ milli: Int32, elapsedMs: Int64, perS: Int32) -> Int32 {
        let burst = burstMilli(perS)
        let added = elapsedMs &* perS.wide
        if added >= (burst &- milli).wide { return burst }
        return milli &+ Int32(truncatingIfNeeded: added)
    }

    mutating func markActive(_ index: Int, nowMs: Int64) {
        let second = nowMs / 1_000
        if second != currentSecond {
            activeBefore = second == currentSecond + 1 ? activeNow : 0
            activeNow = 0
            currentSecond = second
        }
        let stamp = UInt32(truncatingIfNeeded: second)
        if entries[index].activeSecond != stamp {
            entries[index].activeSecond = stamp
            activeNow += 1
        }
    }
}
