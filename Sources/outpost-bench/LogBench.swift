import CBenchBaseline
import CHAL
import Foundation
import OutpostCore
import OutpostTools

/// The log figures of `make bench`: append throughput with no sync at all (`LogSyncMode.never`,
/// the daemon's `--durability none`, as issue 4 asks: "ratio >= 0.8 without sync") next to a raw C
/// sequential write of the same bytes in the same run, and the recovery time of a full 64 MiB log.
///
/// `log_append_syncs` and `log_append_sync_ms` stay in the report as the proof that the append
/// run synced nothing (both 0); `log_append_excluding_sync_mb_per_s` then equals the append rate.
///
/// Files live in build/bench/ (the page cache is warm, as on a board that just wrote them; the
/// figures measure the log's own cost, not the disk's).
enum LogBench {
    static let geometry = LogGeometry.high  // 64 MiB in 64 KiB segments
    static let pageBytes = 32_768

    static func run(directory: String, repetitions: Int, into report: inout BenchReport) {
        let logPath = directory + "/bench-log.bin"
        let rawPath = directory + "/bench-raw.bin"
        let readings = BenchReadings.make(count: 20_000, sensorCount: 100, seed: 11)
        defer { readings.deallocate() }
        let processed = readings.buffer.map { reading in
            ProcessedReading(
                sensorSlot: 0, status: .normal, anomaly: false, scoreQ16: 20_000, timestampMs: reading.timestampMs,
                features: reading.features, batteryMilliPercent: reading.batteryMilliPercent)
        }
        let arenaBytes = LogStore<SyncTimingLogDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: pageBytes)
        let arenaBase = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
        defer { arenaBase.deallocate() }

        // Append: fill 3/4 of the log (no full-policy work) in no-sync mode (the daemon's
        // `--durability none`), writing page by page. What to append is decided before the clock
        // starts: the record count that makes 3/4 of the log, and the names beside the readings,
        // so the timed loop is appends and a counter (the bench's own cost is not the log's).
        let names = readings.buffer.map(\.sensor)
        let target = geometry.fileSizeBytes / 4 * 3
        var recordCount = 0
        var recordBytes: Int64 = 0
        // Bounded: every record is at least minRecordBytes long.
        for i in 0..<(Int(target) / LogFormat.minRecordBytes + 1) {
            if recordBytes >= target { break }
            let at = i % processed.count
            let payload = LogReadingPayload(name: names[at], reading: processed[at])
            recordBytes += Int64(LogFormat.recordHeaderBytes + payload.sizeBytes + LogFormat.recordTrailerBytes)
            recordCount += 1
        }
        var bestAppendNs = Int64.max
        var bestAppendSyncNs: Int64 = 0
        var bestAppendSyncs: Int64 = 0
        for _ in 0..<repetitions {
            unlink(logPath)
            guard var store = open(logPath, arenaBase, arenaBytes, formatIfBlank: true, syncMode: .never) else {
                return report.missing("log_append_mb_per_s", reason: "could not create \(logPath)")
            }
            let firstSequence = store.nextSequence
            let syncNsBefore = store.device.syncNs
            let syncsBefore = store.device.syncs
            let start = chal_monotonic_ns()
            do {
                try processed.withUnsafeBufferPointer { (prepared: UnsafeBufferPointer<ProcessedReading>) throws(LogAppendError) in
                    try names.withUnsafeBufferPointer { (sensors: UnsafeBufferPointer<SensorName>) throws(LogAppendError) in
                        // Cycles through the readings without a division per record.
                        var index = 0
                        for _ in 0..<recordCount {
                            _ = try store.append(reading: prepared[index], name: sensors[index])
                            index += 1
                            if index == prepared.count { index = 0 }
                        }
                    }
                }
                _ = try store.write()
            } catch {
                return report.missing("log_append_mb_per_s", reason: "append failed: \(error)")
            }
            let elapsedNs = chal_monotonic_ns() - start
            if store.lastWrittenSequence - firstSequence + 1 != UInt64(recordCount) {
                return report.missing("log_append_mb_per_s", reason: "the log did not take every record")
            }
            if elapsedNs < bestAppendNs {
                bestAppendNs = elapsedNs
                bestAppendSyncNs = store.device.syncNs - syncNsBefore
                bestAppendSyncs = store.device.syncs - syncsBefore
            }
            store.device.close()
        }
        // The record bytes appended (headers, payloads, CRCs; not the segment headers the log
        // adds, about 0.07 % more, nor the unused ends of segments).
        let appendedBytes = recordBytes

