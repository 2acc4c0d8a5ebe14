/// When a logged reading counts as kept (`--durability`), and so when its ACK may leave.
public enum Durability: UInt8, BitwiseCopyable, Sendable {
    /// Commit (write + fdatasync) every tick before the tick's responses are sent: an ACK means
    /// the reading is on disk.
    case sync = 0
    /// Write every tick, sync on a timer (`GatewayStore.batchSyncIntervalMs`): an ACK means the
    /// reading reached the kernel; a power cut may lose the last interval.
    case batch = 1
    /// Write every tick, never sync (the kernel writes back when it likes): the store is opened
    /// with `LogSyncMode.never`, so not even a segment roll or the format syncs. A killed daemon
    /// loses nothing written; a power cut may lose anything not yet written back
    /// (docs/LOG_FORMAT.md §6.1).
    case none = 2

    /// The mode named by `text` (`sync`, `batch`, `none`), or nil.
    public init?(name text: UnsafeRawBufferPointer) {
        if ConfigValue.matches(text, "sync") { self = .sync; return }
        if ConfigValue.matches(text, "batch") { self = .batch; return }
        if ConfigValue.matches(text, "none") { self = .none; return }
        return nil
    }

    /// Lower-case name (flags, start-up message).
    public var name: StaticString {
        switch self {
        case .sync: return "sync"
        case .batch: return "batch"
        case .none: return "none"
        }
    }
}
