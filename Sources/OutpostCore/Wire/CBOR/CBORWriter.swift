/// Writes CBOR (RFC 8949) into a fixed buffer, without allocation: unsigned and negative integers,
/// text strings, float64, simple values, and indefinite-length maps and arrays (so a list can be
/// cut short and still closed with a break).
///
/// Writes that do not fit are not performed and set `overflowed`. `reserveBytes` at the end are
/// kept for `endMap`/`endArray` (see `ResourceWriter`).
public struct CBORWriter {
    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count = 0
    /// True once a write did not fit.
    public private(set) var overflowed = false
    /// Writes other than breaks stop this many bytes before the end.
    var limit: Int
    /// Open maps and arrays.
    public private(set) var depth = 0

    /// A writer into `buffer` keeping `reserveBytes` for closing breaks.
    public init(buffer: UnsafeMutableRawBufferPointer, reserveBytes: Int = 0) {
        precondition(reserveBytes >= 0 && reserveBytes <= buffer.count, "reserve larger than the buffer")
        self.buffer = buffer
        limit = buffer.count - reserveBytes
    }

    /// The bytes written.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    /// Appends a head: major type `major` with argument `argument` in the shortest form.
    public mutating func head(major: UInt8, argument: UInt64) {
        precondition(major < 8, "CBOR major type is 3 bits")
        let type = major &<< 5
        if argument < 24 {
            put1(type | UInt8(truncatingIfNeeded: argument))
        } else if argument <= 0xFF {
            put(type | 24, argument, bytes: 1)
        } else if argument <= 0xFFFF {
            put(type | 25, argument, bytes: 2)
        } else if argument <= 0xFFFF_FFFF {
            put(type | 26, argument, bytes: 4)
        } else {
            put(type | 27, argument, bytes: 8)
        }
    }

    /// Appends a signed integer (major 0 or 1).
    public mutating func int(_ value: Int64) {
        if value >= 0 {
            head(major: 0, argument: UInt64(bitPattern: value))
        } else {
            // −1 − n for n ≥ 0: the argument of major 1 is the bitwise complement.
            head(major: 1, argument: UInt64(bitPattern: ~value))
        }
    }

    /// Appends a text string from bytes (which must be UTF-8).
    public mutating func text(_ bytes: UnsafeRawBufferPointer) {
        let start = count
        head(major: 3, argument: UInt64(bitPattern: (bytes.count).wide))
        if count == start { return }  // the head did not fit
        if limit - count < bytes.count {
            count = start
            overflowed = true
            return
        }
        for i in 0..<bytes.count { buffer[count + i] = bytes[i] }
        count += bytes.count
    }

    /// Appends a byte string (major 2).
    public mutating func byteString(_ bytes: UnsafeRawBufferPointer) {
        let start = count
        head(major: 2, argument: UInt64(bitPattern: (bytes.count).wide))
        if count == start { return }  // the head did not fit
        if limit - count < bytes.count {
            count = start
            overflowed = true
            return
        }
        for i in 0..<bytes.count { buffer[count + i] = bytes[i] }
        count += bytes.count
    }

    /// Appends a text string from a static ASCII/UTF-8 string.
    public mutating func text(_ value: StaticString) {
        text(UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// Appends a float64 (major 7, additional information 27).
    public mutating func float64(_ value: Double) {
        put(0xFB, value.bitPattern, bytes: 8)
    }

    /// Appends `true`, `false` or `null`.
    public mutating func bool(_ value: Bool) { put1(value ? 0xF5 : 0xF4) }
    public mutating func null() { put1(0xF6) }

    /// Opens an indefinite-length map or array.
    public mutating func beginIndefiniteMap() {
        put1(0xBF)
        if !overflowed { depth += 1 }
    }

    public mutating func beginIndefiniteArray() {
        put1(0x9F)
        if !overflowed { depth += 1 }
    }

    /// Closes the innermost indefinite map or array with a break (may use the reserve).
    public mutating func writeBreak() {
        precondition(depth > 0, "CBOR break without an open container")
        if count < buffer.count {
            buffer[count] = 0xFF
            count += 1
            depth -= 1
        } else {
            overflowed = true
        }
    }

    /// Lets later writes use the reserved bytes.
    public mutating func useReserve() { limit = buffer.count }

    /// Cuts the output back to `count` bytes and `depth` open containers, clearing `overflowed`.
    public mutating func rewind(count: Int, depth: Int) {
        precondition(count >= 0 && count <= self.count, "rewinding forward")
        self.count = count
        self.depth = depth
        overflowed = false
    }

    @inline(__always)
    mutating func put1(_ byte: UInt8) {
        if count < limit {
            buffer[count] = byte
            count += 1
        } else {
            overflowed = true
        }
    }

    /// A first byte and `bytes` big-endian bytes of `value`, all or nothing.
    mutating func put(_ first: UInt8, _ value: UInt64, bytes: Int) {
        if limit - count < 1 + bytes {
            overflowed = true
            return
        }
        buffer[count] = first
        for i in 0..<bytes {
            buffer[count + 1 + i] = UInt8(truncatingIfNeeded: value &>> UInt64(bitPattern: (8 * (bytes - 1 - i)).wide))
        }
        count += 1 + bytes
    }
}
