/// A small deterministic generator (SplitMix64) for benchmark inputs: the same figures are
/// measured over the same inputs on every machine and run.
struct BenchRandom {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    /// A value spread evenly over `center - spread ... center + spread`.
    mutating func around(_ center: Int32, _ spread: Int32) -> Int32 {
        precondition(spread > 0, "spread must be positive")
        let width = UInt64(spread) * 2 + 1
        return center - spread + Int32(truncatingIfNeeded: next() % width)
    }

    /// True with probability `perMille` / 1000.
    mutating func chance(perMille: UInt64) -> Bool {
        next() % 1000 < perMille
    }
}
