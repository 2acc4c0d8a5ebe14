/// Whether the log accepts records.
public enum LogState: Equatable, Sendable {
    /// Appends and commits work.
    case ready
    /// The last append was refused because the log is full (`rejectNew`); retried on every append.
    case full
    /// The device ran out of space; the buffered records are kept and rewritten by the next append
    /// or commit, which clears the state when it succeeds.
    case noSpace
    /// A write or sync failed (negative errno): fail-stop, nothing is accepted any more.
    case failed(Int32)
    /// Opened read-only (inspection): nothing is written.
    case readOnly
}
