import CHAL
import OutpostCore

/// Conversions between CHAL's socket addresses and the server's `Endpoint`.
enum Endpoints {
    /// The endpoint of a UDP peer.
    static func endpoint(_ address: chal_address) -> Endpoint {
        var bytes = InlineArray<16, UInt8>(repeating: 0)
        withUnsafeBytes(of: address.bytes) { raw in
            for i in 0..<16 { bytes[i] = raw[i] }
        }
        let kind = Int(address.family) == Int(CHAL_FAMILY_IPV6) ? Endpoint.kindIPv6 : Endpoint.kindIPv4
        if kind == Endpoint.kindIPv4 {
            for i in 4..<16 { bytes[i] = 0 }
        }
        return Endpoint(kind: kind, port: address.port, address: bytes, scopeOrLine: kind == Endpoint.kindIPv6 ? address.scope_id : 0)
    }

    /// The socket address of a UDP endpoint (not for serial endpoints).
    static func address(_ endpoint: Endpoint) -> chal_address {
        precondition(endpoint.kind != Endpoint.kindSerial, "a serial line has no socket address")
        var address = chal_address()
        address.family = endpoint.kind == Endpoint.kindIPv6
            ? UInt8(truncatingIfNeeded: CHAL_FAMILY_IPV6) : UInt8(truncatingIfNeeded: CHAL_FAMILY_IPV4)
        address.port = endpoint.port
        address.scope_id = endpoint.kind == Endpoint.kindIPv6 ? endpoint.scopeOrLine : 0
        withUnsafeMutableBytes(of: &address.bytes) { raw in
            for i in 0..<16 { raw[i] = endpoint.address[i] }
        }
        return address
    }

    /// Marks an endpoint as a DTLS session's peer: `scopeOrLine` holds this bit and the session
    /// slot, so the server's tables keep DTLS peers apart from plain ones and a notification for
    /// one is routed to its session, never sent in plaintext.
    /// (The core's `Endpoint.attachedMark`: the gateway routes such peers to the attachment.)
    static var dtlsMark: UInt32 { Endpoint.attachedMark }

    /// The endpoint of DTLS session `session` whose peer is `address`.
    static func dtlsEndpoint(_ address: chal_address, session: Int32) -> Endpoint {
        var endpoint = endpoint(address)
        endpoint.scopeOrLine = dtlsMark | UInt32(truncatingIfNeeded: session)
        return endpoint
    }

    /// The session slot of a DTLS endpoint, or nil for any other endpoint.
    static func dtlsSession(_ endpoint: Endpoint) -> Int32? {
        if endpoint.kind == Endpoint.kindSerial || endpoint.scopeOrLine & dtlsMark == 0 { return nil }
        return Int32(truncatingIfNeeded: endpoint.scopeOrLine & 0xFFFF)
    }
}
