/// What the two copies of the file header say together (docs/LOG_FORMAT.md §2): the header to
/// open the file with, and which copy, if any, is damaged and to be rewritten from the other.
///
/// Why two copies: with one, a single flipped bit in 64 bytes refused the whole log at start, and
/// nothing was ingested until someone deleted it. Version 3 writes the header at offset 0 and
/// again at `LogFormat.fileHeaderCopyOffset`; either valid copy opens the file.
public struct LogFileHeaderCopies: Equatable, Sendable {
    /// The header the file opens with, or why it does not open.
    public var probe: LogFileHeader.Probe
    /// Offset of the copy to rewrite from the chosen one (0 or `LogFormat.fileHeaderCopyOffset`),
    /// or -1 when nothing is to be repaired.
    public var repairOffset: Int
    /// Offset the chosen copy was read from (meaningful with a valid probe).
    public var sourceOffset: Int

    /// Decides from the probes of the copy at offset 0 (`first`) and of the bytes at
    /// `LogFormat.fileHeaderCopyOffset` (`second`).
    ///
    /// - A valid version-1/2 first copy opens alone (those versions have one copy; the bytes at
    ///   the second offset are unused there).
    /// - A valid version-3 first copy opens; a second copy that is not the same valid header is
    ///   repaired from it.
    /// - A first copy that is not valid (any damage: CRC, magic, version, geometry) yields to a
    ///   valid version-3 second copy, and is repaired from it.
    /// - Neither valid: a blank first copy defers to the second's verdict (blank when both are
    ///   zero: a new file; a non-zero second region is not formatted over); otherwise the first
    ///   copy's verdict stands (not a log, unknown version, corrupt). Nothing is repaired then.
    public static func decide(first: LogFileHeader.Probe, second: LogFileHeader.Probe) -> LogFileHeaderCopies {
        let copyOffset = LogFormat.fileHeaderCopyOffset
        if case .valid(let header) = first {
            if header.version < LogFormat.mirroredHeaderVersion {
                return LogFileHeaderCopies(probe: first, repairOffset: -1, sourceOffset: 0)
            }
            return LogFileHeaderCopies(probe: first, repairOffset: second == first ? -1 : copyOffset, sourceOffset: 0)
        }
        if case .valid(let header) = second, header.version >= LogFormat.mirroredHeaderVersion {
            return LogFileHeaderCopies(probe: second, repairOffset: 0, sourceOffset: copyOffset)
        }
        if first == .blank {
            return LogFileHeaderCopies(probe: second == .blank ? .blank : secondVerdict(second), repairOffset: -1, sourceOffset: 0)
        }
        return LogFileHeaderCopies(probe: first, repairOffset: -1, sourceOffset: 0)
    }

    /// A second copy that is not valid, seen through a blank first copy: a version-1/2 header
    /// there was never written by any version of this code, so it is damage, as is one in the
    /// mirrored format that fails its check.
    static func secondVerdict(_ second: LogFileHeader.Probe) -> LogFileHeader.Probe {
        if case .valid = second { return .corrupt }
        return second
    }

    /// True when exactly one copy is damaged (the other opened the file).
    public var oneCopyDamaged: Bool { repairOffset >= 0 }
}
