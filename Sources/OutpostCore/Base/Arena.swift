/// Static memory carved into typed regions once, at start-up (TigerBeetle's "allocate everything
/// up front"). After start-up nothing is carved or freed; the regions live as long as the process.
///
/// The firmware's arena is a `.bss` buffer in CHAL sized per profile; host tests allocate one
/// buffer per pipeline before they start counting allocations.
///
/// An arena over memory of unknown content (`init(base:sizeBytes:)`) writes every element it
/// carves. An arena over fresh, all-zero memory (`init(zeroedBase:sizeBytes:)`: a `.bss` buffer,
/// `calloc` or anonymous `mmap`) skips writing values whose bytes are all zero, because writing a
/// zero page makes it resident: tables sized for the profile's capacities then cost resident
/// memory only for the pages actually used (the firmware's RSS, docs/BUILDING.md).
public struct Arena {
    @usableFromInline let base: UnsafeMutableRawPointer
    /// Size of the whole arena in bytes.
    public let sizeBytes: Int
    /// Bytes carved so far (including alignment padding).
    public private(set) var usedBytes: Int = 0
    /// Whether the bytes past `usedBytes` are known to be zero (the memory was zeroed by the
    /// system and nothing else writes it), so carving an all-zero value needs no writes.
    public let isZeroed: Bool

    /// An arena over `sizeBytes` bytes at `base` (aligned to at least 16 bytes) whose content is
    /// unknown: `carve` writes every element. Use it for memory that may have been written
    /// before, e.g. a region carved again after a failed start.
    public init(base: UnsafeMutableRawPointer, sizeBytes: Int) {
        self.init(base: base, sizeBytes: sizeBytes, isZeroed: false)
    }

    /// An arena over `sizeBytes` bytes at `zeroedBase` (aligned to at least 16 bytes) that are all
    /// zero and written by nobody else while the arena carves them: a `.bss` buffer, or memory
    /// fresh from `calloc` or an anonymous `mmap`. `carve` then leaves all-zero values unwritten
    /// (it checks, in release too, that the bytes it relies on read zero; reading a never-written
    /// page maps the system's shared zero page, which is not resident memory of the process).
    public init(zeroedBase: UnsafeMutableRawPointer, sizeBytes: Int) {
        self.init(base: zeroedBase, sizeBytes: sizeBytes, isZeroed: true)
    }

    private init(base: UnsafeMutableRawPointer, sizeBytes: Int, isZeroed: Bool) {
        precondition(sizeBytes >= 0)
        precondition(Int(bitPattern: base) & 15 == 0, "arena base must be 16-byte aligned")
        self.base = base
        self.sizeBytes = sizeBytes
        self.isZeroed = isZeroed
    }

    /// Carves `count` elements of `T`, each set to `value`. Traps when the arena is too small:
    /// at start-up that is a build configuration error, never a run-time condition. In a zeroed
    /// arena an all-zero `value` is not written (the memory already holds it), so the pages stay
    /// untouched until the elements are first written.
    /// - Complexity: O(`count`) (writes, or for a skipped write, the check that the bytes are zero).
    ///
    /// Generic only in its thin typed shell: the work (bounds, the zero check, the fill) is in
    /// `carveBytes`, one copy for every element type, because the firmware specialises `carve` for
    /// each of the dozens of table types it carves.
    @inline(__always)
    public mutating func carve<T: BitwiseCopyable>(_ count: Int, of value: T) -> UnsafeMutableBufferPointer<T> {
        let start = withUnsafeBytes(of: value) {
            carveBytes(count, stride: MemoryLayout<T>.stride, alignment: MemoryLayout<T>.alignment, value: $0)
        }
        let typed = (base + start).bindMemory(to: T.self, capacity: count)
        return UnsafeMutableBufferPointer(start: typed, count: count)
    }

    /// Reserves `count` elements of `stride` bytes at `alignment` and fills each with the bytes of
    /// `value` (its size, at most `stride`; padding bytes are left as they are, as a typed
    /// initialisation leaves them), unless the arena is zeroed and `value` is all zero. Returns
    /// the offset of the first element. Traps when the arena is too small.
    ///
    /// The fill copies the first element, then doubles the filled prefix: O(log count) copies.
    /// - Complexity: O(`count` × `stride`).
    @inline(never)
    mutating func carveBytes(_ count: Int, stride: Int, alignment: Int, value: UnsafeRawBufferPointer) -> Int {
        precondition(count >= 0)
        precondition(stride > 0 && value.count <= stride && alignment > 0 && alignment & (alignment - 1) == 0)
        let start = Arena.aligned(usedBytes, to: alignment)
        let end = start + count * stride
        precondition(end <= sizeBytes, "arena too small for the profile's tables")
        // Padding bytes of `value` may read non-zero: then it is written, which is always correct.
        if isZeroed && Arena.isAllZero(value) {
            precondition(
                Arena.isAllZero(UnsafeRawBufferPointer(start: base + start, count: end - start)),
                "zeroed arena memory was written by someone else")
        } else if count > 0 {
            let region = base + start
            if let source = value.baseAddress, value.count > 0 {
                region.copyMemory(from: source, byteCount: value.count)
            }
            var filled = 1
            // Bounded: the filled prefix doubles each round, so at most log2(count) + 1 rounds.
            while filled < count {
                let copied = min(filled, count - filled)
                (region + filled * stride).copyMemory(from: region, byteCount: copied * stride)
                filled += copied
            }
        }
        usedBytes = end
        return start
    }

    /// Bytes that `carve(count, of: T)` takes after `usedBytes` bytes were carved: used to compute
    /// a profile's footprint before any arena exists.
    public static func bytes<T>(after usedBytes: Int, _ count: Int, of type: T.Type) -> Int {
        aligned(usedBytes, to: MemoryLayout<T>.alignment) + count * MemoryLayout<T>.stride
    }

    @inline(__always)
    static func aligned(_ offset: Int, to alignment: Int) -> Int {
        (offset + alignment - 1) & ~(alignment - 1)
    }

    /// Whether every byte of `bytes` is zero (word at a time; only reads).
    /// - Complexity: O(`bytes.count`).
    static func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let wordBytes = MemoryLayout<UInt>.stride
        let words = bytes.count / wordBytes
        var bits: UInt = 0
        var word = 0
        while word < words {
            bits |= bytes.loadUnaligned(fromByteOffset: word * wordBytes, as: UInt.self)
            word += 1
        }
        var offset = words * wordBytes
        while offset < bytes.count {
            bits |= UInt(bytes[offset])
            offset += 1
        }
        return bits == 0
    }
}
