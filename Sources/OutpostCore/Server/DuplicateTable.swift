/// Requests seen in the last EXCHANGE_LIFETIME, keyed by (endpoint, message ID), with the cached
/// response: a retransmitted CON gets the same bytes again and is processed exactly once.
///
/// Fixed memory from the arena: `capacity` entries kept in a ring in insertion order, hashed into
/// chains for lookup, and a `responseBytes` cache slot per entry. Every entry lives exactly
/// `exchangeLifetimeMs`, so insertion order is expiry order: the oldest entry is the first to
/// expire. A full table therefore evicts its oldest entry, which is the oldest expired one when
/// any has expired; evicting one that has not expired yet is counted (`evictedEarly`), because a
/// late retransmission of it would be processed again.
public struct DuplicateTable {
    /// EXCHANGE_LIFETIME with the default transmission parameters (RFC 7252 §4.8.2): 247 s.
    public static let exchangeLifetimeMs: Int64 = 247_000

    struct Entry: BitwiseCopyable {
        var peer: Endpoint
        var createdMs: Int64
        /// Next entry (slot index) in the same hash chain, or -1.
        var next: Int32
        var messageID: UInt16
        var responseCount: UInt16
        var disposition: DuplicateDisposition
    }

    let entries: UnsafeMutableBufferPointer<Entry>
    /// Hash bucket → first entry slot of its chain, or -1. A power of two, twice the entries.
    let buckets: UnsafeMutableBufferPointer<Int32>
    /// `capacity × responseBytes` bytes: entry slot i caches its response at `i × responseBytes`.
    let cache: UnsafeMutableRawBufferPointer
    /// Bytes cached per entry at most.
    public let responseBytes: Int
    /// Slot of the oldest entry.
    var head = 0
    /// Entries held.
    public private(set) var count = 0
    /// Entries evicted before their lifetime ended because the table was full.
    public private(set) var evictedEarly: UInt64 = 0
    /// Entries per source (per-source cap, `Server`); empty without counting.
    public internal(set) var owners: DuplicateOwners

    /// Most entries held.
    public var capacity: Int { entries.count }

    /// A table of `capacity` entries caching up to `responseBytes` bytes each, carved from `arena`.
    /// `ownerBuckets`: buckets entries are counted per source in (0: none, `DuplicateOwners`).
    public init(arena: inout Arena, capacity: Int, responseBytes: Int, ownerBuckets: Int = 0) {
        precondition(capacity > 0 && capacity <= 1 << 20, "duplicate table capacity out of range")
        precondition(responseBytes >= 16 && responseBytes <= 0xFFFF, "cached response size out of range")
        let filler = Entry(peer: .none, createdMs: 0, next: -1, messageID: 0, responseCount: 0, disposition: .drop)
        entries = arena.carve(capacity, of: filler)
        buckets = arena.carve(DuplicateTable.bucketCount(capacity), of: Int32(-1))
        cache = UnsafeMutableRawBufferPointer(arena.carve(capacity * responseBytes, of: UInt8(0)))
        self.responseBytes = responseBytes
        owners = DuplicateOwners(arena: &arena, bucketCount: ownerBuckets)
    }

