import CHAL
import OutpostCore

/// One serial line of the daemon: its device, framing, receive state, pending output and the
/// reopen schedule after the device went away. Every buffer is carved from the arena at start-up.
struct SerialLine {
    /// Longest device path in bytes.
    static let pathBytesMax = 255
    /// Longest line in line mode (a SenML-JSON pack of a few dozen records fits).
    static let lineBytesMax = 4096
    /// Line mode: output for command lines (a 128-byte command is about 320 bytes as a line).
    static let lineOutputBytes = 2048
    /// First reopen delay after the device went away; doubled per failure up to the maximum.
    static let reopenFirstMs: Int64 = 100
    static let reopenMaxMs: Int64 = 5_000

    /// The line's index (its `Endpoint.serial(line:)`).
    let index: UInt32
    let framing: SerialFraming
    let baud: Int32
    /// The device path, NUL-terminated.
    let path: UnsafeMutableRawBufferPointer
    let pathBytes: Int
    /// The open descriptor, or -1 while the device is away.
    var fd: Int32 = -1
    /// The last open error (negative errno), reported once per outage.
    var lastError: Int32 = 0
    var reopenAtMs: Int64 = 0
    var reopenDelayMs: Int64 = SerialLine.reopenFirstMs

    var decoder: SLIPDecoder
    /// Line mode: the bytes of the line so far, and whether an overlong one is being skipped.
    let lineBuffer: UnsafeMutableRawBufferPointer
    var lineLength = 0
    var skippingLine = false

    /// SLIP-encoded responses waiting to be written (`outputStart..<outputEnd`). Only
    /// `outputStart..<releasedEnd` may leave: the rest belongs to the current tick, whose answers
    /// wait for its log commit (`release()` or `withdraw()` at the end of the tick).
    let output: UnsafeMutableRawBufferPointer
    var outputStart = 0
    var outputEnd = 0
    var releasedEnd = 0

    var counters = SerialLineCounters()

    /// Carves the line's buffers; the device is opened by `open(nowMs:)`.
    init(index: Int, spec: SerialSpec, frameBytes: Int, arena: inout Arena) {
        precondition(spec.pathBytes > 0 && spec.pathBytes <= SerialLine.pathBytesMax, "bad serial spec")
        precondition(frameBytes >= 64, "a SLIP frame holds a CoAP message")
        self.index = UInt32(truncatingIfNeeded: index)
        framing = spec.framing
        baud = spec.baud
        path = UnsafeMutableRawBufferPointer(arena.carve(SerialLine.pathBytesMax + 1, of: UInt8(0)))
        for i in 0..<spec.pathBytes { path[i] = spec.text[i] }
        path[spec.pathBytes] = 0
        pathBytes = spec.pathBytes
        decoder = SLIPDecoder(frameBuffer: UnsafeMutableRawBufferPointer(arena.carve(frameBytes, of: UInt8(0))))
        lineBuffer = UnsafeMutableRawBufferPointer(arena.carve(spec.framing == .line ? SerialLine.lineBytesMax : 1, of: UInt8(0)))
        // Room for a batch of SLIP-encoded responses (each at most twice its size plus two ENDs);
        // in line mode, for a few command lines (docs/WIRE_FORMAT.md §3.1).
        output = UnsafeMutableRawBufferPointer(arena.carve(spec.framing == .slip ? 4 * (2 * frameBytes + 2) : SerialLine.lineOutputBytes, of: UInt8(0)))
    }

