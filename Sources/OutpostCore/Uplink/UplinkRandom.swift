/// SplitMix64: the uplink's source of jitter and tokens. Seeded, so tests reproduce every
/// retransmission and backoff time exactly; the daemon seeds it from the clock and node id.
public struct UplinkRandom: BitwiseCopyable, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z &>> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z &>> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z &>> 31)
    }

    /// A number in 0 ... `upper` (inclusive), `upper` ≥ 0. The modulo bias is below 2^−40 for the
    /// ranges used (jitter of at most minutes in ms).
    public mutating func upTo(_ upper: Int64) -> Int64 {
        precondition(upper >= 0, "negative range")
        let range = UInt64(bitPattern: upper) &+ 1
        return Int64(bitPattern: next() % range)
    }
}
