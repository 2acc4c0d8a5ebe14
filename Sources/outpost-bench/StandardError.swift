import CHAL

/// Standard error as a `TextOutputStream`, through CHAL (no Foundation in the bench).
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var text = string
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            _ = chal_write_all(2, base, Int64(bytes.count))
        }
    }
}
