import CHAL
import OutpostCore

// The `,…` options of `--listen HOST:PORT[,open|,read-only][,allow=CIDR]…` (docs/CONFIG.md).

extension DaemonFlags {
    /// Parses the options after a listener's address (empty, or starting with a comma); nil when
    /// one is unknown or malformed, or the allow-list is longer than `ListenerAccess.allowMax`.
    /// - Complexity: O(text bytes).
    static func parseAccess(_ text: UnsafeRawBufferPointer) -> ListenerAccess? {
        var rules = ListenerAccess.open
        var start = 0
        // Bounded by the text: every pass moves `start` past one comma-separated option.
        while start < text.count {
            if text[start] != 0x2C { return nil }
            var end = start + 1
            while end < text.count && text[end] != 0x2C { end += 1 }
            let option = UnsafeRawBufferPointer(rebasing: text[(start + 1)..<end])
            if ConfigValue.matches(option, "open") {
                rules.readOnly = false
            } else if ConfigValue.matches(option, "read-only") {
                rules.readOnly = true
            } else if option.count > 6 && ConfigValue.matches(UnsafeRawBufferPointer(rebasing: option[0..<6]), "allow=") {
                guard let prefix = parsePrefix(UnsafeRawBufferPointer(rebasing: option[6..<option.count])), rules.allow(prefix) else { return nil }
            } else {
                return nil
            }
            start = end
        }
        return rules
    }

    /// Parses `a.b.c.d/N`, `IPv6/N` or `[IPv6]/N` (without `/N`: the one address) through CHAL's
    /// address parser.
    static func parsePrefix(_ text: UnsafeRawBufferPointer) -> SourcePrefix? {
        if text.count == 0 || text.count > 60 { return nil }
        var slash = 0
        while slash < text.count && text[slash] != 0x2F { slash += 1 }
        var bits = -1
        if slash < text.count {
            let digits = UnsafeRawBufferPointer(rebasing: text[(slash + 1)..<text.count])
            guard digits.count > 0 && digits.count <= 3, let n = ConfigValue.count(digits) else { return nil }
            bits = Int(truncatingIfNeeded: n)
        }
        var host = UnsafeRawBufferPointer(rebasing: text[0..<slash])
        if host.count >= 2 && host[0] == 0x5B && host[host.count - 1] == 0x5D {
            host = UnsafeRawBufferPointer(rebasing: host[1..<(host.count - 1)])
        }
        if host.count == 0 { return nil }
        var ipv6 = false
        for b in host where b == 0x3A { ipv6 = true }
        var address = chal_address()
        let parsed = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 72) { buffer -> Bool in
            var n = 0
            if ipv6 { buffer[n] = 0x5B; n += 1 }
            for b in host { buffer[n] = b; n += 1 }
            if ipv6 { buffer[n] = 0x5D; n += 1 }
            buffer[n] = 0x3A
            buffer[n + 1] = 0x30
            return chal_address_parse(buffer.baseAddress!, (n + 2).wide, &address) == 0
        }
        if !parsed { return nil }
        let endpoint = Endpoints.endpoint(address)
        let most = endpoint.kind == Endpoint.kindIPv6 ? 128 : 32
        return SourcePrefix(kind: endpoint.kind, bits: bits < 0 ? most : bits, address: endpoint.address)
    }

    /// True when `address` is a loopback address (127.0.0.0/8 or ::1): a plain listener there is
    /// reachable from this host only.
    static func isLoopback(_ address: chal_address) -> Bool {
        let endpoint = Endpoints.endpoint(address)
        if endpoint.kind == Endpoint.kindIPv4 { return endpoint.address[0] == 127 }
        for i in 0..<15 where endpoint.address[i] != 0 { return false }
        return endpoint.address[15] == 1
    }
}
