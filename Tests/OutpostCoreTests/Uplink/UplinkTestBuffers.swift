import OutpostCore

/// The heap the allocation tests set up before counting starts: the uplink's arena, an in-memory
/// log of `recordCapacity` records, the sink's slots and one request and one answer buffer.
final class UplinkTestBuffers {
    let arenaMemory: UnsafeMutableRawPointer
    let arenaBytes: Int
    let records: UnsafeMutableBufferPointer<LogRecord>
    let sinkMemory: UnsafeMutableRawBufferPointer
    let request: UnsafeMutableRawBufferPointer
    let answer: UnsafeMutableRawBufferPointer

    init(settings: UplinkSettings, recordCapacity: Int) {
        arenaBytes = Uplink.arenaBytes(after: 0, settings: settings)
        arenaMemory = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
        records = UnsafeMutableBufferPointer<LogRecord>.allocate(capacity: recordCapacity)
        records.initialize(repeating: LogRecord())
        sinkMemory = UnsafeMutableRawBufferPointer.allocate(byteCount: 8 * SlotSink.slotBytes, alignment: 16)
        request = UnsafeMutableRawBufferPointer.allocate(byteCount: SlotSink.slotBytes, alignment: 16)
        answer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64, alignment: 16)
    }

    /// An uplink carved from the arena (once per test: the arena is not reset).
    func uplink(settings: UplinkSettings, nowMs: Int64) -> Uplink {
        var arena = Arena(base: arenaMemory, sizeBytes: arenaBytes)
        return Uplink(arena: &arena, settings: settings, cursor: 0, nowMs: nowMs)
    }

    deinit {
        arenaMemory.deallocate()
        records.deallocate()
        sinkMemory.deallocate()
        request.deallocate()
        answer.deallocate()
    }
}
