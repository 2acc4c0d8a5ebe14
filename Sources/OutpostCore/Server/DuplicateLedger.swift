/// The second level of duplicate detection: a compact record of every state-changing request
/// (a POST of readings, CON or NON) for EXCHANGE_LIFETIME at the profile's rated load, so a
/// retransmission whose full cached response was already evicted from `DuplicateTable` is still
/// recognised and answered without being processed again (RFC 7252 §4.5).
///
/// 12 bytes per request, in parallel arrays carved from the arena, plus a 2-byte hash bucket per
/// two entries:
/// - `keys`: the exchange's exact key when it fits 8 bytes — an IPv4 address, port and message ID
///   (4 + 2 + 2 bytes), or a serial line's index and message ID; an IPv6 peer's 16-byte address
///   and scope are hashed to 32 bits (two IPv6 peers collide with probability 2^-32 per pair and
///   only then when port and message ID also match);
/// - `links`: the next entry in the same hash chain (`none` ends it);
/// - `metas`: the peer's address family (bits 0–1) and what was answered (bits 2–7: `dropAction`
///   for a NON, `emptyAckAction` for a CON answered with an empty ACK, else 32 + the detail of
///   a 2.xx code);
/// - `tags`: the arrival time slice (`sliceMs`), modulo 256.
///
/// Entries sit in a FIFO ring in arrival order, which is expiry order. An entry is live while its
/// slice is less than `liveSlices` slices old: at least EXCHANGE_LIFETIME (247 s) and at most
/// 256 s after it arrived. Expiry follows the wall clock the server is given; a clock stepping
/// back keeps entries live longer (never shorter). Capacity is the profile's
/// `duplicateRecordCount`: the rated load × 256 s. A full ring drops its oldest entry; dropping
/// one still live is counted (`evictedEarly`): above the rated load coverage shrinks below
/// EXCHANGE_LIFETIME, and a retransmission of such a request would be processed again.
public struct DuplicateLedger {
    /// Length of an arrival time slice: 8 s.
    public static let sliceMs: Int64 = 8_000
    /// Slices an entry lives: slice age 0...31, so at least 31 × 8 = 248 s > EXCHANGE_LIFETIME
    /// (247 s) and less than 32 × 8 = 256 s after it arrived.
    public static let liveSlices: UInt8 = 32
    /// Longest an entry can be held, in ms: what `duplicateRecordCount` is sized for.
    public static var holdMs: Int64 { liveSlices.wide &* sliceMs }
    /// A full expiry pass is forced when the ring was last known clean this many slices ago, so no
    /// record's age (modulo 256) can wrap.
    static let cleanPassSlices: Int64 = 192
    static let none: UInt16 = 0xFFFF

    /// Address families in `metas` bits 0–1.
    static let familyIPv4: UInt8 = 0
    static let familyIPv6: UInt8 = 1
    static let familySerial: UInt8 = 2
    /// Actions in `metas` bits 2–7.
    static let dropAction: UInt8 = 0
    static let emptyAckAction: UInt8 = 1
    static let successAction: UInt8 = 32

    /// What a recorded exchange was answered with.
    public enum Answer: Equatable, Sendable {
        /// A NON request: a duplicate is dropped.
        case drop
        /// A CON answered with an empty ACK (No-Response declined the answer).
        case emptyAcknowledgement
        /// A CON answered with this 2.xx code (echoing the request's Block1 option, if any).
        case success(CoAPCode)
    }

    let keys: UnsafeMutableBufferPointer<UInt64>
    let links: UnsafeMutableBufferPointer<UInt16>
    let metas: UnsafeMutableBufferPointer<UInt8>
    let tags: UnsafeMutableBufferPointer<UInt8>
    /// Hash bucket → first entry slot of its chain, or `none`. A power of two, half the entries.
    let buckets: UnsafeMutableBufferPointer<UInt16>
    /// Slot of the oldest entry.
    var head = 0
    /// Entries held (live or expired but not yet removed).
    public private(set) var count = 0
    /// Newest time slice seen (the clock never goes back here).
    var currentSlice: Int64 = Int64.min
    /// Slice at which the ring last held no expired entry (a finished expiry pass).
    var cleanSlice: Int64 = Int64.min
    /// Live entries dropped because the ring was full (above the rated load).
    public private(set) var evictedEarly: UInt64 = 0
    /// Records per source (per-source cap, `Server`); empty without counting.
    public internal(set) var owners: DuplicateOwners

