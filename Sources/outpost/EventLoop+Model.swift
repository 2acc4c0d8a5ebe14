import CHAL
import OutpostCore

// The model file (`--model`): read at start-up into one of two arena slots, read again on every
// SIGHUP into the other, and swapped into the pipeline whole between two ticks.

extension EventLoop {
    /// Carves the slots and the path, then reads, checks and installs the model of `flags`. False
    /// (with a message on `err`) when the file cannot be read or is refused.
    mutating func setUpModel(flags: DaemonFlags, arena: inout Arena, err: inout Console) -> Bool {
        let capacity = P.modelCapacity
        precondition(capacity.allowsModel && flags.modelFile.count > 0, "--model is refused by the flags in a profile without model slots")
        model.slots = ModelSlots(arena: &arena, capacity: capacity)
        model.path = UnsafeMutableRawBufferPointer(arena.carve(DaemonModel.pathBytesMax + 1, of: UInt8(0)))
        model.enabled = true
        _ = model.setPath(flags.modelFile)
        return loadModel(nowMs: chal_wall_ms(), level: .error, log: &err)
    }

    /// SIGHUP: reads the model file again; a refused file leaves the running model (and its
    /// slot) as they are.
    mutating func reloadModel(nowMs: Int64, log: inout Console) {
        _ = loadModel(nowMs: nowMs, level: .warning, log: &log)
        refreshStatus(nowMs: nowMs, force: true)
    }

    /// Reads the file into the spare slot, checks it and installs it. At `.error` (start-up) a
    /// refusal is final; at `.warning` (reload) the running model stays and the line says so.
    mutating func loadModel(nowMs: Int64, level: LogLevel, log: inout Console) -> Bool {
        guard var slots = model.slots else { return false }
        let spare = slots.spare
        let count = model.read(into: spare)
        if count < 0 {
            server.pipeline.model.count(taken: false)
            log.always(level, reserving: 768)
            writeModelPath(&log)
            log.writer.text(": cannot read it: ")
            Errno.describe(count, &log.writer)
            writeRefusalSuffix(level, &log)
            return false
        }
        do {
            let forest = try slots.take(count: Int(truncatingIfNeeded: count), profile: P.name)
            model.slots = slots
            server.pipeline.install(forest, nowMs: nowMs)
            server.pipeline.model.count(taken: true)
            log.always(.notice, reserving: 768)
            writeModelPath(&log)
            log.writer.text(": model taken (")
            log.writer.integer(forest.treeCount.wide)
            log.writer.text(" trees, ")
            log.writer.integer(forest.nodeCount.wide)
            log.writer.text(" nodes, ")
            log.writer.integer(forest.featureCount.wide)
            log.writer.text(" features, crc32c ")
            EventLoop.writeHex(forest.checksum, &log.writer)
            log.writer.text(level == .error ? ")\n" : "; swapped in whole between readings)\n")
            log.flush()
            return true
        } catch {
            server.pipeline.model.count(taken: false)
            log.always(level, reserving: 1024)
            writeModelPath(&log)
            log.writer.text(": ")
            switch error {
            case .format(let defect):
                EventLoop.writeModelError(defect, &log.writer)
            case .mismatch(let mismatch):
                mismatch.write(file: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(spare)[0..<Int(truncatingIfNeeded: count)]), profile: P.name, into: &log.writer)
            }
            writeRefusalSuffix(level, &log)
            return false
        }
    }

    /// `outpost: model FILE`.
    func writeModelPath(_ log: inout Console) {
        log.writer.text("outpost: model ")
        log.writer.raw(UnsafeRawBufferPointer(rebasing: model.pathBytes.prefix(200)))
    }

    func writeRefusalSuffix(_ level: LogLevel, _ log: inout Console) {
        log.writer.text(level == .error ? " (refused)\n" : " (refused: the running model stays)\n")
        log.flush()
    }

    /// What is wrong with a file that is not a valid model (docs/MODEL_FORMAT.md, "Validation").
    static func writeModelError(_ error: ModelError, _ w: inout TextWriter) {
        switch error {
        case .tooShort: w.text("not a complete model file (truncated or empty)")
        case .badMagic: w.text("not an Outpost model file (bad magic, expected \"OPIF\")")
        case .unsupportedVersion(let version):
            w.text("unsupported model format version ")
            w.integer(Int(truncatingIfNeeded: version).wide)
            w.text(" (this build reads versions 1 and 2)")
        case .badChecksum: w.text("model checksum mismatch (CRC-32C): the file is damaged")
        case .malformed: w.text("malformed model file (breaks a rule of docs/MODEL_FORMAT.md)")
        }
    }

    /// `0x` and 8 lower-case hex digits.
    static func writeHex(_ value: UInt32, _ w: inout TextWriter) {
        w.text("0x")
        var shift: UInt32 = 28
        // Eight nibbles, most significant first.
        for _ in 0..<8 {
            let nibble = UInt8(truncatingIfNeeded: (value &>> shift) & 0xF)
            w.byte(nibble < 10 ? 0x30 &+ nibble : 0x61 &+ nibble &- 10)
            shift &-= 4
        }
    }
}