    /// The device path without its NUL.
    var pathText: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(path)[0..<pathBytes]) }

    /// Opens the device in raw mode; on failure schedules the next attempt with backoff.
    /// Returns 0 or the negative errno of the failed open.
    mutating func open(nowMs: Int64) -> Int32 {
        precondition(fd < 0, "line already open")
        let result = chal_serial_open(path.baseAddress!.assumingMemoryBound(to: UInt8.self), baud)
        if result >= 0 {
            fd = result
            reopenDelayMs = SerialLine.reopenFirstMs
            lastError = 0
            counters.opens &+= 1
            return 0
        }
        reopenAtMs = nowMs + reopenDelayMs
        reopenDelayMs = min(reopenDelayMs * 2, SerialLine.reopenMaxMs)
        counters.openFailures &+= 1
        return result
    }

    /// Closes a line whose device failed or went away, dropping partial input and pending output,
    /// and schedules the reopen.
    mutating func lose(nowMs: Int64) {
        precondition(fd >= 0, "line not open")
        _ = chal_close(fd)
        fd = -1
        counters.losses &+= 1
        reopenAtMs = nowMs + reopenDelayMs
        reopenDelayMs = min(reopenDelayMs * 2, SerialLine.reopenMaxMs)
        lineLength = 0
        skippingLine = false
        outputStart = 0
        outputEnd = 0
        releasedEnd = 0
        // A frame cut by the outage must not be glued to the next one: feed END to resync.
        _ = decoder.push(0xC0)
    }

    /// Queues `message` SLIP-encoded for the line (in line mode: as it is, a whole command line);
    /// false (counted) when the output is full.
    mutating func queue(_ message: UnsafeRawBufferPointer) -> Bool {
        if fd < 0 {
            counters.outputDropped &+= 1
            return false
        }
        if outputStart == outputEnd {
            outputStart = 0
            outputEnd = 0
            releasedEnd = 0
        }
        let room = UnsafeMutableRawBufferPointer(rebasing: output[outputEnd..<output.count])
        if framing == .line {
            if message.count > room.count {
                counters.outputDropped &+= 1
                return false
            }
            room.baseAddress!.copyMemory(from: message.baseAddress!, byteCount: message.count)
            outputEnd += message.count
            return true
        }
        do {
            outputEnd += try SLIPEncoder.encode(message, into: room)
            return true
        } catch {
            counters.outputDropped &+= 1
            return false
        }
    }

    /// True while released responses wait to be written.
    var hasOutput: Bool { releasedEnd > outputStart }

    /// Lets everything queued so far leave (the tick's log commit completed).
    mutating func release() {
        releasedEnd = outputEnd
    }

    /// Drops what the current tick queued (its log commit did not complete: nothing of it may be
    /// acknowledged; the sender retransmits). Returns how many bytes were dropped.
    mutating func withdraw() -> Int {
        precondition(releasedEnd >= outputStart && releasedEnd <= outputEnd, "released bytes out of range")
        let dropped = outputEnd - releasedEnd
        outputEnd = releasedEnd
        return dropped
    }

    /// Writes what the device takes now of the released output. Returns 0, or a negative errno
    /// when the device failed.
    mutating func flush() -> Int64 {
        if fd < 0 || !hasOutput { return 0 }
        let base = UnsafeRawPointer(output.baseAddress!).assumingMemoryBound(to: UInt8.self)
        let written = chal_write_some(fd, base + outputStart, (releasedEnd - outputStart).wide)
        if written == CHAL_EAGAIN.wide { return 0 }  // the line is busy, try after the next poll
        if written < 0 { return written }
        outputStart += written.narrow
        counters.bytesOut &+= UInt64(bitPattern: written)
        return 0
    }
}

/// What happened on one serial line (reported at exit and when the line changes state).
struct SerialLineCounters {
    var opens: UInt64 = 0
    var openFailures: UInt64 = 0
    var losses: UInt64 = 0
    var bytesIn: UInt64 = 0
    var bytesOut: UInt64 = 0
    var frames: UInt64 = 0
    var lines: UInt64 = 0
    var linesAccepted: UInt64 = 0
    var linesInvalid: UInt64 = 0
    var linesRefused: UInt64 = 0
    var linesTooLong: UInt64 = 0
    var outputDropped: UInt64 = 0
}
