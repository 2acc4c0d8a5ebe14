import CHAL

/// Timing helpers: the monotonic clock of CHAL and best-of-N repetition (the machine is shared
/// and noisy, so the fastest run is the closest to the code's own cost).
enum BenchClock {
    /// Runs `body` `repetitions` times and returns the shortest duration in nanoseconds.
    /// - Complexity: `repetitions` calls of `body`.
    static func bestNs(repetitions: Int, _ body: () -> Void) -> Int64 {
        precondition(repetitions > 0 && repetitions <= 1_000, "repetitions out of range")
        var best = Int64.max
        for _ in 0..<repetitions {
            let start = chal_monotonic_ns()
            body()
            let elapsed = chal_monotonic_ns() - start
            best = min(best, elapsed)
        }
        return best
    }
}
