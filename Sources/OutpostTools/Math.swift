import Glibc

/// The few libm functions the tools use, in one place.
enum Math {
    static func log(_ x: Double) -> Double { Glibc.log(x) }
    static func log2(_ x: Double) -> Double { Glibc.log2(x) }
    static func exp2(_ x: Double) -> Double { Glibc.exp2(x) }
    static func sin(_ x: Double) -> Double { Glibc.sin(x) }
    static func cos(_ x: Double) -> Double { Glibc.cos(x) }
    static func pow10(_ k: Int) -> Double { Glibc.pow(10, Double(k)) }

    /// Average path length of an unsuccessful search in a binary search tree of `n` keys, the
    /// Isolation Forest's normaliser: c(n) = 2(ln(n−1) + γ) − 2(n−1)/n, c(2) = 1, c(n ≤ 1) = 0.
    static func averagePathLength(_ n: Int) -> Double {
        if n <= 1 { return 0 }
        if n == 2 { return 1 }
        let m = Double(n)
        return 2 * (Glibc.log(m - 1) + 0.5772156649) - 2 * (m - 1) / m
    }
}
