/// The newest alert record of every (sensor, alert kind) in the log, for drop-oldest
/// (docs/LOG_FORMAT.md §7): a drop copies an unforwarded alert forward only when it is the newest
/// record of its key, so the copies in the log are bounded by the number of keys, not by time.
///
/// Fixed capacity, carved from the arena once; open addressing with linear probing. A key is
/// the alert payload's first bytes (§4.2): name length, name, kind. Entries whose newest record
/// no longer matters (forwarded, or erased) are reclaimed when the table fills
/// (`reclaim(atOrBelow:)`, by the store). A key that finds no slot even then is *untracked*:
/// `newest` answers nil for it and a drop copies its alerts as if each were the newest (never
/// losing an alert for want of a slot); `overflows` counts such records. While untracked records
/// are in the log the store inserts no new key (`note(insert: false)`): a key inserted then could
/// have untracked newer records, and its entry would make a drop take them for superseded.
///
/// Why in memory and not a scan of the later segments at each drop: that scan would read the
/// whole log per segment dropped. The table is rebuilt by one pass over the live segments when
/// the store is opened.
struct LogAlertIndex {
    /// Bytes of a key slot: length byte, up to 32 name bytes, kind.
    static let keyBytes = 2 + SensorName.capacityBytes
    /// Key bytes per slot (`keyBytes` each); slot i holds a key when `newest[i] != 0`.
    let keys: UnsafeMutableBufferPointer<UInt8>
    let hashes: UnsafeMutableBufferPointer<UInt32>
    /// Sequence of the newest record of the slot's key (0: empty slot), and the sequence that
    /// record's alert was first written under (its own, or a copy's original, §4.5).
    let newest: UnsafeMutableBufferPointer<UInt64>
    let newestOriginal: UnsafeMutableBufferPointer<UInt64>
    /// Occupied slots, and how many keys at most are kept (a fifth of the slots stays empty so
    /// probes stay short).
    private(set) var count = 0
    let limit: Int
    /// Alert records that could not be tracked (their key had no slot).
    var overflows: UInt64 = 0

    /// A table for `keys` keys.
    init(arena: inout Arena, keys: Int) {
        let slots = LogAlertIndex.slots(forKeys: keys)
        self.keys = arena.carve(slots * LogAlertIndex.keyBytes, of: UInt8(0))
        hashes = arena.carve(slots, of: UInt32(0))
        newest = arena.carve(slots, of: UInt64(0))
        newestOriginal = arena.carve(slots, of: UInt64(0))
        limit = max(1, keys)
    }

    static func slots(forKeys keys: Int) -> Int { max(1, keys) + max(1, keys) / 4 + 1 }

    /// Arena bytes a table for `keys` keys takes after `offset`.
    static func arenaBytes(after offset: Int, keys: Int) -> Int {
        let slots = LogAlertIndex.slots(forKeys: keys)
        var end = Arena.bytes(after: offset, slots * keyBytes, of: UInt8.self)
        end = Arena.bytes(after: end, slots, of: UInt32.self)
        end = Arena.bytes(after: end, slots, of: UInt64.self)
        return Arena.bytes(after: end, slots, of: UInt64.self)
    }

    var slotCount: Int { newest.count }

    /// Length of the key at the start of an alert payload (name length byte, name, kind), or 0
    /// when the payload does not start with a valid name field.
    @inline(__always)
    static func keyLength(_ payload: UnsafeRawBufferPointer) -> Int {
        if payload.count < 3 { return 0 }
        let n = Int(payload[0])
        if n < 1 || n > SensorName.capacityBytes || n + 2 > payload.count { return 0 }
        return n + 2
    }

    static func hash(_ key: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(key)
        return crc.value
    }

    /// True when slot `i` holds `key`.
    @inline(__always)
    func matches(_ i: Int, _ key: UnsafeRawBufferPointer, _ hash: UInt32) -> Bool {
        if newest[i] == 0 || hashes[i] != hash { return false }
        let base = i * LogAlertIndex.keyBytes
        if Int(keys[base]) + 2 != key.count { return false }
        for j in 0..<key.count where keys[base + j] != key[j] { return false }
        return true
    }

