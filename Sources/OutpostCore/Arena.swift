/// Static memory carved into typed regions once, at start-up (TigerBeetle's "allocate everything
/// up front"). After start-up nothing is carved or freed; the regions live as long as the process.
///
/// The firmware's arena is a `.bss` buffer in CHAL sized per profile; host tests allocate one
/// buffer per pipeline before they start counting allocations.
public struct Arena {
    @usableFromInline let base: UnsafeMutableRawPointer
    /// Size of the whole arena in bytes.
    public let sizeBytes: Int
    /// Bytes carved so far (including alignment padding).
    public private(set) var usedBytes: Int = 0

    /// An arena over `sizeBytes` bytes at `base` (aligned to at least 16 bytes).
    public init(base: UnsafeMutableRawPointer, sizeBytes: Int) {
        precondition(sizeBytes >= 0)
        precondition(Int(bitPattern: base) & 15 == 0, "arena base must be 16-byte aligned")
        self.base = base
        self.sizeBytes = sizeBytes
    }

    /// Carves `count` elements of `T`, each set to `value`. Traps when the arena is too small:
    /// at start-up that is a build configuration error, never a run-time condition.
    public mutating func carve<T: BitwiseCopyable>(_ count: Int, of value: T) -> UnsafeMutableBufferPointer<T> {
        precondition(count >= 0)
        let start = Arena.aligned(usedBytes, to: MemoryLayout<T>.alignment)
        let end = start + count * MemoryLayout<T>.stride
        precondition(end <= sizeBytes, "arena too small for the profile's tables")
        let typed = (base + start).bindMemory(to: T.self, capacity: count)
        let buffer = UnsafeMutableBufferPointer(start: typed, count: count)
        buffer.initialize(repeating: value)
        usedBytes = end
        return buffer
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
}
