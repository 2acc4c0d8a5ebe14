/// Formats text (JSON, CSV, Prometheus, messages) into a fixed byte buffer, without allocation.
///
/// Writes past the end are not performed and set `overflowed`, and nothing is written after that
/// until `reset` or `rewind` (so a short write after a long one that did not fit cannot splice a
/// line together); callers flush (or size the buffer) before that can happen, and check
/// `overflowed` where losing text would matter.
public struct TextWriter {
    @usableFromInline let buffer: UnsafeMutableRawBufferPointer
    /// Bytes written so far.
    public private(set) var count: Int = 0
    /// True once a write did not fit.
    public private(set) var overflowed = false

    /// A writer into `buffer`.
    public init(buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    /// Bytes still free.
    @inline(__always) public var freeBytes: Int { buffer.count - count }

    /// The text written so far.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }

    /// Forgets the written text (after it was flushed).
    public mutating func reset() {
        count = 0
        overflowed = false
    }

    /// The length of the text up to and including its last newline: the whole lines written.
    /// - Complexity: O(bytes after that newline).
    public var wholeLinesCount: Int {
        var end = count
        while end > 0 && buffer[end - 1] != 0x0A { end -= 1 }
        return end
    }

    /// Forgets the text written after the first `count` bytes (a line that did not fit).
    public mutating func rewind(to count: Int) {
        precondition(count >= 0 && count <= self.count, "rewinding forward")
        self.count = count
        overflowed = false
    }

    /// Appends one byte.
    @inline(__always)
    public mutating func byte(_ value: UInt8) {
        if !overflowed && count < buffer.count {
            buffer[count] = value
            count += 1
        } else {
            overflowed = true
        }
    }

    /// Appends ASCII/UTF-8 text.
    public mutating func text(_ value: StaticString) {
        let source = UnsafeBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount)
        raw(UnsafeRawBufferPointer(source))
    }

    /// Appends raw bytes.
    public mutating func raw(_ source: UnsafeRawBufferPointer) {
        if overflowed || source.count > freeBytes {
            overflowed = true
            return
        }
        for i in 0..<source.count { buffer[count + i] = source[i] }
        count += source.count
    }

    /// Appends a sensor name (printable ASCII without quotes, so JSON-safe as is).
    public mutating func name(_ value: SensorName) {
        for i in 0..<Int(value.count) { byte(value[i]) }
    }

    /// Appends a signed decimal integer.
    public mutating func integer(_ value: Int64) {
        if value < 0 {
            byte(0x2D)
            // -(Int64.min) does not exist: print its magnitude from the unsigned value.
            unsigned(UInt64(bitPattern: 0 &- value))
        } else {
            unsigned(UInt64(bitPattern: value))
        }
    }

    /// Appends an unsigned decimal integer.
    public mutating func unsigned(_ value: UInt64) {
        var digits = InlineArray<20, UInt8>(repeating: 0)
        var n = value
        var length = 0
        repeat {
            digits[length] = UInt8(truncatingIfNeeded: n % 10) &+ 0x30
            n /= 10
            length += 1
        } while n != 0
        while length > 0 {
            length -= 1
            byte(digits[length])
        }
    }

    /// Appends `value / 10^decimals` with exactly `decimals` digits after the point
    /// (a fixed-point number in its unit: `fixed(25_125, decimals: 3)` → `25.125`).
    public mutating func fixed(_ value: Int64, decimals: Int) {
        precondition(decimals >= 0 && decimals <= 18)
        if decimals == 0 {
            integer(value)
            return
        }
        var divisor: UInt64 = 1
        for _ in 0..<decimals { divisor *= 10 }
        let magnitude = value < 0 ? UInt64(bitPattern: 0 &- value) : UInt64(bitPattern: value)
        if value < 0 { byte(0x2D) }
        unsigned(magnitude / divisor)
        byte(0x2E)
        var fraction = magnitude % divisor
        var scale = divisor / 10
        for _ in 0..<decimals {
            byte(UInt8(truncatingIfNeeded: fraction / scale) &+ 0x30)
            fraction %= scale
            scale /= 10
            if scale == 0 { break }
        }
    }

    /// Appends a Q16 fraction (0...65535 ↔ 0...1) with three decimals.
    public mutating func q16(_ value: UInt16) {
        // Round to thousandths: (v × 1000 + 32768) / 65536.
        let thousandths = (value.wide * 1000 + 32_768) / 65_536
        fixed(thousandths, decimals: 3)
    }

    /// Appends bytes as the contents of a JSON string (quotes not included), escaping as needed.
    public mutating func jsonEscaped(_ source: UnsafeRawBufferPointer) {
        for i in 0..<source.count {
            let b = source[i]
            switch b {
            case 0x22: text("\\\"")
            case 0x5C: text("\\\\")
            case 0x0A: text("\\n")
            case 0x0D: text("\\r")
            case 0x09: text("\\t")
            case 0..<0x20:
                text("\\u00")
                byte(TextWriter.hex(b &>> 4))
                byte(TextWriter.hex(b & 0xF))
            default: byte(b)
            }
        }
    }

    @inline(__always)
    static func hex(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 &+ nibble : 0x61 &+ nibble &- 10 }
}
