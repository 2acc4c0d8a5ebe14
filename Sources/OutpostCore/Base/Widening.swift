// Integer widening that compiles for 32-bit ARM with `-no-allocations`.
//
// Why: on 32-bit targets the stdlib's generic conversions from a narrower integer to a 64-bit one
// (`Int64(someInt32)`, `UInt64(someUInt32)`, `Double(someInt32)`) pull in an allocating witness
// that the `-no-allocations` check refuses, although nothing allocates at run time. These helpers
// go through `_truncatingBits:` (a plain zero extension) and add the sign fill by hand.
// Use them for every widening in the core; `Int64(truncatingIfNeeded:)` from a 64-bit value,
// `Double(Int64)`, `Double(Int)` and `Int64(Double)` are fine as they are.

extension Int32 {
    /// This value as an `Int64` (sign-extended).
    @inline(__always)
    public var wide: Int64 {
        #if _pointerBitWidth(_32)
        let low = Int64(_truncatingBits: UInt(bitPattern: Int(self)))
        let fill: Int64 = self < 0 ? -4_294_967_296 : 0
        return low | fill
        #else
        return Int64(self)
        #endif
    }

    /// This value as a `Double`, exactly.
    @inline(__always)
    public var double: Double { Double(Int(self)) }
}

extension Int {
    /// This value as an `Int64` (sign-extended on 32-bit targets).
    @inline(__always)
    public var wide: Int64 {
        #if _pointerBitWidth(_32)
        let low = Int64(_truncatingBits: UInt(bitPattern: self))
        let fill: Int64 = self < 0 ? -4_294_967_296 : 0
        return low | fill
        #else
        return Int64(self)
        #endif
    }
}

extension UInt32 {
    /// This value as an `Int64` (zero-extended).
    @inline(__always)
    public var wide: Int64 { Int64(_truncatingBits: UInt(self)) }
}

extension UInt16 {
    /// This value as an `Int64` (zero-extended).
    @inline(__always)
    public var wide: Int64 { Int64(_truncatingBits: UInt(self)) }
}

extension UInt8 {
    /// This value as an `Int64` (zero-extended).
    @inline(__always)
    public var wide: Int64 { Int64(_truncatingBits: UInt(self)) }
}

extension Int64 {
    /// This value narrowed to `Int32`, saturating at the bounds instead of trapping.
    @inline(__always)
    public var saturatingInt32: Int32 {
        if self > 2_147_483_647 { return Int32.max }
        if self < -2_147_483_648 { return Int32.min }
        return Int32(truncatingIfNeeded: self)
    }

    /// This value narrowed to `Int` (trapping if it does not fit, as `Int(_:)` would).
    @inline(__always)
    public var narrow: Int {
        #if _pointerBitWidth(_32)
        precondition(self >= -2_147_483_648 && self <= 2_147_483_647, "Int64 does not fit in Int")
        #endif
        return Int(truncatingIfNeeded: self)
    }
}
