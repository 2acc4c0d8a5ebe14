/// A Block1/Block2 option value (RFC 7959 §2.2): block number NUM, more flag M, size exponent SZX.
///
/// On the wire it is an unsigned integer of 0...3 bytes: `NUM << 4 | M << 3 | SZX`, and the block
/// size is `2^(SZX + 4)` bytes (16 ... 1024; SZX 7 is reserved).
public struct CoAPBlock: BitwiseCopyable, Sendable, Equatable {
    /// Largest block number a 3-byte value carries.
    public static let maxNumber: UInt32 = 0xF_FFFF

    /// Block number: which block of the body, counting from 0.
    public var number: UInt32
    /// More blocks follow (Block1 in a request, Block2 in a response).
    public var more: Bool
    /// Size exponent 0...6: the block holds `16 << sizeExponent` bytes.
    public var sizeExponent: UInt8

    /// A block descriptor; traps on a number above 2^20 − 1 or an exponent above 6.
    public init(number: UInt32, more: Bool, sizeExponent: UInt8) {
        precondition(number <= CoAPBlock.maxNumber, "block number above 20 bits")
        precondition(sizeExponent <= 6, "block size exponent above 6 (7 is reserved)")
        self.number = number
        self.more = more
        self.sizeExponent = sizeExponent
    }

    /// Decodes the integer form of the option value.
    /// - Throws: `.tooLong` above 24 bits, `.reservedSizeExponent` for SZX 7.
    public init(value: UInt32) throws(CoAPBlockError) {
        if value > 0xFF_FFFF { throw .tooLong }
        let exponent = UInt8(truncatingIfNeeded: value & 7)
        if exponent == 7 { throw .reservedSizeExponent }
        self.init(number: value &>> 4, more: value & 8 != 0, sizeExponent: exponent)
    }

    /// Decodes an option value as it appears in a message (0...3 bytes, big-endian).
    public init(optionValue: UnsafeRawBufferPointer) throws(CoAPBlockError) {
        if optionValue.count > 3 { throw .tooLong }
        var value: UInt32 = 0
        for byte in optionValue { value = value &<< 8 | UInt32(byte) }
        try self.init(value: value)
    }

    /// The integer form of the option value (`CoAPMessageWriter.appendOption(_:uint:)` writes it
    /// in the fewest bytes).
    public var value: UInt32 { number &<< 4 | (more ? 8 : 0) | UInt32(sizeExponent) }

    /// Block size in bytes (16 ... 1024).
    public var sizeBytes: Int { 16 &<< Int(sizeExponent) }

    /// Offset of this block in the whole body, in bytes (below 2^30, fits `Int` on 32-bit).
    public var offsetBytes: Int { Int(number) * sizeBytes }

    /// The exponent of the largest block size not above `bytes` (16...1024), or nil below 16.
    public static func sizeExponent(forAtMost bytes: Int) -> UInt8? {
        if bytes < 16 { return nil }
        var exponent: UInt8 = 0
        while exponent < 6 && 32 &<< Int(exponent) <= bytes { exponent += 1 }
        return exponent
    }
}
