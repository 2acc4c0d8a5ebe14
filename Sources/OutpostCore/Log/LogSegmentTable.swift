/// What the store knows about every segment, in fixed arrays carved from the arena at start-up.
struct LogSegmentTable {
    /// Segment sequence of the header (0 for a free segment with no valid header).
    let segmentSequence: UnsafeMutableBufferPointer<UInt64>
    /// Sequence of the first record (live segments).
    let firstSequence: UnsafeMutableBufferPointer<UInt64>
    /// One past the sequence of the last valid record written (live segments).
    let endSequence: UnsafeMutableBufferPointer<UInt64>
    /// Offset in the segment after the last valid record written (live segments).
    let endOffset: UnsafeMutableBufferPointer<Int32>
    let eraseCount: UnsafeMutableBufferPointer<UInt32>
    /// Segment header version of the live life (how its copied records are laid out).
    let version: UnsafeMutableBufferPointer<UInt16>
    /// 1 live; 0 free with a clean header on the device (all zeros, or a valid erased header);
    /// 2 free with anything else there (a damaged header, a live header of a life being reused, a
    /// header write in flight). Only a clean free segment can be opened without syncing its new
    /// header first (`LogStore.openSegment`). Changed only through `setLive` and
    /// `markHeaderUnknown`, which keep `liveCount` in step.
    let live: UnsafeMutableBufferPointer<UInt8>
    /// Number of live segments, kept so that `LogStore.freeBytes` is O(1) (callers poll it per
    /// record or per request).
    private(set) var liveCount = 0

    init(arena: inout Arena, segmentCount: Int) {
        precondition(segmentCount >= 3)
        segmentSequence = arena.carve(segmentCount, of: UInt64(0))
        firstSequence = arena.carve(segmentCount, of: UInt64(0))
        endSequence = arena.carve(segmentCount, of: UInt64(0))
        endOffset = arena.carve(segmentCount, of: Int32(0))
        eraseCount = arena.carve(segmentCount, of: UInt32(0))
        version = arena.carve(segmentCount, of: UInt16(0))
        live = arena.carve(segmentCount, of: UInt8(0))
    }

    /// Arena bytes the table takes after `offset` bytes were carved.
    static func arenaBytes(after offset: Int, segmentCount: Int) -> Int {
        var end = Arena.bytes(after: offset, segmentCount, of: UInt64.self)
        end = Arena.bytes(after: end, segmentCount, of: UInt64.self)
        end = Arena.bytes(after: end, segmentCount, of: UInt64.self)
        end = Arena.bytes(after: end, segmentCount, of: Int32.self)
        end = Arena.bytes(after: end, segmentCount, of: UInt32.self)
        end = Arena.bytes(after: end, segmentCount, of: UInt16.self)
        return Arena.bytes(after: end, segmentCount, of: UInt8.self)
    }

    var count: Int { live.count }

    @inline(__always)
    func isLive(_ index: Int) -> Bool { live[index] == 1 }

    /// True when segment `index` is free and its header on the device is all zeros or a valid
    /// erased header (durable only once the store has synced since writing or reading it).
    @inline(__always)
    func isClean(_ index: Int) -> Bool { live[index] == 0 }

    /// Marks segment `index` live, or free with a clean header.
    @inline(__always)
    mutating func setLive(_ index: Int, _ isLive: Bool) {
        let was = live[index] == 1
        live[index] = isLive ? 1 : 0
        if isLive && !was { liveCount += 1 }
        if !isLive && was { liveCount -= 1 }
        assert(liveCount >= 0 && liveCount <= count)
    }

    /// Marks free segment `index` as holding a header that is not known to be clean.
    @inline(__always)
    func markHeaderUnknown(_ index: Int) {
        precondition(live[index] != 1, "a live segment's header is known")
        live[index] = 2
    }

    /// Counts the live segments the slow way: the check of `liveCount` (one per roll).
    /// - Complexity: O(segment count).
    func countLive() -> Int {
        var n = 0
        for i in 0..<count where live[i] == 1 { n += 1 }
        return n
    }

    /// The live segment with the smallest segment sequence greater than `after`, or -1.
    /// - Complexity: O(segment count).
    func nextLive(after sequence: UInt64) -> Int {
        var best = -1
        var bestSequence = UInt64.max
        for i in 0..<count where live[i] == 1 {
            let s = segmentSequence[i]
            if s > sequence && s < bestSequence {
                best = i
                bestSequence = s
            }
        }
        return best
    }

    /// The live segment holding record `sequence`, or else the oldest live segment whose records
    /// all come after it; -1 when none.
    /// - Complexity: O(segment count).
    func segment(containing sequence: UInt64) -> Int {
        var best = -1
        var bestFirst = UInt64.max
        for i in 0..<count where live[i] == 1 {
            if firstSequence[i] <= sequence && sequence < endSequence[i] { return i }
            if firstSequence[i] > sequence && firstSequence[i] < bestFirst {
                best = i
                bestFirst = firstSequence[i]
            }
        }
        return best
    }
}
