import CHAL
import OutpostCore
import OutpostProfiles

extension DaemonModel {
    /// Reads the file into the spare slot and checks it (`ModelSlots.take`): the model, or nil with
    /// `outpost: model FILE: <reason> (refused…)` at `level` — final at `.error` (start-up, replay),
    /// "the running model stays" at `.warning` (reload).
    /// - Complexity: O(file bytes).
    mutating func load(level: LogLevel, log: inout Console) -> ForestModel? {
        guard var slots else { return nil }
        let spare = slots.spare
        let count = read(into: spare)
        if count < 0 {
            log.always(level, reserving: 768)
            writePath(&log)
            log.writer.text(": cannot read it: ")
            Errno.describe(count, &log.writer)
            DaemonModel.writeRefusalSuffix(level, &log)
            return nil
        }
        do {
            let forest = try slots.take(count: Int(truncatingIfNeeded: count), profile: ActiveProfile.name)
            self.slots = slots
            log.always(.notice, reserving: 768)
            writePath(&log)
            log.writer.text(": model taken (")
            log.writer.integer(forest.treeCount.wide)
            log.writer.text(" trees, ")
            log.writer.integer(forest.nodeCount.wide)
            log.writer.text(" nodes, ")
            log.writer.integer(forest.featureCount.wide)
            log.writer.text(" features, crc32c ")
            DaemonModel.writeHex(forest.checksum, &log.writer)
            log.writer.text(level == .error ? ")\n" : "; swapped in whole between readings)\n")
            log.flush()
            return forest
        } catch {
            log.always(level, reserving: 1024)
            writePath(&log)
            log.writer.text(": ")
            switch error {
            case .format(let defect):
                DaemonModel.writeModelError(defect, &log.writer)
            case .mismatch(let mismatch):
                let file = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(spare)[0..<Int(truncatingIfNeeded: count)])
                mismatch.write(file: file, profile: ActiveProfile.name, into: &log.writer)
            }
            DaemonModel.writeRefusalSuffix(level, &log)
            return nil
        }
    }

    /// `outpost: model FILE`.
    func writePath(_ log: inout Console) {
        log.writer.text("outpost: model ")
        log.writer.raw(UnsafeRawBufferPointer(rebasing: pathBytes.prefix(200)))
    }

    static func writeRefusalSuffix(_ level: LogLevel, _ log: inout Console) {
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
            w.text(" (this build reads versions 1, 2 and 3)")
        case .badChecksum: w.text("model checksum mismatch (CRC-32C): the file is damaged")
        case .malformed: w.text("malformed model file (breaks a rule of docs/MODEL_FORMAT.md)")
        case .unknownContextKind(let feature, let kind):
            w.text("model feature ")
            w.integer(Int(truncatingIfNeeded: feature).wide)
            w.text(" asks for context kind ")
            w.integer(Int(truncatingIfNeeded: kind).wide)
            w.text(", which this build does not know (0 value, 1 z, 2 rate, 3...5 lag1...lag3)")
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
