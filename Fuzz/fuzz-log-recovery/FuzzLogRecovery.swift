// libFuzzer target: log recovery over damaged media (see FuzzCoAP.swift for the build modes).
import OutpostCore

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzLogRecoveryReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

/// The bytes of the in-memory device (shared by the device values the stores hold).
final class FuzzDisk {
    var bytes: [UInt8]
    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }
}

/// A `LogDevice` over `FuzzDisk`: every write lands at once, syncs do nothing.
struct FuzzDevice: LogDevice {
    let disk: FuzzDisk
    var sizeBytes: Int64 { Int64(disk.bytes.count) }

    mutating func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(LogIOError) {
        let start = Int(offset)
        precondition(start >= 0 && start + buffer.count <= disk.bytes.count, "read outside the device")
        disk.bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<(start + buffer.count)])) }
    }

    mutating func write(at offset: Int64, from bytes: UnsafeRawBufferPointer) throws(LogIOError) {
        let start = Int(offset)
        precondition(start >= 0 && start + bytes.count <= disk.bytes.count, "write outside the device")
        disk.bytes.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[start..<(start + bytes.count)]).copyMemory(from: bytes) }
    }

    mutating func sync() throws(LogIOError) {}
}

/// Reads the input front to back; zeros once it is used up.
struct FuzzInput {
    let bytes: UnsafeRawBufferPointer
    var at = 0
    mutating func byte() -> UInt8 {
        if at >= bytes.count { return 0 }
        at += 1
        return bytes[at - 1]
    }
    mutating func u16() -> Int { Int(byte()) | Int(byte()) << 8 }
    var remaining: Int { max(0, bytes.count - at) }
}

/// What was appended under each sequence: type, timestamp and payload.
struct Appended: Equatable {
    var type: LogRecordType
    var timestampMs: Int64
    var payload: [UInt8]
}

/// 4 segments of 1 KiB: small enough that the recipe wraps the log and reuses segments (so stale
/// records of earlier lives are on the device), large enough for several records per segment.
let fuzzGeometry = LogGeometry(segmentSizeBytes: 1024, segmentCount: 4)!

func openFuzzStore(_ disk: FuzzDisk, _ arena: UnsafeMutableRawBufferPointer, readOnly: Bool, formatIfBlank: Bool) -> LogStore<FuzzDevice>? {
    var region = Arena(base: arena.baseAddress!, sizeBytes: arena.count)
    return try? LogStore(
        device: FuzzDevice(disk: disk), arena: &region, geometry: fuzzGeometry, pageBytes: 512, policy: .rejectNew,
        formatIfBlank: formatIfBlank, readOnly: readOnly, formatLogID: 0x5EED)
}

/// Every record the store returns is one that was appended, byte for byte; the reader agrees
/// with recovery's count. Returns the records read.
func checkRecords(_ store: inout LogStore<FuzzDevice>, _ appended: [UInt64: Appended]) -> Int {
    var reader = LogReader(from: 1)
    var record = LogRecord()
    var count = 0
    var previous: UInt64 = 0
    // Bounded: a 4 KiB record space holds fewer than 200 records.
    while (try? store.read(&reader, into: &record, through: store.lastWrittenSequence)) == true {
        precondition(record.sequence > previous, "records out of order")
        previous = record.sequence
        guard let original = appended[record.sequence] else { preconditionFailure("recovered a record that was never appended") }
        let payload = record.withPayload { Array($0) }
        precondition(original == Appended(type: record.type, timestampMs: record.timestampMs, payload: payload),
                     "recovered record differs from what was appended")
        count += 1
        precondition(count < 10_000, "reader does not end")
    }
    return count
}

