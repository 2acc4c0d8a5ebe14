/// Reads a configuration file (docs/CONFIG.md) line by line over the bytes the caller read it
/// into, without allocating: each `next()` returns the next `key = value` line with its key looked
/// up, or throws a `ConfigError` naming the line and why. Values are not checked here (the
/// daemon's setters do that, the same ones its flags use); everything else is:
///
/// - `[section]` names one of `ConfigKey`'s sections; a key outside any section is refused;
/// - `key = value` names a key of the current section; a key other than `listen` and `port` may
///   appear once per file;
/// - values are bare words (up to a `#` or the end of the line, trailing blanks dropped) or
///   `"quoted strings"` (no escapes: everything up to the next `"`); a value may not be empty;
/// - `#` starts a comment (at the start of a line, or after a value or section);
/// - lines end with `\n` (a `\r` before it is dropped); control bytes other than tab are refused;
/// - at most `maxFileBytes` bytes, `maxLines` lines and `maxLineBytes` bytes per line.
public struct ConfigParser {
    /// The largest file the daemon reads (its buffers have this size).
    public static let maxFileBytes = 8_192
    /// The longest line, without its line end.
    public static let maxLineBytes = 256
    /// The most lines.
    public static let maxLines = 512

    public let text: UnsafeRawBufferPointer
    var position = 0
    /// Number of the line last read (1-based; 0 before the first).
    public private(set) var lineNumber = 0
    /// Index of the current section (-1 before the first `[section]`).
    public private(set) var section = -1
    /// The line that first set each key (0: not set yet), to refuse a second setting.
    var firstLines = InlineArray<48, Int32>(repeating: 0)

    /// A parser over `text`; refuses a text larger than `maxFileBytes` (line 0).
    public init(_ text: UnsafeRawBufferPointer) throws(ConfigError) {
        precondition(ConfigKey.count <= 48, "firstLines holds every key")
        if text.count > ConfigParser.maxFileBytes {
            throw ConfigError(line: 0, reason: "larger than 8192 bytes (the most the daemon reads)")
        }
        self.text = text
    }

    /// The next `key = value` line, or nil at the end of the text.
    /// - Complexity: O(bytes up to the end of that line); at most `maxLines` lines in all.
    public mutating func next() throws(ConfigError) -> ConfigLine? {
        // Bounded by maxLines: every pass consumes one line or throws.
        while position < text.count {
            lineNumber += 1
            if lineNumber > ConfigParser.maxLines {
                throw ConfigError(line: lineNumber, reason: "more than 512 lines (the most a configuration file may have)")
            }
            let start = position
            var end = start
            while end < text.count && text[end] != 0x0A { end += 1 }
            position = end < text.count ? end + 1 : end
            if end > start && text[end - 1] == 0x0D { end -= 1 }
            if end - start > ConfigParser.maxLineBytes {
                throw ConfigError(line: lineNumber, reason: "line longer than 256 bytes")
            }
            if let line = try parseLine(start, end) { return line }
        }
        return nil
    }

    static func isBlank(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 }

