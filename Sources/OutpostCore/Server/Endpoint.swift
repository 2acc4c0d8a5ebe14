/// A peer of the server: a UDP address (IPv4 or IPv6, with port) or a serial line.
///
/// Plain bytes, so the duplicate table, the Block1 slots and the observer table can keep one
/// inline and compare it without the heap. The daemon fills it from `recvmmsg`'s peer addresses.
public struct Endpoint: BitwiseCopyable, Sendable, Equatable {
    /// Kind of a serial line endpoint (`scopeOrLine` is the line index).
    public static let kindSerial: UInt8 = 1
    /// Kind of an IPv4 endpoint (address in bytes 0..<4).
    public static let kindIPv4: UInt8 = 4
    /// Kind of an IPv6 endpoint (address in bytes 0..<16, `scopeOrLine` is the scope id).
    public static let kindIPv6: UInt8 = 6

    /// Set in `scopeOrLine` of a UDP endpoint whose traffic an attachment carries (a DTLS
    /// session's peer: the low bits name the session). Such a peer is kept apart from the same
    /// address in plaintext, and what the server sends it leaves through the attachment, never
    /// the datagram transport. (IPv6 scope ids are interface indexes: the bit is never theirs.)
    public static var attachedMark: UInt32 { 0x8000_0000 }

    /// True for a peer an attachment owns: a serial line or an `attachedMark` endpoint.
    public var isAttached: Bool { kind == Endpoint.kindSerial || scopeOrLine & Endpoint.attachedMark != 0 }

    /// `kindIPv4`, `kindIPv6` or `kindSerial`.
    public var kind: UInt8
    /// UDP port in host byte order (0 for serial lines).
    public var port: UInt16
    /// Address bytes in network order; unused bytes are 0.
    public var address: InlineArray<16, UInt8>
    /// IPv6 scope id, or the serial line index.
    public var scopeOrLine: UInt32

    /// An endpoint from its parts (unused address bytes must be 0 for equality to be meaningful).
    public init(kind: UInt8, port: UInt16, address: InlineArray<16, UInt8>, scopeOrLine: UInt32) {
        precondition(kind == Endpoint.kindIPv4 || kind == Endpoint.kindIPv6 || kind == Endpoint.kindSerial, "unknown endpoint kind")
        self.kind = kind
        self.port = port
        self.address = address
        self.scopeOrLine = scopeOrLine
    }

    /// The IPv4 endpoint `a.b.c.d:port`.
    public static func ipv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) -> Endpoint {
        var address = InlineArray<16, UInt8>(repeating: 0)
        address[0] = a
        address[1] = b
        address[2] = c
        address[3] = d
        return Endpoint(kind: kindIPv4, port: port, address: address, scopeOrLine: 0)
    }

    /// The endpoint of serial line `line`.
    public static func serial(line: UInt32) -> Endpoint {
        Endpoint(kind: kindSerial, port: 0, address: InlineArray(repeating: 0), scopeOrLine: line)
    }

    /// A placeholder for unused table entries (never equal to a real peer's endpoint in practice).
    public static var none: Endpoint {
        Endpoint(kind: kindSerial, port: 0xFFFF, address: InlineArray(repeating: 0), scopeOrLine: 0xFFFF_FFFF)
    }

    /// A hash of kind, port, address and scope/line: stable across runs and platforms.
    public var hash32: UInt32 {
        // A word at a time: the duplicate table hashes the peer of every datagram.
        var hash = Endpoint.mix(2_166_136_261, UInt32(kind) &<< 16 | UInt32(port))
        withUnsafeBytes(of: address) { bytes in
            for i in 0..<4 { hash = Endpoint.mix(hash, bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
        }
        return Endpoint.mix(hash, scopeOrLine)
    }

    /// One multiply-xorshift round: every input bit reaches the high bits the tables index with.
    @inline(__always)
    static func mix(_ hash: UInt32, _ word: UInt32) -> UInt32 {
        let product = (hash ^ word) &* 0x9E37_79B1
        return product ^ (product &>> 15)
    }

    public static func == (a: Endpoint, b: Endpoint) -> Bool {
        if a.kind != b.kind || a.port != b.port || a.scopeOrLine != b.scopeOrLine { return false }
        for i in 0..<16 where a.address[i] != b.address[i] { return false }
        return true
    }
}
