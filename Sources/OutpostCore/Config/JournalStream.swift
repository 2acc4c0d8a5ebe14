/// `JOURNAL_STREAM`: systemd sets it to `DEVICE:INODE` (decimal) of the stream it connected to the
/// service's standard output and error. Standard error is the journal only when the variable is
/// set *and* names the descriptor's own device and inode: a child whose stderr was redirected
/// elsewhere inherits the variable but must not write `<N>` priority prefixes into a file.
public enum JournalStream {
    /// True when `text` is `DEVICE:INODE` and equals `device` and `inode`.
    /// - Complexity: O(text bytes), at most 41.
    public static func matches(_ text: UnsafeRawBufferPointer, device: UInt64, inode: UInt64) -> Bool {
        guard let colon = parse(text) else { return false }
        return colon.device == device && colon.inode == inode
    }

    /// The two numbers of `DEVICE:INODE`, or nil when the text is not exactly that.
    public static func parse(_ text: UnsafeRawBufferPointer) -> (device: UInt64, inode: UInt64)? {
        var values: (UInt64, UInt64) = (0, 0)
        var part = 0
        var digits = 0
        if text.count > 41 { return nil }
        for i in 0..<text.count {
            let byte = text[i]
            if byte == 0x3A {
                if part == 1 || digits == 0 { return nil }
                part = 1
                digits = 0
                continue
            }
            if byte < 0x30 || byte > 0x39 { return nil }
            digits += 1
            // 20 digits can overflow UInt64: refuse rather than wrap to another number.
            if digits > 19 { return nil }
            let digit = UInt64(bitPattern: (byte &- 0x30).wide)
            if part == 0 { values.0 = values.0 &* 10 &+ digit } else { values.1 = values.1 &* 10 &+ digit }
        }
        if part != 1 || digits == 0 { return nil }
        return (values.0, values.1)
    }
}
