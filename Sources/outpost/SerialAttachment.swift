import CHAL
import OutpostCore

/// The daemon's serial lines as a gateway attachment: SLIP frames are CoAP messages answered on
/// the same line, line-mode lines are readings. A line's output of a tick is held until the
/// gateway says the tick's commit covered it (`endOfTick`), then written in `afterTick`. Lines
/// that fail are closed and reopened with backoff; what happened is kept per line for the loop to
/// report on stderr (`report`).
struct SerialAttachment: GatewayAttachment {
    /// Bytes read from one serial line per tick.
    static var readBytes: Int { 2048 }

    /// Serial lines (`lineCount` of them, carved).
    let lines: UnsafeMutablePointer<SerialLine>
    let lineCount: Int
    /// Set by the loop after its poll: each line's `revents`.
    let revents: UnsafeMutableBufferPointer<Int16>
    /// Per line: the error it was lost with (reported once), and whether it reopened.
    let lostWith: UnsafeMutableBufferPointer<Int64>
    let reopenReport: UnsafeMutableBufferPointer<Int32>
    /// Scratch: a serial line's raw bytes, and a response to SLIP-encode.
    let chunk: UnsafeMutableRawBufferPointer
    let response: UnsafeMutableRawBufferPointer

    /// Carves the lines of `flags` with frames of up to `frameBytes`.
    init(flags: DaemonFlags, frameBytes: Int, arena: inout Arena) {
        lineCount = flags.serialCount
        let storage = arena.carve(max(1, lineCount) * MemoryLayout<SerialLine>.stride + MemoryLayout<SerialLine>.alignment, of: UInt8(0))
        let base = UnsafeMutableRawPointer(storage.baseAddress!)
        let aligned = (Int(bitPattern: base) + MemoryLayout<SerialLine>.alignment - 1) & ~(MemoryLayout<SerialLine>.alignment - 1)
        lines = UnsafeMutableRawPointer(bitPattern: aligned)!.bindMemory(to: SerialLine.self, capacity: max(1, lineCount))
        for i in 0..<lineCount {
            (lines + i).initialize(to: SerialLine(index: i, spec: flags.serial[i], frameBytes: frameBytes, arena: &arena))
        }
        revents = arena.carve(max(1, lineCount), of: Int16(0))
        lostWith = arena.carve(max(1, lineCount), of: Int64(0))
        reopenReport = arena.carve(max(1, lineCount), of: Int32(1))
        chunk = UnsafeMutableRawBufferPointer(arena.carve(SerialAttachment.readBytes, of: UInt8(0)))
        response = UnsafeMutableRawBufferPointer(arena.carve(frameBytes, of: UInt8(0)))
    }

    mutating func receive<Handler: GatewayRequestHandler>(nowMs: Int64, handler: inout Handler) -> Int {
        var handled = 0
        for i in 0..<lineCount where lines[i].fd >= 0 && revents[i] != 0 {
            handled += read(i, nowMs: nowMs, handler: &handler)
        }
        return handled
    }

    func deliver(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) -> Bool {
        let line = Int(peer.scopeOrLine)
        if peer.kind != Endpoint.kindSerial || line >= lineCount { return false }
        _ = lines[line].queue(bytes)
        return true
    }

    func endOfTick(committed: Bool) -> Int {
        var withheld = 0
        for i in 0..<lineCount {
            if committed { lines[i].release() } else { withheld += lines[i].withdraw() }
        }
        return withheld
    }

    func afterTick(nowMs: Int64) {
        for i in 0..<lineCount where lines[i].hasOutput {
            let status = lines[i].flush()
            if status < 0 { lose(i, nowMs: nowMs, error: status) }
        }
        reopen(nowMs: nowMs)
    }

    func wakeDeadlineMs(nowMs: Int64) -> Int64? {
        var deadline: Int64? = nil
        for i in 0..<lineCount where lines[i].fd < 0 {
            deadline = min(deadline ?? lines[i].reopenAtMs, lines[i].reopenAtMs)
        }
        return deadline
    }

