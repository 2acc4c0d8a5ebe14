/// A decimal number read exactly from text: `digits × 10^exponent`, with a sign.
///
/// The tools convert CSV text straight to the model's fixed point with this (no trip through
/// `Double`), so a value with at most k decimals becomes exactly `value × 10^k`, the same integer
/// the trainer used, and `score` agrees with `train` bit for bit.
public struct DecimalNumber: Equatable {
    /// True for a value below zero (never set for zero).
    public var negative: Bool
    /// Significant decimal digits (0...9 each), without leading zeros; empty for zero.
    public var digits: [UInt8]
    /// Power of ten of the last digit.
    public var exponent: Int

    /// Largest exponent magnitude accepted; beyond it every value over- or underflows anyway.
    static let exponentLimit = 100_000

    /// Parses `[+-]digits[.digits][e[+-]digits]` (or `.5`, `5.`), ignoring surrounding spaces;
    /// nil for anything else (names, `nan`, `inf`, hex, an empty field).
    /// - Complexity: O(n) in the length of the text.
    public init?(_ text: some Collection<UInt8>) {
        var bytes = Array(text)
        while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
        var i = 0
        let n = bytes.count
        while i < n && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
        var negative = false
        if i < n && (bytes[i] == 0x2B || bytes[i] == 0x2D) {
            negative = bytes[i] == 0x2D
            i += 1
        }
        var digits: [UInt8] = []
        var exponent = 0
        var sawDigit = false
        while i < n && bytes[i] >= 0x30 && bytes[i] <= 0x39 {
            sawDigit = true
            let digit = bytes[i] - 0x30
            if !(digits.isEmpty && digit == 0) { digits.append(digit) }
            i += 1
        }
        if i < n && bytes[i] == 0x2E {
            i += 1
            while i < n && bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                sawDigit = true
                let digit = bytes[i] - 0x30
                if !(digits.isEmpty && digit == 0) { digits.append(digit) }
                exponent -= 1
                i += 1
            }
        }
        if !sawDigit { return nil }
        if i < n && (bytes[i] == 0x65 || bytes[i] == 0x45) {
            i += 1
            var exponentNegative = false
            if i < n && (bytes[i] == 0x2B || bytes[i] == 0x2D) {
                exponentNegative = bytes[i] == 0x2D
                i += 1
            }
            var value = 0
            var sawExponentDigit = false
            while i < n && bytes[i] >= 0x30 && bytes[i] <= 0x39 {
                sawExponentDigit = true
                if value < Self.exponentLimit { value = value * 10 + Int(bytes[i] - 0x30) }
                i += 1
            }
            if !sawExponentDigit { return nil }
            exponent += exponentNegative ? -value : value
        }
        if i != n { return nil }
        // Trailing zeros carry no value; dropping them keeps `digits` minimal.
        while let last = digits.last, last == 0 {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty {
            exponent = 0
            negative = false
        }
        self.negative = negative
        self.digits = digits
        self.exponent = exponent
    }

    /// `round(value × 10^decimals)`, half away from zero, saturated to the `Int32` range.
    ///
    /// Saturation is exact for the forest: every threshold of a model lies within ±2^30 (the
    /// decimals are chosen so), so a saturated input takes the same branches as the true value.
    /// - Complexity: O(d) in the number of digits.
    public func fixed(decimals: Int) -> Int32 {
        precondition(decimals >= -30 && decimals <= 30, "decimals out of range")
        if digits.isEmpty { return 0 }
        let shift = exponent + decimals
        // Number of digits before the point after scaling.
        let integerDigits = digits.count + shift
        if integerDigits > 10 { return negative ? Int32.min : Int32.max }  // ≥ 10^10
        var magnitude: Int64 = 0
        if integerDigits > 0 {
            for index in 0..<integerDigits {
                magnitude = magnitude * 10 + (index < digits.count ? Int64(digits[index]) : 0)
            }
        }
        // The first dropped digit decides the rounding (half away from zero).
        if integerDigits >= 0 && integerDigits < digits.count && digits[integerDigits] >= 5 { magnitude += 1 }
        let value = negative ? -magnitude : magnitude
        if value > Int64(Int32.max) { return Int32.max }
        if value < Int64(Int32.min) { return Int32.min }
        return Int32(value)
    }

    /// The nearest `Double`.
    public var double: Double {
        if digits.isEmpty { return 0 }
        var text = negative ? "-" : ""
        for digit in digits { text.append(Character(UnicodeScalar(digit + 0x30))) }
        text += "e\(exponent)"
        return Double(text) ?? .nan
    }
}
