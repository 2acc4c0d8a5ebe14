import OutpostCore

/// What the event loop does between ticks besides serving (`EventLoop+Supervision.swift`): a
/// reload of the configuration file when SIGHUP arrived, and a line on standard error at each
/// state change, rate-limited per kind of change. Inert until `Daemon` fills it in.
struct DaemonSupervision {
    /// Lines per kind of state change and minute; the rest are counted in one "suppressed" line.
    static let linesPerMinute: Int32 = 5

    /// The options' sources (nil: reloads have nothing to read) and the options in force.
    var config: DaemonConfig? = nil
    var running = DaemonFlags()
    /// Set by SIGHUP; the reload runs after the tick that saw it.
    var reloadRequested = false
    var limiter = EventRateLimiter<6>(perWindow: DaemonSupervision.linesPerMinute, windowMs: 60_000)
    /// False until the states were first recorded (start-up states are reported by the start lines).
    var primed = false
    var uplinkUp = true
    /// `LogCondition` raw value last seen.
    var logCondition = LogCondition.none
    var refusing = false
    var sensorTableRefused: UInt64 = 0
    var droppedReadings: UInt64 = 0
    /// Reloads done, and refused (bad or unreadable file).
    var reloads: UInt64 = 0
    var reloadsRefused: UInt64 = 0

    init() {}

    /// The log's state as the lines name it.
    enum LogCondition: UInt8 {
        case none, unavailable, ready, full, noSpace, failed, readOnly
    }
}
