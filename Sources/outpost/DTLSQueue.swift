import CHAL
import OutpostCore

/// Responses and notifications waiting to go out over DTLS sessions: they leave after the tick's
/// log commit, like the UDP send batch, so an acknowledgement over DTLS also means "on disk".
///
/// All state lives in memory carved at start-up; copies of the value share it (the event loop and
/// the DTLS listener, which the gateway ticks, hold one each).
struct DTLSQueue {
    let region: UnsafeMutableRawBufferPointer
    let lengths: UnsafeMutableBufferPointer<Int32>
    let sessions: UnsafeMutableBufferPointer<Int32>
    let state: UnsafeMutableBufferPointer<Int>
    let datagramBytes: Int

    /// An inert queue (no DTLS listener): takes nothing.
    init() {
        region = UnsafeMutableRawBufferPointer(start: nil, count: 0)
        lengths = UnsafeMutableBufferPointer(start: nil, count: 0)
        sessions = UnsafeMutableBufferPointer(start: nil, count: 0)
        state = UnsafeMutableBufferPointer(start: nil, count: 0)
        datagramBytes = 0
    }

    init(slots: Int, datagramBytes: Int, arena: inout Arena) {
        region = UnsafeMutableRawBufferPointer(arena.carve(slots * datagramBytes, of: UInt8(0)))
        lengths = arena.carve(slots, of: Int32(0))
        sessions = arena.carve(slots, of: Int32(-1))
        // [0] queued count, [1] send failures, [2] withheld (commit not done), [3] no room,
        // [4] bytes withheld.
        state = arena.carve(5, of: 0)
        self.datagramBytes = datagramBytes
    }

    var count: Int { state.count > 0 ? state[0] : 0 }
    var capacity: Int { lengths.count }
    var sendFailures: Int { state.count > 0 ? state[1] : 0 }
    var withheld: Int { state.count > 0 ? state[2] : 0 }
    var noRoom: Int { state.count > 0 ? state[3] : 0 }
    var withheldBytes: Int { state.count > 0 ? state[4] : 0 }

    /// The buffer of the next slot, or nil when the queue is full.
    var nextBuffer: UnsafeMutableRawBufferPointer? {
        let n = count
        if n >= capacity { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: region[n * datagramBytes..<(n + 1) * datagramBytes])
    }

    /// Queues the `length` bytes written into `nextBuffer` for `session`.
    func commit(length: Int, session: Int32) {
        let n = count
        precondition(n < capacity && length <= datagramBytes, "DTLS queue slot")
        lengths[n] = Int32(truncatingIfNeeded: length)
        sessions[n] = session
        state[0] = n + 1
    }

    /// Copies `bytes` in for `session` (a notification); false (and counted) when there is no room.
    @discardableResult
    func queue(_ bytes: UnsafeRawBufferPointer, session: Int32) -> Bool {
        guard let buffer = nextBuffer, bytes.count <= buffer.count else {
            if state.count > 0 { state[3] &+= 1 }
            return false
        }
        buffer.copyMemory(from: bytes)
        commit(length: bytes.count, session: session)
        return true
    }

    /// Encrypts and sends every queued message to its session, then empties the queue.
    func flush(server: Int32) {
        for i in 0..<count {
            let bytes = region.baseAddress!.assumingMemoryBound(to: UInt8.self) + i * datagramBytes
            if chal_dtls_write(server, sessions[i], bytes, lengths[i]) < 0 { state[1] &+= 1 }
        }
        if state.count > 0 { state[0] = 0 }
    }

    /// Drops everything queued (its tick's commit did not complete: the sensors retransmit).
    /// Returns the bytes dropped; `withheld` counts the messages.
    func discard() -> Int {
        let n = count
        var bytes = 0
        for i in 0..<n { bytes += Int(lengths[i]) }
        if state.count > 0 {
            state[2] &+= n
            state[4] &+= bytes
            state[0] = 0
        }
        return bytes
    }
}
