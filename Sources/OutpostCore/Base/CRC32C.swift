import CCRC32C

/// CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR
/// 0xFFFFFFFF. The check value of the ASCII bytes "123456789" is 0xE3069283.
///
/// Used for the model trailer (docs/MODEL_FORMAT.md) and the log records. Castagnoli rather than
/// the zlib polynomial because it detects more error patterns at the lengths we checksum, and
/// because many CPUs have an instruction for it should the log ever need the speed.
///
/// Incremental: feed bytes in any number of pieces with `update`, read `value` at any time.
/// `value` after the pieces equals `CRC32C.checksum` of their concatenation.
///
/// Speed: the CPU's CRC-32C instruction where it has one (SSE4.2 on x86_64, the CRC extension on
/// aarch64; the `CCRC32C` shim checks the CPU once), about eight times the portable code on the
/// log's ~45-byte records; otherwise "slicing-by-8" (eight 256-entry tables, eight bytes per step
/// with independent lookups), about four times the byte-at-a-time loop, in portable C that builds
/// for every board (armv7 has no CRC instruction); the tables are computed on first use into
/// `.bss`, so they cost no bytes of the firmware file. Both give the same value for every input (CRC32CTests).
public struct CRC32C: BitwiseCopyable, Sendable, Equatable {
    /// The running register (pre-inversion); starts at 0xFFFFFFFF.
    public private(set) var state: UInt32

    /// A checksum of no bytes so far.
    @inline(__always)
    public init() { state = 0xFFFF_FFFF }

    /// The CRC-32C of all bytes fed so far.
    @inline(__always)
    public var value: UInt32 { state ^ 0xFFFF_FFFF }

    /// Feeds one byte.
    @inline(__always)
    public mutating func update(byte: UInt8) {
        withUnsafeBytes(of: byte) { update($0) }
    }

    /// True when `update` uses the CPU's CRC-32C instruction (x86_64 with SSE4.2, aarch64 with the
    /// CRC extension).
    @inline(__always)
    public static var hardwareAvailable: Bool { outpost_crc32c_hardware() != 0 }

    /// Feeds `bytes` (which may be empty): with the CPU's instruction when it has one, else with
    /// `updatePortable`.
    ///
    /// - Complexity: O(bytes.count).
    @inline(__always)
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        if outpost_crc32c_hardware() != 0 {
            state = outpost_crc32c_update_hardware(state, base.assumingMemoryBound(to: UInt8.self), UInt(bitPattern: bytes.count))
            return
        }
        updatePortable(bytes)
    }

    /// Feeds `bytes` (which may be empty) with the portable table code, whatever the CPU has (the
    /// fallback of `update`; tests compare the two).
    ///
    /// Slicing-by-8 in the `CCRC32C` shim: eight table lookups per eight bytes, the tables built on
    /// first use into `.bss` (8 KiB that constants would add to every firmware binary).
    ///
    /// - Complexity: O(bytes.count): eight table lookups per eight bytes.
    public mutating func updatePortable(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        state = outpost_crc32c_update_portable(state, base.assumingMemoryBound(to: UInt8.self), UInt(bitPattern: bytes.count))
    }

    /// The CRC-32C of `bytes`.
    ///
    /// - Complexity: O(bytes.count).
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CRC32C()
        crc.update(bytes)
        return crc.value
    }
}
