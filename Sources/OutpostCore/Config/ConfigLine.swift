/// One `key = value` line of a configuration file, as `ConfigParser` found it.
public struct ConfigLine {
    /// 1-based line number in the file.
    public let line: Int
    public let key: ConfigKey
    /// The value: a bare word without its trailing blanks and comment, or the inside of a quoted
    /// string. Points into the parsed text (valid while it is).
    public let value: UnsafeRawBufferPointer
    /// Offset of `value` in the parsed text (for error messages).
    public let valueOffset: Int

    public init(line: Int, key: ConfigKey, value: UnsafeRawBufferPointer, valueOffset: Int) {
        self.line = line
        self.key = key
        self.value = value
        self.valueOffset = valueOffset
    }
}
