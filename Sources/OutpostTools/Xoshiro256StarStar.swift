/// xoshiro256** (Blackman, Vigna 2018): the tools' only random source.
///
/// The system RNG is never used, so `gen` and `train` give the same bytes for the same seed on
/// every run and machine. Streams are derived from a seed and a stream number (a sensor, a tree),
/// so one sensor's data does not change when more sensors are generated.
public struct Xoshiro256StarStar {
    var s0: UInt64
    var s1: UInt64
    var s2: UInt64
    var s3: UInt64
    /// The second Box–Muller output, kept for the next `gaussian()` call.
    var spareGaussian: Double?

    /// A generator for `seed` and stream `stream`.
    public init(seed: UInt64, stream: UInt64 = 0) {
        // Mix the stream number through SplitMix64 first, so streams 0, 1, 2 are unrelated.
        var mixer = SplitMix64(seed: seed)
        let base = mixer.next()
        var expander = SplitMix64(seed: base ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = expander.next()
        s1 = expander.next()
        s2 = expander.next()
        s3 = expander.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is a fixed point
        spareGaussian = nil
    }

    /// The next 64-bit output.
    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in [0, 1), with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double {
        precondition(low <= high, "empty range")
        return low + (high - low) * uniform()
    }

    /// Uniform integer in 0..<bound, without modulo bias (Lemire's multiply-and-reject).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        let threshold = (0 &- range) % range
        // Rejection happens with probability < bound / 2^64; 64 tries make a miss impossible in practice.
        for _ in 0..<64 {
            let product = next().multipliedFullWidth(by: range)
            if product.low >= threshold { return Int(product.high) }
        }
        return Int(next() % range)
    }

    /// Standard normal N(0, 1) by the Box–Muller transform.
    public mutating func gaussian() -> Double {
        if let spare = spareGaussian {
            spareGaussian = nil
            return spare
        }
        let u1 = 1 - uniform()  // (0, 1]: log is finite
        let u2 = uniform()
        let radius = (-2 * Math.log(u1)).squareRoot()
        let angle = 2 * Double.pi * u2
        spareGaussian = radius * Math.sin(angle)
        return radius * Math.cos(angle)
    }

    /// Normal with mean `mean` and standard deviation `deviation`.
    public mutating func gaussian(mean: Double, deviation: Double) -> Double {
        mean + deviation * gaussian()
    }

    /// Exponential with mean `mean`.
    public mutating func exponential(mean: Double) -> Double {
        precondition(mean > 0, "mean must be positive")
        return -mean * Math.log(1 - uniform())
    }

    /// True with probability `probability`.
    public mutating func chance(_ probability: Double) -> Bool {
        uniform() < probability
    }
}