        // The same number of bytes written by a minimal C pwrite loop, same chunk size, same run.
        var bestRawNs = Int64.max
        let chunk = [UInt8](repeating: 0xA5, count: pageBytes)
        for _ in 0..<repetitions {
            unlink(rawPath)
            guard let file = try? LogCommandFile.create(rawPath, sizeBytes: geometry.fileSizeBytes) else {
                return report.missing("raw_write_mb_per_s", reason: "could not create \(rawPath)")
            }
            file.close()
            let ns = rawPath.withCString { path in
                chunk.withUnsafeBufferPointer {
                    bench_raw_sequential_write(
                        UnsafeRawPointer(path).assumingMemoryBound(to: UInt8.self), $0.baseAddress!,
                        Int64(pageBytes), appendedBytes)
                }
            }
            if ns < 0 { return report.missing("raw_write_mb_per_s", reason: "raw write failed: errno \(-ns)") }
            bestRawNs = min(bestRawNs, ns)
        }
        let appendMBs = Double(appendedBytes) / 1e6 / (Double(bestAppendNs) / 1e9)
        let rawMBs = Double(appendedBytes) / 1e6 / (Double(bestRawNs) / 1e9)
        let workNs = max(bestAppendNs - bestAppendSyncNs, 1)
        let workMBs = Double(appendedBytes) / 1e6 / (Double(workNs) / 1e9)
        note("log: appended \(appendedBytes) bytes of readings; append \(Int(appendMBs)) MB/s, raw write \(Int(rawMBs)) MB/s; "
            + "\(bestAppendSyncs) segment-roll syncs took \(bestAppendSyncNs / 1_000_000) ms of \(bestAppendNs / 1_000_000) ms, "
            + "the rest runs at \(Int(workMBs)) MB/s")
        report.add("log_append_mb_per_s", appendMBs)
        report.add("raw_write_mb_per_s", rawMBs)
        report.add("log_append_over_raw_ratio", appendMBs / rawMBs)
        report.add("log_append_syncs", Double(bestAppendSyncs))
        report.add("log_append_sync_ms", Double(bestAppendSyncNs) / 1e6)
        report.add("log_append_excluding_sync_mb_per_s", workMBs)

        // Recovery: fill the log completely (reject-new stops at full), commit, then time opening it.
        unlink(logPath)
        guard var full = open(logPath, arenaBase, arenaBytes, formatIfBlank: true, policy: .rejectNew) else {
            return report.missing("log_recovery_ms_64mib", reason: "could not create \(logPath)")
        }
        var index = 0
        filling: while true {
            let reading = readings.buffer[index % readings.buffer.count]
            do {
                _ = try full.append(reading: processed[index % processed.count], name: reading.sensor)
            } catch .full {
                break filling
            } catch {
                return report.missing("log_recovery_ms_64mib", reason: "fill failed: \(error)")
            }
            index += 1
        }
        do { _ = try full.commit() } catch { return report.missing("log_recovery_ms_64mib", reason: "commit failed") }
        full.device.close()
        var bestRecoveryNs = Int64.max
        var records = 0
        for _ in 0..<repetitions {
            let start = chal_monotonic_ns()
            // Reopened with the policy it was filled with: drop-oldest would drop (and sync) the
            // oldest segment of the full log as part of opening it, which is not recovery, and
            // every repetition would then recover a different log.
            guard let store = open(logPath, arenaBase, arenaBytes, formatIfBlank: false, policy: .rejectNew) else {
                return report.missing("log_recovery_ms_64mib", reason: "recovery failed")
            }
            bestRecoveryNs = min(bestRecoveryNs, chal_monotonic_ns() - start)
            records = (0..<11).reduce(0) { $0 + store.recovery.recordsByType[$1] }
            store.device.close()
        }
        if records != index {
            return report.missing("log_recovery_ms_64mib", reason: "recovery found \(records) of \(index) records")
        }
        note("log: recovered a full 64 MiB log (\(index) records appended, \(records) found) in \(Double(bestRecoveryNs) / 1e6) ms")
        report.add("log_recovery_ms_64mib", Double(bestRecoveryNs) / 1e6)
        unlink(logPath)
        unlink(rawPath)
    }

    static func open(
        _ path: String, _ base: UnsafeMutableRawPointer, _ bytes: Int, formatIfBlank: Bool,
        policy: LogFullPolicy = .dropOldest, syncMode: LogSyncMode = .ordered
    ) -> LogStore<SyncTimingLogDevice>? {
        guard let file = try? LogCommandFile.create(path, sizeBytes: geometry.fileSizeBytes) else { return nil }
        let device = SyncTimingLogDevice(file: file)
        var arena = Arena(base: base, sizeBytes: bytes)
        do {
            return try LogStore(device: device, arena: &arena, geometry: geometry, pageBytes: pageBytes, policy: policy, formatIfBlank: formatIfBlank,
                syncMode: syncMode)
        } catch {
            note("log bench: open failed: \(error)")
            device.close()
            return nil
        }
    }
}
