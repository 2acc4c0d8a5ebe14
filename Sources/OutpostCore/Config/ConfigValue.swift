/// Value syntax shared by the daemon's flags and its configuration file (docs/CONFIG.md §3):
/// both go through the same setters, so a value means the same wherever it is written.
public enum ConfigValue {
    /// True when `text` equals `literal` byte for byte.
    public static func matches(_ text: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        if text.count != literal.utf8CodeUnitCount { return false }
        for i in 0..<text.count where text[i] != literal.utf8Start[i] { return false }
        return true
    }

    /// True when `a` and `b` hold the same bytes.
    /// True when `text` starts with `literal`.
    public static func hasPrefix(_ text: UnsafeRawBufferPointer, _ literal: StaticString) -> Bool {
        if text.count < literal.utf8CodeUnitCount { return false }
        for i in 0..<literal.utf8CodeUnitCount where text[i] != literal.utf8Start[i] { return false }
        return true
    }

    public static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        if a.count != b.count { return false }
        for i in 0..<a.count where a[i] != b[i] { return false }
        return true
    }

    /// True when `a` and `b` have the same bytes in memory (plain values without padding whose
    /// unused bytes are zero: addresses, paths, names).
    public static func bitwiseEqual<T: BitwiseCopyable>(_ a: T, _ b: T) -> Bool {
        var left = a
        var right = b
        return withUnsafeBytes(of: &left) { l in withUnsafeBytes(of: &right) { r in equal(l, r) } }
    }

    /// A decimal count with an optional `K` (×1024) or `M` (×1024²) suffix (either case), or nil
    /// for anything else (empty, a sign, other letters, more than 12 digits).
    /// - Complexity: O(value bytes), at most 13.
    public static func size(_ text: UnsafeRawBufferPointer) -> Int64? {
        var digits = text.count
        var scale: Int64 = 1
        if digits > 0 {
            let last = text[digits - 1]
            if last == 0x4B || last == 0x6B {
                scale = 1024
                digits -= 1
            } else if last == 0x4D || last == 0x6D {
                scale = 1024 * 1024
                digits -= 1
            }
        }
        // 12 digits times 2^20 stays far below Int64.max.
        if digits == 0 || digits > 12 { return nil }
        var number: Int64 = 0
        for i in 0..<digits {
            let byte = text[i]
            if byte < 0x30 || byte > 0x39 { return nil }
            number = number * 10 + (byte &- 0x30).wide
        }
        return number * scale
    }

    /// A plain decimal count (no suffix), or nil.
    public static func count(_ text: UnsafeRawBufferPointer) -> Int64? {
        if text.count == 0 { return nil }
        let last = text[text.count - 1]
        if last < 0x30 || last > 0x39 { return nil }
        return size(text)
    }
}
