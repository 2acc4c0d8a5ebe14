/// The sensors a request may write readings for: every sensor (plain CoAP, serial lines), or the
/// patterns of the DTLS identity that sent it (docs/SECURITY.md, key file).
///
/// The patterns are the key table's bytes, comma-separated: a sensor name, or a prefix ending in
/// `*`. They are borrowed, not copied: the table outlives every request it scopes.
public struct WriteScope: BitwiseCopyable {
    /// Comma-separated patterns; nil means unrestricted.
    let patterns: UnsafeRawBufferPointer?

    /// Every sensor may be written.
    public static var unrestricted: WriteScope { WriteScope(patterns: nil) }

    /// Only sensors matching one of `patterns` (`name`, `prefix*`, comma-separated; empty matches nothing).
    public init(patterns: UnsafeRawBufferPointer?) {
        self.patterns = patterns
    }

    /// True when readings for `name` may be written.
    /// - Complexity: O(pattern bytes).
    public func permits(_ name: SensorName) -> Bool {
        guard let patterns else { return true }
        var start = 0
        // Bounded by the pattern bytes: every pass moves `start` past one pattern.
        while start < patterns.count {
            var end = start
            while end < patterns.count && patterns[end] != 0x2C { end += 1 }
            if WriteScope.matches(UnsafeRawBufferPointer(rebasing: patterns[start..<end]), name) { return true }
            start = end + 1
        }
        return false
    }

    /// One pattern against a name: exact, or a prefix when the pattern ends with `*`.
    static func matches(_ pattern: UnsafeRawBufferPointer, _ name: SensorName) -> Bool {
        let count = Int(name.count)
        if pattern.count > 0 && pattern[pattern.count - 1] == 0x2A {
            let prefix = pattern.count - 1
            if prefix > count { return false }
            for i in 0..<prefix where pattern[i] != name[i] { return false }
            return true
        }
        if pattern.count != count { return false }
        for i in 0..<count where pattern[i] != name[i] { return false }
        return true
    }
}
