import OutpostCore

/// The in-memory "disk" behind `PowerCutDevice`: its bytes, every write and sync in order (so a
/// test can rebuild the disk as it would be after a power cut at any byte of any write), and the
/// faults to inject.
final class SimDisk {
    enum Event {
        case write(offset: Int, bytes: [UInt8], committed: UInt64, cursor: UInt64)
        case sync
    }

    /// What reads see now (every write applied).
    var bytes: [UInt8]
    /// Every write and sync since `startRecording` (when `recording`), and the bytes at that moment.
    var events: [Event] = []
    var baseImage: [UInt8] = []
    var recording = true
    /// What the test knows to be committed (last `commit()` that returned) and the cursor it set
    /// (records up to it may be erased), stamped on each write event.
    var committed: UInt64 = 0
    var forwarded: UInt64 = 0
    /// Faults: sync fails with this negative errno; writes report no space; power cut during the
    /// write with this index (0-based) after `cutAfterBytes` bytes — that write is applied only
    /// partly and every later operation fails with EIO, as on a dead machine.
    var failSync: Int32? = nil
    var noSpace = false
    /// Writes report no space from the write with this index (0-based) on, while set.
    var noSpaceFromWrite: Int? = nil
    var cutAtWrite: Int? = nil
    var cutAfterBytes = 0
    private(set) var powerOff = false
    private(set) var writeCount = 0
    private(set) var syncCount = 0

    init(sizeBytes: Int) {
        bytes = [UInt8](repeating: 0, count: sizeBytes)
        baseImage = bytes
    }

    /// Forgets earlier events: cut images start from the bytes as they are now (all synced).
    func startRecording() {
        baseImage = bytes
        events = []
        recording = true
    }
    init(bytes: [UInt8]) {
        self.bytes = bytes
        baseImage = bytes
    }

    func read(_ offset: Int, _ buffer: UnsafeMutableRawBufferPointer) throws(LogIOError) {
        if powerOff { throw .io(-5) }
        precondition(offset >= 0 && offset + buffer.count <= bytes.count, "read outside the device")
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + buffer.count)])) }
    }

    func write(_ offset: Int, _ source: UnsafeRawBufferPointer) throws(LogIOError) {
        if powerOff { throw .io(-5) }
        precondition(offset >= 0 && offset + source.count <= bytes.count, "write outside the device")
        if noSpace { throw .noSpace }
        if let from = noSpaceFromWrite, writeCount >= from { throw .noSpace }
        let index = writeCount
        writeCount += 1
        var count = source.count
        if let cut = cutAtWrite, cut == index { count = min(cutAfterBytes, source.count) }
        for i in 0..<count { bytes[offset + i] = source[i] }
        if recording {
            events.append(.write(offset: offset, bytes: Array(source), committed: committed, cursor: forwarded))
        }
        if let cut = cutAtWrite, cut == index {
            powerOff = true
            throw .io(-5)
        }
    }

    func sync() throws(LogIOError) {
        if powerOff { throw .io(-5) }
        if let code = failSync { throw .io(code) }
        syncCount += 1
        if recording { events.append(.sync) }
    }

    /// Indices in `events` of the write events.
    var writeEventIndices: [Int] {
        events.indices.filter { if case .write = events[$0] { return true } else { return false } }
    }

    /// What survives of unsynced writes after a cut.
    enum Survival: CaseIterable {
        /// Nothing written since the last sync survives.
        case lost
        /// Everything written reached the disk (and the cut write up to the cut byte).
        case kept
        /// Any subset, some writes only partly (seeded).
        case mixed
    }

    /// The disk after a power cut during write event `cutEvent`, `cutBytes` bytes into it.
    /// Returns the image, and the committed sequence and durable cursor the test knew at the time.
    func imageAfterCut(event cutEvent: Int, bytes cutBytes: Int, survival: Survival, seed: UInt64) -> (image: [UInt8], committed: UInt64, cursor: UInt64) {
        var image = baseImage
        var lastSync = -1
        for i in 0..<cutEvent { if case .sync = events[i] { lastSync = i } }
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        func apply(_ offset: Int, _ data: [UInt8], _ count: Int) {
            for i in 0..<count { image[offset + i] = data[i] }
        }
        for i in 0..<cutEvent {
            guard case .write(let offset, let data, _, _) = events[i] else { continue }
            if i < lastSync {
                apply(offset, data, data.count)
                continue
            }
            switch survival {
            case .lost: break
            case .kept: apply(offset, data, data.count)
            case .mixed:
                switch next() % 3 {
                case 0: break
                case 1: apply(offset, data, data.count)
                default: apply(offset, data, Int(next() % UInt64(data.count + 1)))
                }
            }
        }
        guard case .write(let offset, let data, let committed, let cursor) = events[cutEvent] else {
            preconditionFailure("cut event is not a write")
        }
        switch survival {
        case .lost: break
        case .kept: apply(offset, data, min(cutBytes, data.count))
        case .mixed: apply(offset, data, Int(next() % UInt64(min(cutBytes, data.count) + 1)))
        }
        return (image, committed, cursor)
    }
}

/// A `LogDevice` over a `SimDisk`: an in-memory disk that can lose power at any byte of any write,
/// fail a sync, or run out of space.
struct PowerCutDevice: LogDevice {
    let disk: SimDisk

    init(_ disk: SimDisk) { self.disk = disk }

    var sizeBytes: Int64 { Int64(disk.bytes.count) }

    mutating func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(LogIOError) {
        try disk.read(Int(offset), buffer)
    }

    mutating func write(at offset: Int64, from bytes: UnsafeRawBufferPointer) throws(LogIOError) {
        try disk.write(Int(offset), bytes)
    }

    mutating func sync() throws(LogIOError) { try disk.sync() }
}
