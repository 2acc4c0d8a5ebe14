import CHAL
import OutpostCore

/// The daemon's side of the log: the file (`DIR/outpost.log`), its geometry, the regions carved
/// for it, opening it with recovery (reported on stderr), retrying an unavailable one, and the
/// lines that say so. The policy (admission, commit per durability, the uplink) is the core's
/// `GatewayStore`, which this fills in (`setUp`) and hands the opened log (`open`).
///
/// The log file is opened at start-up; when the device has no space for it (ENOSPC, EFBIG under a
/// file-size limit) the daemon runs on, refusing readings, and retries every `reopenIntervalMs`.
/// Memory for the store and the uplink is carved once; each open attempt re-uses those regions.
struct DaemonStore {
    typealias Store = GatewayStore<FileLogDevice, UplinkSocketSink>

    /// How often an unavailable log is retried, and the Max-Age of the 5.03 meanwhile.
    static var reopenIntervalMs: Int64 { 1_000 }
    /// Size of the group-commit page buffer at most (smaller for small segments).
    static var pageBytesMax: Int { 16_384 }

    var geometry = LogGeometry.test
    /// `DIR/outpost.log`, NUL-terminated, in a carved buffer.
    var path = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    var pathLength = 0
    /// Carved region re-used by every open attempt.
    var storeRegion = UnsafeMutableRawBufferPointer(start: nil, count: 0)
    /// When the log is next retried (while unavailable).
    var reopenAtMs: Int64 = 0
    /// The open log's "no space" was reported (`reportSpace`).
    var reportedNoSpace = false
    /// Errno of the last failed open (0 after success), so the retries are reported once.
    var lastOpenError: Int32 = 0

    init() {}

    /// Reports on stderr when the open log runs out of space while running (a file-size limit
    /// below the log's size, a full disk under a copy-on-write file system) and when writes
    /// succeed again: once per change, not per tick.
    mutating func reportSpace(_ gatewayStore: Store, _ err: inout Console) {
        guard let store = gatewayStore.store else { return }
        let out = store.state == .noSpace
        if out == reportedNoSpace { return }
        reportedNoSpace = out
        if out {
            writePathLine(&err, "out of space while running (file-size limit or full disk): ")
            err.writer.text("refusing readings with 5.03, retrying at every tick\n")
        } else {
            writePathLine(&err, "writes succeed again: readings accepted\n")
        }
        err.flush()
    }

    /// Commits what is pending at a clean stop and closes the file and the uplink's socket.
    func close(_ store: inout Store) {
        store.closeLog()
        if let log = store.store { log.device.close() }
        if store.link.fd >= 0 { _ = chal_close(store.link.fd) }
    }
}