    /// Parses the bytes `start..<end` of one line: nil for a blank line, a comment or a section.
    mutating func parseLine(_ lineStart: Int, _ lineEnd: Int) throws(ConfigError) -> ConfigLine? {
        for i in lineStart..<lineEnd where text[i] < 0x20 && text[i] != 0x09 || text[i] == 0x7F {
            throw ConfigError(line: lineNumber, reason: "control byte in the line (only printable text and tabs)")
        }
        var start = lineStart
        var end = lineEnd
        while start < end && ConfigParser.isBlank(text[start]) { start += 1 }
        while end > start && ConfigParser.isBlank(text[end - 1]) { end -= 1 }
        if start == end || text[start] == 0x23 { return nil }
        if text[start] == 0x5B {
            try parseSection(start, end)
            return nil
        }
        // key = value
        var keyEnd = start
        while keyEnd < end && ConfigParser.isKeyByte(text[keyEnd]) { keyEnd += 1 }
        var equals = keyEnd
        while equals < end && ConfigParser.isBlank(text[equals]) { equals += 1 }
        if keyEnd == start || equals == end || text[equals] != 0x3D {
            throw ConfigError(line: lineNumber, reason: "expected 'key = value', '[section]' or a '#' comment")
        }
        let keyText = UnsafeRawBufferPointer(rebasing: text[start..<keyEnd])
        if section < 0 {
            throw ConfigError(line: lineNumber, reason: "key before any [section]:", subjectOffset: start, subjectCount: keyEnd - start)
        }
        guard let key = ConfigKey(section: section, name: keyText) else {
            throw ConfigError(line: lineNumber, reason: "unknown key", section: section, subjectOffset: start, subjectCount: keyEnd - start)
        }
        var valueStart = equals + 1
        while valueStart < end && ConfigParser.isBlank(text[valueStart]) { valueStart += 1 }
        var valueEnd: Int
        if valueStart < end && text[valueStart] == 0x22 {
            valueStart += 1
            valueEnd = valueStart
            while valueEnd < end && text[valueEnd] != 0x22 { valueEnd += 1 }
            if valueEnd == end {
                throw ConfigError(line: lineNumber, reason: "unterminated quoted value (no closing '\"')", key: key)
            }
            try expectEndOrComment(valueEnd + 1, end, "text after the quoted value (only a '#' comment may follow)", key: key)
        } else {
            valueEnd = valueStart
            while valueEnd < end && text[valueEnd] != 0x23 { valueEnd += 1 }
            while valueEnd > valueStart && ConfigParser.isBlank(text[valueEnd - 1]) { valueEnd -= 1 }
        }
        if valueEnd == valueStart {
            throw ConfigError(line: lineNumber, reason: "no value (write a value after '='; quote it when it has '#' or blanks)", key: key)
        }
        let slot = Int(key.rawValue)
        if !key.repeatable && firstLines[slot] != 0 {
            throw ConfigError(line: lineNumber, reason: "set twice (it takes one value)", key: key, firstLine: Int(firstLines[slot]))
        }
        if firstLines[slot] == 0 { firstLines[slot] = Int32(truncatingIfNeeded: lineNumber) }
        return ConfigLine(
            line: lineNumber, key: key, value: UnsafeRawBufferPointer(rebasing: text[valueStart..<valueEnd]), valueOffset: valueStart)
    }

    /// `[name]` with optional blanks inside the brackets and an optional comment after.
    mutating func parseSection(_ start: Int, _ end: Int) throws(ConfigError) {
        var close = start + 1
        while close < end && text[close] != 0x5D { close += 1 }
        if close == end { throw ConfigError(line: lineNumber, reason: "section without its closing ']'") }
        try expectEndOrComment(close + 1, end, "text after the section (only a '#' comment may follow)", key: nil)
        var nameStart = start + 1
        var nameEnd = close
        while nameStart < nameEnd && ConfigParser.isBlank(text[nameStart]) { nameStart += 1 }
        while nameEnd > nameStart && ConfigParser.isBlank(text[nameEnd - 1]) { nameEnd -= 1 }
        guard let index = ConfigKey.section(named: UnsafeRawBufferPointer(rebasing: text[nameStart..<nameEnd])) else {
            throw ConfigError(
                line: lineNumber, reason: "unknown section (sections: daemon, coap, serial, log, uplink, http, mqtt, sensors, thresholds):", subjectOffset: start,
                subjectCount: close + 1 - start)
        }
        section = index
    }

    /// Throws unless `from..<end` is blanks, optionally followed by a comment.
    func expectEndOrComment(_ from: Int, _ end: Int, _ reason: StaticString, key: ConfigKey?) throws(ConfigError) {
        var i = from
        while i < end && ConfigParser.isBlank(text[i]) { i += 1 }
        if i < end && text[i] != 0x23 {
            throw ConfigError(line: lineNumber, reason: reason, key: key, subjectOffset: i, subjectCount: end - i)
        }
    }

    /// Key names are lower-case letters, digits and `_`.
    static func isKeyByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
    }
}
