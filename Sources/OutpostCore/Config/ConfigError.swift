/// A refused configuration file: where (line), what (the key, the offending text) and why.
/// `write` formats it as `FILE:LINE: …`, the form the CSV errors use (docs/CONFIG.md §4).
public struct ConfigError: Error {
    /// 1-based line; 0 for the file as a whole (too large, unreadable).
    public let line: Int
    public let reason: StaticString
    /// The key whose value was refused, or nil for a syntax error.
    public let key: ConfigKey?
    /// Section index the line is in (-1: none yet or not known), for "unknown key" messages.
    public let section: Int
    /// The offending text (an unknown key or section, a bad value) as offset and length in the
    /// parsed text; length 0 when there is none.
    public let subjectOffset: Int
    public let subjectCount: Int
    /// For a key set twice: the line that set it first (0 otherwise).
    public let firstLine: Int

    public init(line: Int, reason: StaticString, key: ConfigKey? = nil, section: Int = -1, subjectOffset: Int = 0, subjectCount: Int = 0, firstLine: Int = 0) {
        self.line = line
        self.reason = reason
        self.key = key
        self.section = key.map { $0.section } ?? section
        self.subjectOffset = subjectOffset
        self.subjectCount = subjectCount
        self.firstLine = firstLine
    }

    /// A refused value of `line` (the setters' reasons: what the key wants).
    public init(value line: ConfigLine, reason: StaticString) {
        self.init(line: line.line, reason: reason, key: line.key, subjectOffset: line.valueOffset, subjectCount: line.value.count)
    }

    /// Longest piece of offending text quoted in a message.
    public static let quotedBytesMax = 80

    /// `PATH:LINE: [section] key 'value': reason`, `PATH:LINE: reason 'text' (hint)`, or
    /// `PATH: reason` for the whole file; `text` is the parsed file (for the quoted subject).
    public func write(path: UnsafeRawBufferPointer, text: UnsafeRawBufferPointer, into writer: inout TextWriter) {
        writer.raw(UnsafeRawBufferPointer(rebasing: path.prefix(200)))
        writer.byte(0x3A)
        if line > 0 {
            writer.integer(line.wide)
            writer.byte(0x3A)
        }
        writer.byte(0x20)
        let subject: UnsafeRawBufferPointer? =
            subjectCount > 0 && subjectOffset >= 0 && subjectOffset + subjectCount <= text.count
            ? UnsafeRawBufferPointer(rebasing: text[subjectOffset..<(subjectOffset + min(subjectCount, ConfigError.quotedBytesMax))])
            : nil
        if let key {
            writer.byte(0x5B)
            writer.text(ConfigKey.sectionName(key.section))
            writer.text("] ")
            writer.text(key.name)
            if let subject {
                writer.text(" '")
                writer.jsonEscaped(subject)
                writer.byte(0x27)
            }
            writer.text(": ")
            writer.text(reason)
        } else {
            writer.text(reason)
            if let subject {
                writer.text(" '")
                writer.jsonEscaped(subject)
                writer.byte(0x27)
            }
            if section >= 0 {
                writer.text(" in [")
                writer.text(ConfigKey.sectionName(section))
                writer.text("] (its keys: ")
                writer.text(ConfigKey.sectionKeys(section))
                writer.byte(0x29)
            }
        }
        if firstLine > 0 {
            writer.text(" (first set on line ")
            writer.integer(firstLine.wide)
            writer.byte(0x29)
        }
    }
}