    /// Arena bytes the table takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, capacity: Int, responseBytes: Int, ownerBuckets: Int = 0) -> Int {
        var bytes = Arena.bytes(after: offset, capacity, of: Entry.self)
        bytes = Arena.bytes(after: bytes, bucketCount(capacity), of: Int32.self)
        bytes = Arena.bytes(after: bytes, capacity * responseBytes, of: UInt8.self)
        return DuplicateOwners.arenaBytes(after: bytes, bucketCount: ownerBuckets)
    }

    /// True when an entry of `peer`'s source would now push out a live entry of another source
    /// while that source already holds `cap` entries: the per-source cap (the caller then does
    /// not insert). Always false without counting, and for a serial line.
    /// - Complexity: O(1).
    public func wouldPushOther(peer: Endpoint, cap: Int, nowMs: Int64) -> Bool {
        let owner = owners.bucket(of: peer)
        if owner < 0 || count < entries.count || DuplicateTable.expired(entries[head], nowMs: nowMs) { return false }
        return owners.bucket(of: entries[head].peer) != owner && owners.held(owner) >= cap
    }

    static func bucketCount(_ capacity: Int) -> Int {
        var count = 2
        while count < capacity * 2 { count = count &<< 1 }
        return count
    }

    @inline(__always)
    func bucket(_ peer: Endpoint, _ messageID: UInt16) -> Int {
        var hash = peer.hash32 ^ (UInt32(messageID) &* 0x9E37_79B1)
        hash ^= hash &>> 15
        hash = hash &* 0x85EB_CA6B
        hash ^= hash &>> 13
        return Int(truncatingIfNeeded: hash) & (buckets.count - 1)
    }

    @inline(__always)
    static func expired(_ entry: Entry, nowMs: Int64) -> Bool {
        let (ageMs, overflow) = nowMs.subtractingReportingOverflow(entry.createdMs)
        return overflow || ageMs >= exchangeLifetimeMs
    }

    /// The live entry for (`peer`, `messageID`) at `nowMs`: its disposition and cached response.
    /// - Complexity: O(chain length), O(1) expected.
    public func find(_ peer: Endpoint, messageID: UInt16, nowMs: Int64) -> (DuplicateDisposition, UnsafeRawBufferPointer)? {
        var slot = buckets[bucket(peer, messageID)]
        // Bounded: a chain never holds more than `capacity` entries.
        for _ in 0..<entries.count {
            if slot < 0 { return nil }
            let index = Int(slot)
            let entry = entries[index]
            if entry.messageID == messageID && entry.peer == peer {
                if DuplicateTable.expired(entry, nowMs: nowMs) { return nil }
                let start = index * responseBytes
                let response = UnsafeRawBufferPointer(rebasing: cache[start..<(start + Int(entry.responseCount))])
                return (entry.disposition, response)
            }
            slot = entry.next
        }
        return nil
    }

    /// Remembers (`peer`, `messageID`) at `nowMs` with `disposition` and, for `.cached`, `response`
    /// (at most `responseBytes`). Evicts the oldest entry when full.
    /// - Complexity: O(chain length) for the eviction, O(n) in the response size.
    public mutating func insert(
        _ peer: Endpoint, messageID: UInt16, nowMs: Int64, disposition: DuplicateDisposition, response: UnsafeRawBufferPointer
    ) {
        precondition(disposition != .cached || response.count <= responseBytes, "response too large for the cache")
        if count == entries.count {
            if !DuplicateTable.expired(entries[head], nowMs: nowMs) { evictedEarly &+= 1 }
            removeOldest()
        }
        let index = head + count < entries.count ? head + count : head + count - entries.count
        let bucketIndex = bucket(peer, messageID)
        let stored = disposition == .cached ? response.count : 0
        entries[index] = Entry(
            peer: peer, createdMs: nowMs, next: buckets[bucketIndex], messageID: messageID,
            responseCount: UInt16(truncatingIfNeeded: stored), disposition: disposition)
        buckets[bucketIndex] = Int32(truncatingIfNeeded: index)
        owners.add(owners.bucket(of: peer))
        let start = index * responseBytes
        for i in 0..<stored { cache[start + i] = response[i] }
        count += 1
    }

    /// Forgets the `n` newest entries (fewer when the table holds fewer): the exchanges of a tick
    /// whose answers were withheld, so their retransmissions are processed afresh. Chains are
    /// newest first, so each newest entry is its chain's head.
    /// - Complexity: O(n).
    public mutating func removeNewest(_ n: Int) {
        for _ in 0..<min(max(0, n), count) {
            let index = head + count - 1 < entries.count ? head + count - 1 : head + count - 1 - entries.count
            let entry = entries[index]
            let bucketIndex = bucket(entry.peer, entry.messageID)
            precondition(buckets[bucketIndex] == Int32(truncatingIfNeeded: index), "the newest entry heads its chain")
            buckets[bucketIndex] = entry.next
            owners.remove(owners.bucket(of: entry.peer))
            count -= 1
        }
    }

    /// Drops up to `limit` entries whose lifetime has ended; returns how many.
    /// - Complexity: O(limit × chain length).
    @discardableResult
    public mutating func expire(nowMs: Int64, limit: Int) -> Int {
        var removed = 0
        while removed < limit && count > 0 && DuplicateTable.expired(entries[head], nowMs: nowMs) {
            removeOldest()
            removed += 1
        }
        return removed
    }

    /// Unlinks the oldest entry from its chain and the ring.
    mutating func removeOldest() {
        precondition(count > 0, "removing from an empty duplicate table")
        let entry = entries[head]
        let bucketIndex = bucket(entry.peer, entry.messageID)
        let target = Int32(truncatingIfNeeded: head)
        if buckets[bucketIndex] == target {
            buckets[bucketIndex] = entry.next
        } else {
            var slot = buckets[bucketIndex]
            var unlinked = false
            for _ in 0..<entries.count {
                if slot < 0 { break }
                let next = entries[Int(slot)].next
                if next == target {
                    entries[Int(slot)].next = entry.next
                    unlinked = true
                    break
                }
                slot = next
            }
            precondition(unlinked, "duplicate table entry missing from its chain")
        }
        owners.remove(owners.bucket(of: entry.peer))
        head = head + 1 == entries.count ? 0 : head + 1
        count -= 1
    }
}
