/// How many entries of a duplicate memory (`DuplicateTable`, `DuplicateLedger`) each source holds,
/// so one source can be held to its share of it (docs/SECURITY.md §7, `sourceDuplicatePercent`).
///
/// A source is its address without the port (`SourceTable.key(of:)`), counted in one of
/// `bucketCount` buckets by a hash of it: the bucket is recomputed from what every entry keeps
/// anyway (its peer, or its ledger key), so no owner is stored per entry. Sources whose addresses
/// share a bucket share one count (for two given sources, a chance of 1 in `bucketCount`). Serial
/// lines are trusted and not counted. Without the cap in the profile it has no array and every
/// call does nothing.
public struct DuplicateOwners {
    /// Bucket → entries held.
    let counts: UnsafeMutableBufferPointer<UInt16>

    /// `bucketCount` (a power of two, or 0: no counting) buckets from `arena`.
    init(arena: inout Arena, bucketCount: Int) {
        precondition(bucketCount >= 0 && bucketCount & (bucketCount &- 1) == 0, "bucket count must be a power of two")
        counts = arena.carve(bucketCount, of: UInt16(0))
    }

    /// Arena bytes after `offset` bytes were carved.
    static func arenaBytes(after offset: Int, bucketCount: Int) -> Int {
        Arena.bytes(after: offset, bucketCount, of: UInt16.self)
    }

    /// True when entries are counted.
    @inline(__always) public var enabled: Bool { counts.count > 0 }

    /// The bucket of a source whose address hashes to `hash` (32 bits).
    /// - Complexity: O(1).
    @inline(__always) func bucket(hash: UInt32) -> Int {
        Int(truncatingIfNeeded: (hash &* 0x9E37_79B1) &>> 16) & (counts.count &- 1)
    }

    /// The bucket of `peer`'s source, or -1 (a serial line, or no counting).
    /// - Complexity: O(address size).
    public func bucket(of peer: Endpoint) -> Int {
        if !enabled || peer.kind == Endpoint.kindSerial { return -1 }
        return bucket(hash: SourceTable.key(of: peer).hash32)
    }

    /// Entries bucket `bucket` holds (0 for -1).
    /// - Complexity: O(1).
    public func held(_ bucket: Int) -> Int { bucket < 0 ? 0 : Int(counts[bucket]) }

    /// One entry more, or one fewer, in `bucket` (-1: nothing).
    /// - Complexity: O(1).
    mutating func add(_ bucket: Int) {
        if bucket >= 0 && counts[bucket] < UInt16.max { counts[bucket] += 1 }
    }

    mutating func remove(_ bucket: Int) {
        if bucket >= 0 && counts[bucket] > 0 { counts[bucket] -= 1 }
    }

    /// Every entry is gone.
    /// - Complexity: O(buckets).
    mutating func reset() {
        for i in 0..<counts.count { counts[i] = 0 }
    }
}