/// Builds a valid log from the input's first bytes (a recipe of appends, commits and cursor
/// moves, wrapping the log), damages the file with the rest (bit flips, byte writes, zeroed or
/// filled runs, runs copied from elsewhere in the file: misdirected or stale writes), then opens
/// it read-only and for writing. Nothing may trap, and every record recovered must be one that
/// was appended, identical. After the writable open a few appends and a reopen must work too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = FuzzInput(bytes: UnsafeRawBufferPointer(start: data, count: size))
    let arenaBytes = LogStore<FuzzDevice>.arenaBytes(after: 0, geometry: fuzzGeometry, pageBytes: 512) + 64
    let arena = UnsafeMutableRawBufferPointer.allocate(byteCount: arenaBytes, alignment: 16)
    defer { arena.deallocate() }
    let disk = FuzzDisk(size: Int(fuzzGeometry.fileSizeBytes))
    var appended: [UInt64: Appended] = [:]

    // The recipe. Payload bytes come from a generator seeded by the input, not from the input
    // itself: the input steers the shape of the log, not the bytes inside payloads.
    guard var store = openFuzzStore(disk, arena, readOnly: false, formatIfBlank: true) else { preconditionFailure("format failed") }
    var random = UplinkRandom(seed: UInt64(input.byte()) | UInt64(input.byte()) << 8)
    let steps = Int(input.byte())
    for step in 0..<steps {
        let op = input.byte()
        if op & 0xC0 == 0xC0 {
            _ = try? store.commit()
            continue
        }
        if op & 0xC0 == 0x80 && store.nextSequence > 1 {
            store.setCursor(store.nextSequence - 1)
            continue
        }
        let type = LogRecordType(rawValue: UInt8(op % 5) + 1)!
        let count = Int(op & 0x3F) * 3 % (LogFormat.maxPayloadBytes + 1)
        var payload = [UInt8](repeating: 0, count: count)
        for i in 0..<count { payload[i] = UInt8(truncatingIfNeeded: random.next()) }
        let timestamp = Int64(step) * 1000 + Int64(op)
        do {
            let sequence = try store.appendRecord(type: type, flags: 0, timestampMs: timestamp, payloadCount: count) { target in
                for i in 0..<count { target[i] = payload[i] }
                return count
            }
            appended[sequence] = Appended(type: type, timestampMs: timestamp, payload: payload)
        } catch {
            // Full: forward everything and go on (the next roll reuses the oldest segment).
            if store.nextSequence > 1 { store.setCursor(store.nextSequence - 1) }
            _ = try? store.commit()
        }
    }
    _ = try? store.commit()
    // Undamaged, the log reads back whole from the oldest record kept.
    let clean = checkRecords(&store, appended)
    precondition(UInt64(clean) == store.nextSequence - store.oldestSequence, "a clean log has a hole")

    // The damage: at most 16 operations.
    let fileSize = disk.bytes.count
    for _ in 0..<min(16, input.remaining / 4) {
        let op = input.byte()
        let offset = input.u16() % fileSize
        let value = input.byte()
        switch op % 5 {
        case 0: disk.bytes[offset] ^= 1 << (value % 8)
        case 1: disk.bytes[offset] = value
        case 2: for i in offset..<min(fileSize, offset + Int(value)) { disk.bytes[i] = 0 }
        case 3: for i in offset..<min(fileSize, offset + Int(value % 64)) { disk.bytes[i] = value }
        default:
            // A run copied from elsewhere: a misdirected write, or stale bytes of another life.
            let from = (offset &* 7 &+ Int(value) &* 131) % fileSize
            let count = min(Int(value) + 1, fileSize - offset, fileSize - from)
            let run = Array(disk.bytes[from..<(from + count)])
            for i in 0..<count { disk.bytes[offset + i] = run[i] }
        }
    }

    // Read-only: nothing written, every record one that was appended.
    let before = disk.bytes
    if var inspect = openFuzzStore(disk, arena, readOnly: true, formatIfBlank: false) {
        let read = checkRecords(&inspect, appended)
        precondition(read == inspect.recovery.records, "the reader and recovery disagree")
        precondition(disk.bytes == before, "a read-only open wrote")
    }
    // Writable: recovery may repair; then appends and a reopen.
    if var opened = openFuzzStore(disk, arena, readOnly: false, formatIfBlank: false) {
        let read = checkRecords(&opened, appended)
        precondition(read == opened.recovery.records, "the reader and recovery disagree")
        for i in 0..<3 {
            let payload: [UInt8] = [UInt8(i), 0xA5, 0x5A]
            let timestamp = Int64(1_000_000 + i)
            guard let sequence = try? opened.appendRecord(type: .marker, flags: 0, timestampMs: timestamp, payloadCount: 3, encode: { target in
                for j in 0..<3 { target[j] = payload[j] }
                return 3
            }) else { break }
            // A sequence may come again when the damage ended the head's records (a torn tail
            // holds only records never delivered); the new record replaces the lost one.
            appended[sequence] = Appended(type: .marker, timestampMs: timestamp, payload: payload)
        }
        _ = try? opened.commit()
        if var again = openFuzzStore(disk, arena, readOnly: true, formatIfBlank: false) {
            _ = checkRecords(&again, appended)
        }
    }
    return 0
}
