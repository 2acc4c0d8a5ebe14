/// The per-source limits of plain traffic (docs/SECURITY.md, "Fair service"), set by the daemon's
/// options (`--source-requests-per-s`, `--source-readings-per-s`, `--observe-lease-s`,
/// `--amplification-factor`). Capacities (source table, shares) come from the profile.
public struct FairnessSettings: BitwiseCopyable, Sendable, Equatable {
    /// Requests (datagrams other than `POST`) a source may send per second; its bucket holds two
    /// seconds' worth. Always enforced: a source above it is dropped, counted `rate_requests`.
    public var requestsPerS: Int32
    /// Readings a source may post per second (bucket: two seconds' worth). Enforced while at least
    /// two sources are active (a lone source is nobody's competitor): counted `rate_readings`.
    public var readingsPerS: Int32
    /// An Observe registration not renewed (RFC 7641 §3.3.1 re-registration) for this long ends.
    public var observeLeaseS: Int32
    /// A GET (CON or NON) from an unauthenticated source is answered with at most this many times the
    /// request's size (RFC 7252 §11.3), in smaller Block2 blocks when needed; 0: no limit.
    public var amplificationFactor: Int32

    public init(requestsPerS: Int32 = 200, readingsPerS: Int32 = 1_000, observeLeaseS: Int32 = 600, amplificationFactor: Int32 = 4) {
        precondition(requestsPerS > 0 && readingsPerS > 0 && observeLeaseS > 0 && amplificationFactor >= 0, "fairness settings out of range")
        precondition(requestsPerS <= 1_000_000 && readingsPerS <= 1_000_000, "a bucket of two seconds must fit 32 bits in thousandths")
        self.requestsPerS = requestsPerS
        self.readingsPerS = readingsPerS
        self.observeLeaseS = observeLeaseS
        self.amplificationFactor = amplificationFactor
    }
}
