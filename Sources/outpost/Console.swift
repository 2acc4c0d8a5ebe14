import CHAL
import OutpostCore

/// Buffered text output to a file descriptor (standard output or error), flushed when nearly full
/// and at exit. The buffer is carved from the arena at start-up.
///
/// On standard error it is also the daemon's message log: `begin(_:)` starts a line of a level
/// (dropped below `level`), and when standard error is the journal (`detectJournal`) every line
/// starts with its syslog priority as `<N>`, so journald keeps the levels.
struct Console {
    var writer: TextWriter
    let fd: Int32
    /// The first write error (negative errno), or 0.
    private(set) var error: Int64 = 0
    /// The least severe level `begin` lets through (`--log-level`).
    var level = LogLevel.info
    /// True when the descriptor is the journal's stream: lines carry `<N>` priority prefixes.
    var journal = false

    init(fd: Int32, buffer: UnsafeMutableRawBufferPointer) {
        self.fd = fd
        writer = TextWriter(buffer: buffer)
    }

    /// Writes the buffered text out.
    mutating func flush() {
        let bytes = writer.bytes
        if bytes.count > 0, error == 0 {
            let result = chal_write_all(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count.wide)
            if result < 0 { error = result }
        }
        writer.reset()
    }

    /// Flushes when fewer than `bytes` are free, so the next record of up to that size fits.
    mutating func reserve(_ bytes: Int) {
        if writer.freeBytes < bytes { flush() }
    }

    /// Writes a whole line of static text.
    mutating func line(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount + 1)
        writer.text(text)
        writer.byte(0x0A)
    }

    /// Starts a message line of `level` with room for `bytes`: false (nothing written) when the
    /// level is below `level`; else the priority prefix under the journal.
    mutating func begin(_ level: LogLevel, reserving bytes: Int = 512) -> Bool {
        if !self.level.admits(level) { return false }
        reserve(bytes)
        prefix(level)
        return true
    }

    /// Starts a line of `level` that is written whatever `level` is set to (the start and stop
    /// lines, a refused configuration): room for `bytes`, and the priority prefix under the journal.
    mutating func always(_ level: LogLevel, reserving bytes: Int = 512) {
        reserve(bytes)
        prefix(level)
    }

    /// The `<N>` priority prefix of a line of `level`, under the journal only. For the lines that
    /// are always written (start, listening, ready, stop): their text stays as it was.
    mutating func prefix(_ level: LogLevel) {
        if !journal { return }
        reserve(4)
        writer.byte(0x3C)
        writer.byte(0x30 &+ level.rawValue)
        writer.byte(0x3E)
    }

    /// Sets `journal` when `JOURNAL_STREAM` names this descriptor's device and inode (systemd's
    /// convention for a service whose output goes to the journal; a redirected descriptor that
    /// inherited the variable does not match).
    mutating func detectJournal() {
        let name: StaticString = "JOURNAL_STREAM"
        guard let value = chal_env(name.utf8Start) else { return }
        var length = 0
        // Bounded: the value is `DEVICE:INODE`, at most 41 bytes; stop looking at 64.
        while length < 64 && value[length] != 0 { length += 1 }
        var device: UInt64 = 0
        var inode: UInt64 = 0
        if chal_fd_identity(fd, &device, &inode) != 0 { return }
        journal = JournalStream.matches(UnsafeRawBufferPointer(start: value, count: length), device: device, inode: inode)
    }
}
