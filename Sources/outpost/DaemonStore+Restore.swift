import CHAL
import OutpostCore

// State after a restart: the server's sensors and open alerts rebuilt from the log at start-up.

extension DaemonStore {
    /// Reads every record of the open log (oldest to newest, twice: the alerts a full log copied
    /// forward first, then the rest, see `Server.RestorePass`) into `server`'s sensor table, last
    /// readings, alert engine and recent alerts. Writes nothing to the log and raises nothing.
    /// Returns false when a read failed (what was restored until then stays).
    /// - Complexity: O(log size): two passes over the live records (recovery read them once already).
    mutating func restore<P: Profile>(into server: inout Server<P>, nowMs: Int64) -> Bool {
        if source == nil { return true }
        let through = source!.store.lastWrittenSequence
        // Bounded: no log holds more records than its bytes allow.
        let maxRecords = source!.store.geometry.segmentCount * (source!.store.geometry.segmentSizeBytes / LogFormat.minRecordBytes + 1)
        // Two passes, not a loop over an array of them: an array literal would allocate.
        if !restorePass(.copiedAlerts, into: &server, through: through, maxRecords: maxRecords, nowMs: nowMs) { return false }
        return restorePass(.originals, into: &server, through: through, maxRecords: maxRecords, nowMs: nowMs)
    }

    /// One pass over the log's records up to `through`; false when a read failed.
    mutating func restorePass<P: Profile>(
        _ pass: Server<P>.RestorePass, into server: inout Server<P>, through: UInt64, maxRecords: Int, nowMs: Int64
    ) -> Bool {
        var record = LogRecord()
        var reader = LogReader(from: source!.store.oldestSequence)
        do {
            for _ in 0..<maxRecords {
                guard try source!.store.read(&reader, into: &record, through: through) else { break }
                server.restore(record, pass: pass, nowMs: nowMs)
            }
        } catch {
            return false
        }
        return true
    }
}
