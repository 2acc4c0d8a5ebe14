/// One entry of a listener's allow-list: an IPv4 or IPv6 prefix (CIDR, RFC 4632 / RFC 4291
/// §2.3), e.g. `192.168.1.0/24` or `fd00::/8`.
public struct SourcePrefix: BitwiseCopyable, Sendable {
    /// `Endpoint.kindIPv4` or `Endpoint.kindIPv6`.
    public var kind: UInt8
    /// Leading bits that must match (0...32 for IPv4, 0...128 for IPv6).
    public var bits: UInt8
    /// The prefix's address bytes in network order (unused bytes 0).
    public var address: InlineArray<16, UInt8>

    /// The prefix of `bits` bits of `address` (of `kind`); nil when `bits` is too long for the kind.
    public init?(kind: UInt8, bits: Int, address: InlineArray<16, UInt8>) {
        let most = kind == Endpoint.kindIPv4 ? 32 : 128
        if (kind != Endpoint.kindIPv4 && kind != Endpoint.kindIPv6) || bits < 0 || bits > most { return nil }
        self.kind = kind
        self.bits = UInt8(truncatingIfNeeded: bits)
        self.address = address
    }

    /// True when `peer`'s address starts with this prefix (a serial line never does).
    /// - Complexity: O(bits / 8).
    public func contains(_ peer: Endpoint) -> Bool {
        if peer.kind != kind { return false }
        let whole = Int(bits) / 8
        for i in 0..<whole where peer.address[i] != address[i] { return false }
        let rest = Int(bits) % 8
        if rest == 0 { return true }
        let mask = UInt8(truncatingIfNeeded: 0xFF00 &>> rest)
        return peer.address[whole] & mask == address[whole] & mask
    }
}
