/// Writes numbers as plain decimal text without `String(format:)`: the generator writes millions
/// of them, and integer arithmetic makes the text identical on every platform.
enum DecimalFormat {
    /// Appends `value` rounded to `decimals` (0...9) places, half away from zero, always with
    /// exactly `decimals` digits after the point (`25.120`); never `-0`.
    static func append(_ value: Double, decimals: Int, to bytes: inout [UInt8]) {
        precondition(decimals >= 0 && decimals <= 9, "decimals out of range")
        precondition(value.isFinite && abs(value) < 9e9, "value out of range")
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((value * Double(scale)).rounded(.toNearestOrAwayFromZero))
        if scaled < 0 { bytes.append(0x2D) }
        let magnitude = scaled.magnitude
        append(magnitude / UInt64(scale), to: &bytes)
        if decimals == 0 { return }
        bytes.append(0x2E)
        var fraction = magnitude % UInt64(scale)
        var digits = [UInt8](repeating: 0x30, count: decimals)
        for index in stride(from: decimals - 1, through: 0, by: -1) {
            digits[index] = 0x30 + UInt8(fraction % 10)
            fraction /= 10
        }
        bytes.append(contentsOf: digits)
    }

    /// Appends an unsigned integer in decimal.
    static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        var digits: [UInt8] = []
        var rest = value
        // At most 20 digits in a UInt64.
        for _ in 0..<20 where rest > 0 {
            digits.append(0x30 + UInt8(rest % 10))
            rest /= 10
        }
        bytes.append(contentsOf: digits.reversed())
    }

    /// Appends a signed integer in decimal.
    static func append(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(0x2D) }
        append(value.magnitude, to: &bytes)
    }

    /// `value` as text with exactly `decimals` places.
    static func string(_ value: Double, decimals: Int) -> String {
        var bytes: [UInt8] = []
        append(value, decimals: decimals, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