    /// Reads the waiting bytes of line `index` and handles its frames or lines; returns how many.
    func read<Handler: GatewayRequestHandler>(_ index: Int, nowMs: Int64, handler: inout Handler) -> Int {
        let read = chal_read_some(lines[index].fd, chunk.baseAddress!.assumingMemoryBound(to: UInt8.self), chunk.count.wide)
        if read == CHAL_EAGAIN.wide { return 0 }  // woke for output only
        if read <= 0 {
            // 0: end of file; -EIO: a pty whose other side closed; anything else: a failed device.
            lose(index, nowMs: nowMs, error: read == 0 ? CHAL_EIO.wide : read)
            return 0
        }
        lines[index].counters.bytesIn &+= UInt64(bitPattern: read)
        let bytes = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(chunk)[0..<read.narrow])
        switch lines[index].framing {
        case .slip: return handleSLIP(index, bytes, nowMs: nowMs, handler: &handler)
        case .line: return handleLines(index, bytes, nowMs: nowMs, handler: &handler)
        }
    }

    /// Feeds SLIP bytes; each complete frame is a CoAP message answered on the same line.
    func handleSLIP<Handler: GatewayRequestHandler>(_ index: Int, _ bytes: UnsafeRawBufferPointer, nowMs: Int64, handler: inout Handler) -> Int {
        var frames = 0
        let peer = Endpoint.serial(line: lines[index].index)
        for byte in bytes {
            guard lines[index].decoder.push(byte) else { continue }
            frames += 1
            lines[index].counters.frames &+= 1
            let frame = lines[index].decoder.frame
            let length = handler.handle(frame, from: peer, nowMs: nowMs, response: response)
            if length > 0 {
                _ = lines[index].queue(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(response)[0..<length]))
            }
        }
        return frames
    }

    /// Splits line-mode bytes at `\n`; each line goes to the handler's `ingestLine`. A line longer
    /// than the line buffer is dropped whole (counted) and reading resumes after its end.
    func handleLines<Handler: GatewayRequestHandler>(_ index: Int, _ bytes: UnsafeRawBufferPointer, nowMs: Int64, handler: inout Handler) -> Int {
        var handled = 0
        for byte in bytes {
            if byte != 0x0A {
                if lines[index].skippingLine { continue }
                if lines[index].lineLength == lines[index].lineBuffer.count {
                    lines[index].skippingLine = true
                    lines[index].lineLength = 0
                    lines[index].counters.linesTooLong &+= 1
                    continue
                }
                lines[index].lineBuffer[lines[index].lineLength] = byte
                lines[index].lineLength += 1
                continue
            }
            if lines[index].skippingLine {
                lines[index].skippingLine = false
                continue
            }
            let text = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(lines[index].lineBuffer)[0..<lines[index].lineLength])
            lines[index].lineLength = 0
            lines[index].counters.lines &+= 1
            handled += 1
            switch handler.ingestLine(text, nowMs: nowMs, from: Endpoint.serial(line: lines[index].index)) {
            case .accepted: lines[index].counters.linesAccepted &+= 1
            case .skipped: break
            case .invalid: lines[index].counters.linesInvalid &+= 1
            case .refused: lines[index].counters.linesRefused &+= 1
            }
        }
        return handled
    }

    /// Closes a failed line and schedules its reopen (reported by `report`).
    func lose(_ index: Int, nowMs: Int64, error: Int64) {
        lines[index].lose(nowMs: nowMs)
        lostWith[index] = error
    }

    /// Tries to reopen every lost line whose backoff ran out (reported by `report`).
    func reopen(nowMs: Int64) {
        for i in 0..<lineCount where lines[i].fd < 0 && nowMs >= lines[i].reopenAtMs {
            let wasReported = lines[i].lastError
            let result = lines[i].open(nowMs: nowMs)
            if result == 0 {
                reopenReport[i] = 0
            } else if result != wasReported {
                lines[i].lastError = result
                reopenReport[i] = result
            }
        }
    }

    /// Writes what happened to the lines since the last call: lost, open again, still failing.
    func report(_ log: inout Console) {
        for i in 0..<lineCount {
            if lostWith[i] != 0 {
                log.always(.warning)
                log.writer.text("outpost: serial ")
                log.writer.raw(lines[i].pathText)
                log.writer.text(" lost (")
                Errno.describe(lostWith[i], &log.writer)
                log.writer.text("), reopening with backoff\n")
                log.flush()
                lostWith[i] = 0
            }
            if reopenReport[i] == 0 {
                log.always(.notice)
                log.writer.text("outpost: serial ")
                log.writer.raw(lines[i].pathText)
                log.writer.text(" open\n")
                log.flush()
            } else if reopenReport[i] < 0 {
                log.always(.warning)
                log.writer.text("outpost: serial ")
                log.writer.raw(lines[i].pathText)
                log.writer.text(": ")
                Errno.describe(reopenReport[i].wide, &log.writer)
                log.writer.text(" (retrying)\n")
                log.flush()
            }
            reopenReport[i] = 1
        }
    }

    /// Writes each open line's pending output and closes it.
    func closeAll() {
        for i in 0..<lineCount where lines[i].fd >= 0 {
            _ = lines[i].flush()
            _ = chal_close(lines[i].fd)
        }
    }
}
