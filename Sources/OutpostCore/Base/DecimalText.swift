/// Why a number could not be read.
public enum NumberError: Error, Equatable, Sendable {
    /// Empty field.
    case empty
    /// A byte that cannot appear in a decimal number, at this offset in the field.
    case unexpectedByte(offset: Int)
    /// The value is beyond ±9.2e12, the range of micro-units in an `Int64`.
    case outOfRange
    /// NaN or infinity.
    case notFinite
}

/// Reads decimal numbers into micro-units (value × 10⁶ in an `Int64`) without floating point.
///
/// Micro-units hold every input the runtime accepts (±9.2e12, resolution 1e-6) and convert exactly
/// into each core fixed-point unit. Digits past the sixth decimal are rounded half away from zero.
public enum DecimalText {
    /// Parses `text` (`-12.5`, `+3`, `1.25e-3`, `101325`) into micro-units.
    /// - Complexity: O(n) in the length of the text.
    public static func microUnits(_ text: Span<UInt8>) throws(NumberError) -> Int64 {
        let n = text.count
        if n == 0 { throw .empty }
        var i = 0
        var negative = false
        if text[0] == 0x2D || text[0] == 0x2B {  // - +
            negative = text[0] == 0x2D
            i = 1
        }
        // Collect up to 19 significant digits as an integer mantissa with a decimal exponent.
        var mantissa: Int64 = 0
        var exponent = 0
        var digits = 0
        var sawDigit = false
        var roundUp = false
        var droppedDigits = false
        while i < n, text[i] >= 0x30, text[i] <= 0x39 {
            sawDigit = true
            take(text[i], &mantissa, &exponent, &digits, &roundUp, &droppedDigits, fraction: false)
            i += 1
        }
        if i < n, text[i] == 0x2E {  // .
            i += 1
            while i < n, text[i] >= 0x30, text[i] <= 0x39 {
                sawDigit = true
                take(text[i], &mantissa, &exponent, &digits, &roundUp, &droppedDigits, fraction: true)
                i += 1
            }
        }
        if !sawDigit { throw .unexpectedByte(offset: i < n ? i : n - 1) }
        if i < n, text[i] == 0x65 || text[i] == 0x45 {  // e E
            i += 1
            var expNegative = false
            if i < n, text[i] == 0x2D || text[i] == 0x2B {
                expNegative = text[i] == 0x2D
                i += 1
            }
            var value = 0
            var sawExpDigit = false
            while i < n, text[i] >= 0x30, text[i] <= 0x39 {
                sawExpDigit = true
                if value < 1000 { value = value * 10 + Int(text[i] &- 0x30) }
                i += 1
            }
            if !sawExpDigit { throw .unexpectedByte(offset: i < n ? i : n - 1) }
            exponent += expNegative ? -value : value
        }
        if i != n { throw .unexpectedByte(offset: i) }
        _ = droppedDigits
        return try scale(mantissa: mantissa, exponent: exponent + 6, roundUp: roundUp, negative: negative)
    }

    /// Converts a binary floating-point value (as CBOR carries it) into micro-units.
    public static func microUnits(_ value: Double) throws(NumberError) -> Int64 {
        if !value.isFinite { throw .notFinite }
        let scaled = (value * 1_000_000).rounded(.toNearestOrAwayFromZero)
        if !(scaled > -9.2e18 && scaled < 9.2e18) { throw .outOfRange }
        return Int64(scaled)
    }

    @inline(__always)
    static func take(
        _ byte: UInt8, _ mantissa: inout Int64, _ exponent: inout Int, _ digits: inout Int,
        _ roundUp: inout Bool, _ dropped: inout Bool, fraction: Bool
    ) {
        let digit = (byte &- 0x30).wide
        if digits == 0 && digit == 0 {
            if fraction { exponent -= 1 }  // leading zeros carry no precision
            return
        }
        if digits < 18 {
            mantissa = mantissa * 10 + digit
            digits += 1
            if fraction { exponent -= 1 }
        } else {
            // Beyond 18 significant digits: integer digits still scale the value, fraction digits
            // only decide the rounding of the last kept digit.
            if digits == 18 { roundUp = digit >= 5 }
            if !fraction { exponent += 1 }
            digits = 19
            dropped = true
        }
    }

    /// mantissa × 10^exponent, rounded half away from zero, with overflow checks.
    static func scale(mantissa: Int64, exponent: Int, roundUp: Bool, negative: Bool) throws(NumberError) -> Int64 {
        var value = mantissa
        if roundUp { value += 1 }
        if value == 0 { return 0 }
        var e = exponent
        while e > 0 {
            let (product, overflow) = value.multipliedReportingOverflow(by: 10)
            if overflow { throw .outOfRange }
            value = product
            e -= 1
        }
        while e < 0 {
            if e < -19 { return 0 }
            let quotient = value / 10
            let remainder = value - quotient * 10
            value = quotient
            e += 1
            if e == 0 && remainder >= 5 { value += 1 }
        }
        return negative ? -value : value
    }
}