    /// The slot holding `key`, or the empty slot where it would go (-1: neither, table full).
    /// - Complexity: O(probe length), at most every slot.
    func find(_ key: UnsafeRawBufferPointer, _ hash: UInt32) -> Int {
        let slots = slotCount
        var i = Int(hash % UInt32(truncatingIfNeeded: slots))
        for _ in 0..<slots {
            if newest[i] == 0 || matches(i, key, hash) { return i }
            i = i + 1 == slots ? 0 : i + 1
        }
        return -1
    }

    /// Sequence of the newest record of the key at the start of alert payload `payload`, and its
    /// original sequence; nil when the key is not tracked (never seen, reclaimed, or refused for
    /// want of a slot).
    func newest(ofPayload payload: UnsafeRawBufferPointer) -> (sequence: UInt64, original: UInt64)? {
        let length = LogAlertIndex.keyLength(payload)
        if length == 0 { return nil }
        let key = UnsafeRawBufferPointer(rebasing: payload[0..<length])
        let i = find(key, LogAlertIndex.hash(key))
        if i < 0 || newest[i] == 0 { return nil }
        return (newest[i], newestOriginal[i])
    }

    /// Records that `sequence` is an alert record of the key at the start of `payload` (the
    /// newest when it is larger than what the slot holds). Returns false when the key has no slot
    /// and either `insert` is false or none is free (the caller may `reclaim` and try again);
    /// true otherwise, also for a payload without a valid name field (nothing to track).
    /// - Complexity: O(probe length).
    mutating func note(payload: UnsafeRawBufferPointer, sequence: UInt64, original: UInt64, insert: Bool = true) -> Bool {
        precondition(sequence > 0)
        let length = LogAlertIndex.keyLength(payload)
        if length == 0 { return true }
        let key = UnsafeRawBufferPointer(rebasing: payload[0..<length])
        let hash = LogAlertIndex.hash(key)
        let i = find(key, hash)
        if i >= 0 && newest[i] != 0 {
            if sequence > newest[i] {
                newest[i] = sequence
                newestOriginal[i] = original
            }
            return true
        }
        if !insert || i < 0 || count >= limit { return false }
        let base = i * LogAlertIndex.keyBytes
        for j in 0..<length { keys[base + j] = key[j] }
        hashes[i] = hash
        newest[i] = sequence
        newestOriginal[i] = original
        count += 1
        return true
    }

    /// Empties every slot whose newest record is at or below `floor` (forwarded, or no longer in
    /// the log), keeping every other key findable (backward-shift deletion).
    /// - Complexity: O(slots) visits plus O(slots) shifts per removal, bounded by slots².
    mutating func reclaim(atOrBelow floor: UInt64) {
        let slots = slotCount
        var i = 0
        // Bounded: each pass either advances i or empties a slot (at most `slots` of them).
        for _ in 0..<(2 * slots + 1) {
            if i >= slots { break }
            if newest[i] != 0 && newest[i] <= floor {
                remove(i)
            } else {
                i += 1
            }
        }
    }

    /// Empties slot `hole` and moves later keys of its probe run back so every key stays
    /// reachable from its home slot without crossing an empty one.
    mutating func remove(_ slot: Int) {
        let slots = slotCount
        var hole = slot
        newest[hole] = 0
        count -= 1
        var j = hole
        for _ in 0..<slots {
            j = j + 1 == slots ? 0 : j + 1
            if newest[j] == 0 { return }
            let home = Int(hashes[j] % UInt32(truncatingIfNeeded: slots))
            // Distance from home to j and from home to the hole, cyclically: j may move into the
            // hole when the hole lies on its probe path (between its home and j).
            let fromHomeToJ = (j - home + slots) % slots
            let fromHomeToHole = (hole - home + slots) % slots
            if fromHomeToHole < fromHomeToJ {
                let to = hole * LogAlertIndex.keyBytes
                let from = j * LogAlertIndex.keyBytes
                for k in 0..<LogAlertIndex.keyBytes { keys[to + k] = keys[from + k] }
                hashes[hole] = hashes[j]
                newest[hole] = newest[j]
                newestOriginal[hole] = newestOriginal[j]
                newest[j] = 0
                hole = j
            }
        }
    }

    /// Forgets every key (before a rebuild).
    mutating func clear() {
        for i in 0..<slotCount { newest[i] = 0 }
        count = 0
    }
}
