extension WindowStore {
    /// Running sums of one feature in one bucket (32 bytes): count, Σd and Σd² of the deviations
    /// d = x − ref from the sensor's reference value for the feature, and min/max of x.
    ///
    /// Range: |d| < 2³², so Σd is exact for any count below 2³¹ and Σd² is exact while the sum
    /// stays below 2⁶³ ≈ 9.2 × 10¹⁸, e.g. 10⁶ readings deviating by 3 × 10⁶ units (300 kPa of
    /// pressure) from the reference. Beyond that a sum saturates at the `Int64` bound and the
    /// accumulator is flagged `saturated` instead of trapping; the summary then reports
    /// approximations clamped to [min, max].
    public struct Accumulator: BitwiseCopyable, Sendable, Equatable {
        /// Σ(x − ref).
        public var sumDeviation: Int64
        /// Σ(x − ref)².
        public var sumSquaredDeviation: Int64
        /// Values added (saturating: at `UInt32.max` further values are dropped and flagged).
        public var count: UInt32
        public var minimum: Int32
        public var maximum: Int32
        /// A sum or the count saturated.
        public var saturated: Bool

        /// Holds no value.
        public static let empty = Accumulator(
            sumDeviation: 0, sumSquaredDeviation: 0, count: 0, minimum: Int32.max, maximum: Int32.min, saturated: false)

        /// Adds `value` (core units), measured against `reference`.
        /// - Complexity: O(1).
        @inline(__always)
        public mutating func add(_ value: Int32, reference: Int32) {
            if count == UInt32.max {
                saturated = true
                return
            }
            let deviation = value.wide - reference.wide
            let (square, squareOverflow) = deviation.multipliedReportingOverflow(by: deviation)
            sumDeviation = accumulate(sumDeviation, deviation)
            sumSquaredDeviation = accumulate(sumSquaredDeviation, squareOverflow ? Int64.max : square)
            if squareOverflow { saturated = true }
            count += 1
            if value < minimum { minimum = value }
            if value > maximum { maximum = value }
        }

        /// Adds the values of `other` (same reference).
        /// - Complexity: O(1).
        @inline(__always)
        public mutating func merge(_ other: Accumulator) {
            if other.count == 0 { return }
            let (total, countOverflow) = count.addingReportingOverflow(other.count)
            count = countOverflow ? UInt32.max : total
            sumDeviation = accumulate(sumDeviation, other.sumDeviation)
            sumSquaredDeviation = accumulate(sumSquaredDeviation, other.sumSquaredDeviation)
            if countOverflow || other.saturated { saturated = true }
            if other.minimum < minimum { minimum = other.minimum }
            if other.maximum > maximum { maximum = other.maximum }
        }

        /// Saturating `sum + addend`, flagging saturation.
        @inline(__always)
        mutating func accumulate(_ sum: Int64, _ addend: Int64) -> Int64 {
            let (result, overflow) = sum.addingReportingOverflow(addend)
            if !overflow { return result }
            saturated = true
            return addend < 0 ? Int64.min : Int64.max
        }

        /// Count, mean, population standard deviation, min and max in core units (rounded half
        /// away from zero), for values measured against `reference`.
        ///
        /// The mean is an exact integer division of (ref·n + Σd) by n. The deviation is
        /// √(n·Σd² − (Σd)²) / n with the radicand computed exactly in 64 bits and only the root
        /// and the division in `Double` (IEEE-754 correctly rounded, so identical on every
        /// platform); when the radicand does not fit it falls back to Σd²/n − (Σd/n)² in `Double`.
        /// - Complexity: O(1).
        public func stats(reference: Int32) -> FeatureStats {
            if count == 0 { return .empty }
            let n = count.wide
            var mean: Int64
            let (scaledReference, scaleOverflow) = reference.wide.multipliedReportingOverflow(by: n)
            let (total, totalOverflow) = scaledReference.addingReportingOverflow(sumDeviation)
            if !scaleOverflow && !totalOverflow {
                mean = Accumulator.roundedQuotient(total, n)
            } else {
                mean = Int64((Double(reference.wide) + Double(sumDeviation) / Double(n)).rounded())
            }
            // Only saturated sums can put it outside; keep the output meaningful regardless.
            if mean < minimum.wide { mean = minimum.wide }
            if mean > maximum.wide { mean = maximum.wide }
            var deviation: Double
            let (scaledSquares, squaresOverflow) = n.multipliedReportingOverflow(by: sumSquaredDeviation)
            let (squaredSum, squaredSumOverflow) = sumDeviation.multipliedReportingOverflow(by: sumDeviation)
            if !squaresOverflow && !squaredSumOverflow {
                // n·Σd² ≥ (Σd)² (Cauchy–Schwarz) unless a sum saturated.
                let radicand = scaledSquares - squaredSum
                deviation = radicand > 0 ? Double(radicand).squareRoot() / Double(n) : 0
            } else {
                let meanDeviation = Double(sumDeviation) / Double(n)
                let variance = Double(sumSquaredDeviation) / Double(n) - meanDeviation * meanDeviation
                deviation = variance > 0 ? variance.squareRoot() : 0
            }
            return FeatureStats(
                count: count, mean: mean.saturatingInt32,
                standardDeviation: Int64(deviation.rounded()).saturatingInt32,
                minimum: minimum, maximum: maximum, saturated: saturated)
        }

        /// `dividend / divisor` rounded half away from zero (`divisor > 0`).
        @inline(__always)
        static func roundedQuotient(_ dividend: Int64, _ divisor: Int64) -> Int64 {
            precondition(divisor > 0)
            let quotient = dividend / divisor
            let remainder = dividend - quotient * divisor
            let magnitude = remainder < 0 ? -remainder : remainder
            if magnitude * 2 >= divisor { return dividend < 0 ? quotient - 1 : quotient + 1 }
            return quotient
        }
    }
}
