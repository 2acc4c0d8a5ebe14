/// One of the two forward-cursor slots in the reserved area (docs/LOG_FORMAT.md §5).
public struct LogCursorSlot: Equatable, Sendable, BitwiseCopyable {
    /// Increases by one on every cursor write; odd generations go to slot A, even ones to slot B.
    public var generation: UInt64
    /// Every record up to this sequence was delivered upstream (0: none).
    public var cursor: UInt64

    public init(generation: UInt64, cursor: UInt64) {
        self.generation = generation
        self.cursor = cursor
    }

    /// File offset of the slot that generation `generation` is written to.
    public static func offset(forGeneration generation: UInt64) -> Int64 {
        generation & 1 == 1 ? LogFormat.cursorSlotOffsets.0.wide : LogFormat.cursorSlotOffsets.1.wide
    }

    /// Writes the slot into `bytes` (32 bytes).
    public func encode(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count == LogFormat.cursorSlotBytes)
        precondition(generation >= 1, "cursor generations start at 1")
        for i in 0..<bytes.count { bytes[i] = 0 }
        LogFormat.store32(bytes, 0, LogFormat.cursorMagic)
        LogFormat.store64(bytes, 8, generation)
        LogFormat.store64(bytes, 16, cursor)
        LogFormat.store32(bytes, 28, CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<28])))
    }

    /// The slot in `bytes`, or nil when blank or damaged.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> LogCursorSlot? {
        precondition(bytes.count == LogFormat.cursorSlotBytes)
        if LogFormat.load32(bytes, 0) != LogFormat.cursorMagic { return nil }
        if LogFormat.load32(bytes, 28) != CRC32C.checksum(UnsafeRawBufferPointer(rebasing: bytes[0..<28])) { return nil }
        let slot = LogCursorSlot(generation: LogFormat.load64(bytes, 8), cursor: LogFormat.load64(bytes, 16))
        return slot.generation >= 1 ? slot : nil
    }
}
