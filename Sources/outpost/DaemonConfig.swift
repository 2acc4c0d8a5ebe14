import CHAL
import OutpostCore

/// Where the daemon's options come from: its flags (from `firstFlag` on) and, with `--config`,
/// a configuration file (docs/CONFIG.md), read into buffers carved at start-up: the first read
/// stays for the life of the process (options such as `data_dir` point into it), the second is
/// re-used by every reload.
struct DaemonConfig {
    let firstFlag: Int
    /// Argument index of `--config`'s value (0: no file).
    private(set) var configIndex = 0
    /// Size of each carved buffer.
    static var bufferBytes: Int { ConfigParser.maxFileBytes + 16 }
    /// The reload buffer (`bufferBytes`; empty without a file).
    private(set) var scratch = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// The daemon must exit with `status` (the message is written).
    struct Exit: Error { let status: Int32 }

    init(firstFlag: Int) {
        self.firstFlag = firstFlag
    }

    /// True when there is a file to read again.
    var hasFile: Bool { configIndex > 0 }

    /// The file's path as given.
    var path: UnsafeRawBufferPointer { Arguments.bytes(configIndex) ?? UnsafeRawBufferPointer(start: nil, count: 0) }

    /// The options at start-up: flags over the file. A refused flag, an unreadable file or a bad
    /// line is written to `err` and ends the daemon with status 2.
    mutating func load(arena: inout Arena, err: inout Console) throws(Exit) -> DaemonFlags {
        var scan = DaemonFlags()
        do {
            try scan.applyFlags(from: firstFlag)
        } catch {
            DaemonConfig.writeFlagFailure(error, &err)
            throw Exit(status: 2)
        }
        if scan.help { return scan }
        configIndex = scan.configIndex
        var text: UnsafeRawBufferPointer? = nil
        if configIndex > 0 {
            // One byte more than the largest file tells a file that is too large; rounded up to 16
            // bytes so what is carved after stays aligned as the profile's accounting assumes.
            let startup = UnsafeMutableRawBufferPointer(arena.carve(DaemonConfig.bufferBytes, of: UInt8(0)))
            scratch = UnsafeMutableRawBufferPointer(arena.carve(DaemonConfig.bufferBytes, of: UInt8(0)))
            guard let read = readFile(into: startup, level: .error, err: &err) else { throw Exit(status: 2) }
            text = read
        }
        do {
            return try DaemonFlags.load(from: firstFlag, file: text)
        } catch {
            switch error {
            case .flag(let failure): DaemonConfig.writeFlagFailure(failure, &err)
            case .file(let failure): writeFileFailure(failure, text: text!, level: .error, suffix: "\n", &err)
            }
            throw Exit(status: 2)
        }
    }

    /// The options read again for a reload (flags over the file as it is now), or nil when the
    /// file cannot be read or is refused (a warning naming FILE:LINE is written; the running
    /// options stay).
    mutating func reload(err: inout Console) -> DaemonFlags? {
        precondition(hasFile, "reload needs a --config file")
        guard let text = readFile(into: scratch, level: .warning, err: &err) else { return nil }
        do {
            return try DaemonFlags.load(from: firstFlag, file: text)
        } catch {
            switch error {
            case .flag(let failure):
                // The flags were taken at start-up and have not changed: only the file can differ.
                DaemonConfig.writeFlagFailure(failure, &err)
            case .file(let failure):
                writeFileFailure(failure, text: text, level: .warning, suffix: " (reload refused: the running configuration stays)\n", &err)
            }
            return nil
        }
    }

    /// Reads the whole file into `buffer` (at most `maxFileBytes`: one byte more tells a file
    /// that is too large). Nil, with a message, when it cannot be read or is too large.
    /// - Complexity: O(file bytes), one read call per chunk the kernel returns.
    func readFile(into buffer: UnsafeMutableRawBufferPointer, level: LogLevel, err: inout Console) -> UnsafeRawBufferPointer? {
        var failure: Int64 = 0
        var count = 0
        let fd = chal_open(Arguments.cString(configIndex)!, Int32(truncatingIfNeeded: CHAL_OPEN_READ))
        if fd < 0 {
            failure = fd.wide
        } else {
            // Bounded by the buffer: every pass reads at least one byte or stops.
            while count < buffer.count {
                let read = chal_read(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + count, (buffer.count - count).wide)
                if read < 0 {
                    failure = read
                    break
                }
                if read == 0 { break }
                count += Int(truncatingIfNeeded: read)
            }
            _ = chal_close(fd)
        }
        if failure != 0 {
            err.always(level, reserving: 768)
            err.writer.text("outpost: ")
            err.writer.raw(UnsafeRawBufferPointer(rebasing: path.prefix(200)))
            err.writer.text(": cannot read the configuration file: ")
            Errno.describe(failure, &err.writer)
            err.writer.text(level == .error ? "\n" : " (reload refused: the running configuration stays)\n")
            err.flush()
            return nil
        }
        let text = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[0..<count])
        if count > ConfigParser.maxFileBytes {
            // The parser refuses it with the limit in its message.
            do { _ = try ConfigParser(text) } catch {
                writeFileFailure(error, text: text, level: level, suffix: level == .error ? "\n" : " (reload refused: the running configuration stays)\n", &err)
            }
            return nil
        }
        return text
    }

    /// `outpost: FILE:LINE: …` for a refused file.
    func writeFileFailure(_ failure: ConfigError, text: UnsafeRawBufferPointer, level: LogLevel, suffix: StaticString, _ err: inout Console) {
        err.always(level, reserving: 1024)
        err.writer.text("outpost: ")
        failure.write(path: path, text: text, into: &err.writer)
        err.writer.text(suffix)
        err.flush()
    }

    /// `outpost: 'ARG': reason (see outpost --help)` for a refused flag.
    static func writeFlagFailure(_ error: DaemonFlags.Failure, _ err: inout Console) {
        err.always(.error)
        err.writer.text("outpost: ")
        if let argument = Arguments.bytes(error.index) {
            err.writer.byte(0x27)
            err.writer.jsonEscaped(UnsafeRawBufferPointer(rebasing: argument.prefix(200)))
            err.writer.text("': ")
        }
        err.writer.text(error.reason)
        err.writer.text(" (see outpost --help)\n")
        err.flush()
    }
}
