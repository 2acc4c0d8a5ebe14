/// How much the daemon says on standard error (`--log-level`, `[daemon] log_level`): a line is
/// written when its level is at or above the chosen one. The raw values are the syslog priorities
/// (RFC 5424 §6.2.1) that prefix each line as `<N>` when standard error is the journal.
public enum LogLevel: UInt8, BitwiseCopyable, Sendable, Comparable {
    /// The daemon cannot go on as asked (a failed device, a refused start).
    case error = 3
    /// Something is lost or refused (uplink down, log full, sensor table full, a bad reload).
    case warning = 4
    /// Normal but significant: start, stop, a reload applied, the uplink back up.
    case notice = 5
    /// Routine state changes (the default level).
    case info = 6
    /// Everything, for finding out why.
    case debug = 7

    /// True when a line of `level` is written at this setting.
    @inline(__always)
    public func admits(_ level: LogLevel) -> Bool { level.rawValue <= rawValue }

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The level named by `text` (`error`, `warning`, `notice`, `info`, `debug`), or nil.
    public init?(name text: UnsafeRawBufferPointer) {
        if ConfigValue.matches(text, "error") { self = .error; return }
        if ConfigValue.matches(text, "warning") { self = .warning; return }
        if ConfigValue.matches(text, "notice") { self = .notice; return }
        if ConfigValue.matches(text, "info") { self = .info; return }
        if ConfigValue.matches(text, "debug") { self = .debug; return }
        return nil
    }

    /// Lower-case name (flags, the configuration file, messages).
    public var name: StaticString {
        switch self {
        case .error: return "error"
        case .warning: return "warning"
        case .notice: return "notice"
        case .info: return "info"
        case .debug: return "debug"
        }
    }
}
