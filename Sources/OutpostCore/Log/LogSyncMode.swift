/// Whether the store ever asks its device to sync (`--durability none` in the daemon).
///
/// With `.ordered` every sync the format relies on is issued (docs/LOG_FORMAT.md §6): at each
/// commit, before a new live header, after drop copies, after the recovery's tail repair and when
/// formatting. With `.never` none of them is, except the two syncs that create a new file (a torn
/// file header would stop the next start): the kernel writes back when it likes. A process that
/// is killed loses nothing written (the page cache keeps every write, in order) and recovery is
/// exactly as after a sync; what a power cut may do instead is in docs/LOG_FORMAT.md §6.1.
public enum LogSyncMode: UInt8, Sendable, BitwiseCopyable {
    /// Syncs at every commit and wherever the format's ordering needs one.
    case ordered = 0
    /// Never syncs; `durableSequence` never advances past what recovery found.
    case never = 1
}
