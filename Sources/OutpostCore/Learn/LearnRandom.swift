/// The on-board learner's random numbers: SplitMix64 (Steele, Lea, Flood 2014), one stream per
/// tree, so a learned forest is a function of its sample and seed alone.
///
/// Why SplitMix64: eight bytes of state, one add and three multiply-xorshift rounds per draw, no
/// table, and the same bits on every target (wrapping 64-bit arithmetic only).
public struct LearnRandom {
    var state: UInt64

    /// The stream `stream` of `seed`: streams start far apart (golden-ratio steps of the state).
    /// - Complexity: O(1).
    public init(seed: UInt64, stream: UInt64) {
        state = seed ^ (stream &+ 1) &* 0xD1B5_4A32_D192_ED03
        _ = next()
    }

    /// The next 64 random bits.
    /// - Complexity: O(1).
    @inline(__always)
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    /// A uniform integer in 0..<bound, for 1 ≤ bound ≤ 2^32: the top 32 bits scaled by `bound`
    /// (a bias below bound / 2^32, nil for the sample sizes and value spans drawn here).
    ///
    /// Why not `multipliedFullWidth`: on 32-bit targets its generic path allocates; a 32 × 32-bit
    /// product fits 64 bits.
    /// - Complexity: O(1).
    @inline(__always)
    public mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound >= 1 && bound <= 0x1_0000_0000, "bound out of 1...2^32")
        return ((next() &>> 32) &* bound) &>> 32
    }
}
