import CHAL
import OutpostCore
import OutpostTools

/// The bench's log file: `LogCommandFile` with the time spent in `sync` (fdatasync) added up, so
/// the log figures can say how much of an append run was the segment rolls' syncs (which the
/// format requires, docs/LOG_FORMAT.md §6) and how much was the log's own CPU work.
///
/// Reads and writes pass straight through; only a sync reads the clock (twice).
struct SyncTimingLogDevice: LogDevice {
    var file: LogCommandFile
    /// Syncs so far and the nanoseconds they took.
    var syncs: Int64 = 0
    var syncNs: Int64 = 0

    var sizeBytes: Int64 { file.sizeBytes }

    mutating func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(LogIOError) {
        try file.read(at: offset, into: buffer)
    }

    mutating func write(at offset: Int64, from bytes: UnsafeRawBufferPointer) throws(LogIOError) {
        try file.write(at: offset, from: bytes)
    }

    mutating func sync() throws(LogIOError) {
        let start = chal_monotonic_ns()
        defer {
            syncNs += chal_monotonic_ns() - start
            syncs += 1
        }
        try file.sync()
    }

    func close() { file.close() }
}