    /// Most entries held.
    public var capacity: Int { keys.count }

    /// A ledger of `capacity` entries (1...65 535), carved from `arena`.
    /// `ownerBuckets`: buckets records are counted per source in (0: none, `DuplicateOwners`).
    public init(arena: inout Arena, capacity: Int, ownerBuckets: Int = 0) {
        precondition(capacity > 0 && capacity < Int(DuplicateLedger.none), "duplicate ledger capacity out of range")
        keys = arena.carve(capacity, of: UInt64(0))
        links = arena.carve(capacity, of: DuplicateLedger.none)
        metas = arena.carve(capacity, of: UInt8(0))
        tags = arena.carve(capacity, of: UInt8(0))
        buckets = arena.carve(DuplicateLedger.bucketCount(capacity), of: DuplicateLedger.none)
        owners = DuplicateOwners(arena: &arena, bucketCount: ownerBuckets)
    }

    /// Arena bytes the ledger takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, capacity: Int, ownerBuckets: Int = 0) -> Int {
        var bytes = Arena.bytes(after: offset, capacity, of: UInt64.self)
        bytes = Arena.bytes(after: bytes, capacity, of: UInt16.self)
        bytes = Arena.bytes(after: bytes, capacity, of: UInt8.self)
        bytes = Arena.bytes(after: bytes, capacity, of: UInt8.self)
        bytes = Arena.bytes(after: bytes, bucketCount(capacity), of: UInt16.self)
        return DuplicateOwners.arenaBytes(after: bytes, bucketCount: ownerBuckets)
    }

    /// True when a record of `peer`'s source would now push out a live record of another source
    /// while that source already holds `cap` records: the per-source cap (the server then
    /// refuses the request before processing it). Always false without counting, and for a
    /// serial line.
    /// - Complexity: O(1) amortised (it expires what has ended first).
    public mutating func wouldPushOther(peer: Endpoint, cap: Int, nowMs: Int64) -> Bool {
        let owner = ownerBucket(of: peer)
        if owner < 0 { return false }
        advance(nowMs: nowMs)
        expireHeld(limit: 2)
        if count < keys.count || age(head) >= DuplicateLedger.liveSlices { return false }
        return ownerBucket(keys[head], metas[head] & 3) != owner && owners.held(owner) >= cap
    }

    /// The owner bucket of `peer`'s records (-1: a serial line, or no counting).
    /// - Complexity: O(1).
    public func ownerBucket(of peer: Endpoint) -> Int {
        let (key, family) = DuplicateLedger.key(peer, 0)
        return ownerBucket(key, family)
    }

    /// The owner bucket of a record with `key` and `family`: the source is the key's address part
    /// (IPv4: the address; IPv6: the hash of address and scope; the port is not part of a
    /// source); a serial line's is -1 (not counted).
    /// - Complexity: O(1).
    @inline(__always)
    func ownerBucket(_ key: UInt64, _ family: UInt8) -> Int {
        if !owners.enabled || family == DuplicateLedger.familySerial { return -1 }
        return owners.bucket(hash: UInt32(truncatingIfNeeded: key &>> 32))
    }

    static func bucketCount(_ capacity: Int) -> Int {
        var count = 8
        while count * 2 < capacity { count = count &<< 1 }
        return count
    }

    /// The 8-byte key and the family of (`peer`, `messageID`).
    @inline(__always)
    static func key(_ peer: Endpoint, _ messageID: UInt16) -> (key: UInt64, family: UInt8) {
        let low = UInt64(bitPattern: (UInt32(peer.port) &<< 16 | UInt32(messageID)).wide)
        let high: UInt32
        let family: UInt8
        switch peer.kind {
        case Endpoint.kindIPv4:
            // Network byte order, so the key reads as a.b.c.d:port/mid.
            high = UInt32(peer.address[0]) &<< 24 | UInt32(peer.address[1]) &<< 16 | UInt32(peer.address[2]) &<< 8
                | UInt32(peer.address[3])
            family = familyIPv4
        case Endpoint.kindIPv6:
            // The address and scope without the port (the port is in the low half): the high half
            // is the record's source, which the per-source cap counts, as for IPv4.
            high = SourceTable.key(of: peer).hash32
            family = familyIPv6
        default:
            high = peer.scopeOrLine
            family = familySerial
        }
        return (UInt64(bitPattern: high.wide) &<< 32 | low, family)
    }

    @inline(__always)
    func bucket(_ key: UInt64, _ family: UInt8) -> Int {
        var hash = key ^ UInt64(bitPattern: family.wide) &* 0x9E37_79B9_7F4A_7C15
        hash ^= hash &>> 31
        hash = hash &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash &>> 29
        return Int(truncatingIfNeeded: hash) & (buckets.count - 1)
    }

    /// Age in slices of the entry at `slot` (valid below 256: see `advance`).
    @inline(__always)
    func age(_ slot: Int) -> UInt8 { UInt8(truncatingIfNeeded: currentSlice) &- tags[slot] }

    /// Moves the clock to `nowMs`. Ages are slice differences modulo 256, so they must stay below
    /// 256 slices: a jump of `liveSlices` or more (the server was not called for over 256 s) has
    /// expired every record, which are all dropped at once; and a complete expiry pass runs
    /// before the oldest record could reach 256 slices between ticks.
    mutating func advance(nowMs: Int64) {
        let slice = nowMs / DuplicateLedger.sliceMs
        if currentSlice == Int64.min {
            currentSlice = slice
            cleanSlice = slice
            return
        }
        if slice <= currentSlice { return }
        if slice - currentSlice >= DuplicateLedger.liveSlices.wide {
            // Every record arrived at `currentSlice` or before: all are at least 32 slices old.
            removeAll()
            currentSlice = slice
            cleanSlice = slice
            return
        }
        currentSlice = slice
        // Steps are under 32 slices, so the pass runs before any age exceeds 192 + 31 + 31 < 256.
        if slice - cleanSlice >= DuplicateLedger.cleanPassSlices { expireHeld(limit: capacity) }
    }

    /// Drops every record (all expired).
    /// - Complexity: O(buckets).
    mutating func removeAll() {
        for i in 0..<buckets.count { buckets[i] = DuplicateLedger.none }
        owners.reset()
        head = 0
        count = 0
    }

    /// What (`peer`, `messageID`) was answered within its lifetime, or nil.
    /// - Complexity: O(chain length), O(1) expected.
    public mutating func find(_ peer: Endpoint, messageID: UInt16, nowMs: Int64) -> Answer? {
        advance(nowMs: nowMs)
        let (key, family) = DuplicateLedger.key(peer, messageID)
        var slot = buckets[bucket(key, family)]
        // Bounded: a chain never holds more than `capacity` entries.
        for _ in 0..<keys.count {
            if slot == DuplicateLedger.none { return nil }
            let index = Int(slot)
            let meta = metas[index]
            if keys[index] == key && meta & 3 == family {
                // Chains are newest first: an expired match means no live one.
                if age(index) >= DuplicateLedger.liveSlices { return nil }
                let action = meta &>> 2
                if action == DuplicateLedger.dropAction { return .drop }
                if action == DuplicateLedger.emptyAckAction { return .emptyAcknowledgement }
                return .success(CoAPCode(rawValue: 0x40 | (action & 31)))
            }
            slot = links[index]
        }
        return nil
    }

    /// Records (`peer`, `messageID`) answered with `answer` at `nowMs`. `answer` must be `.drop`,
    /// `.emptyAcknowledgement` or a 2.xx success. Drops the oldest entry when full.
    /// - Complexity: O(chain length).
    public mutating func insert(_ peer: Endpoint, messageID: UInt16, nowMs: Int64, answer: Answer) {
        advance(nowMs: nowMs)
        // Keeps expiry in step with arrivals even between ticks.
        expireHeld(limit: 2)
        let action: UInt8
        switch answer {
        case .drop: action = DuplicateLedger.dropAction
        case .emptyAcknowledgement: action = DuplicateLedger.emptyAckAction
        case .success(let code):
            precondition(code.codeClass == 2, "only 2.xx answers are recorded")
            action = DuplicateLedger.successAction | (code.rawValue & 31)
        }
        if count == keys.count {
            if age(head) < DuplicateLedger.liveSlices { evictedEarly &+= 1 }
            removeOldest()
        }
        let index = head + count < keys.count ? head + count : head + count - keys.count
        let (key, family) = DuplicateLedger.key(peer, messageID)
        let bucketIndex = bucket(key, family)
        keys[index] = key
        metas[index] = action &<< 2 | family
        tags[index] = UInt8(truncatingIfNeeded: currentSlice)
        links[index] = buckets[bucketIndex]
        buckets[bucketIndex] = UInt16(truncatingIfNeeded: index)
        owners.add(ownerBucket(key, family))
        count += 1
    }

    /// Forgets the `n` newest records (fewer when the ledger holds fewer): the exchanges of a tick
    /// whose answers were withheld. Chains are newest first, so each newest record heads its chain.
    /// - Complexity: O(n).
    public mutating func removeNewest(_ n: Int) {
        for _ in 0..<min(max(0, n), count) {
            let index = head + count - 1 < keys.count ? head + count - 1 : head + count - 1 - keys.count
            let bucketIndex = bucket(keys[index], metas[index] & 3)
            precondition(buckets[bucketIndex] == UInt16(truncatingIfNeeded: index), "the newest record heads its chain")
            buckets[bucketIndex] = links[index]
            owners.remove(ownerBucket(keys[index], metas[index] & 3))
            count -= 1
        }
    }

    /// Drops up to `limit` entries whose lifetime has ended; returns how many.
    /// - Complexity: O(limit × chain length).
    @discardableResult
    public mutating func expire(nowMs: Int64, limit: Int) -> Int {
        advance(nowMs: nowMs)
        return expireHeld(limit: limit)
    }

    @discardableResult
    mutating func expireHeld(limit: Int) -> Int {
        var removed = 0
        while removed < limit && count > 0 && age(head) >= DuplicateLedger.liveSlices {
            removeOldest()
            removed += 1
        }
        if count == 0 || age(head) < DuplicateLedger.liveSlices { cleanSlice = currentSlice }
        return removed
    }

    /// Unlinks the oldest entry from its chain and the ring.
    mutating func removeOldest() {
        precondition(count > 0, "removing from an empty duplicate ledger")
        let bucketIndex = bucket(keys[head], metas[head] & 3)
        let target = UInt16(truncatingIfNeeded: head)
        if buckets[bucketIndex] == target {
            buckets[bucketIndex] = links[head]
        } else {
            var slot = buckets[bucketIndex]
            var unlinked = false
            for _ in 0..<keys.count {
                if slot == DuplicateLedger.none { break }
                let next = links[Int(slot)]
                if next == target {
                    links[Int(slot)] = links[head]
                    unlinked = true
                    break
                }
                slot = next
            }
            precondition(unlinked, "duplicate ledger entry missing from its chain")
        }
        owners.remove(ownerBucket(keys[head], metas[head] & 3))
        links[head] = DuplicateLedger.none
        head = head + 1 == keys.count ? 0 : head + 1
        count -= 1
    }
}
