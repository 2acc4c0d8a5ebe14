/// What `/health` and `/metrics` show of the daemon's serial lines, which live outside the server:
/// totals over every line, refreshed by the daemon (plain integers, no allocation).
public struct ServerSerialStatus: BitwiseCopyable, Sendable {
    /// Serial lines configured (0: `/health` has no `serial` member) and open now.
    public var lines: Int = 0
    public var open: Int = 0
    /// SLIP frames dropped for an ESC followed by anything but ESC_END or ESC_ESC (RFC 1055).
    public var badEscapes: UInt64 = 0
    /// SLIP frames dropped for being longer than the frame buffer.
    public var oversizeFrames: UInt64 = 0
    /// Text lines dropped for being longer than the line buffer.
    public var linesTooLong: UInt64 = 0
    /// Devices lost (read or write error, hang-up) and reopened with backoff.
    public var losses: UInt64 = 0
    /// Failed reopen attempts.
    public var openFailures: UInt64 = 0
    /// Responses not queued because the line's output buffer was full.
    public var outputDropped: UInt64 = 0

    public init() {}
}
