/// Reassembles request bodies sent in Block1 blocks (RFC 7959) in a fixed number of slots, each a
/// fixed-size buffer carved from the arena at start-up.
///
/// A slot belongs to one peer (endpoint) from its block 0 until the last block, a mismatch, or
/// `idleLimitMs` without a block. Blocks must arrive in order; a retransmission of the block just
/// stored (same number, new message ID) is acknowledged again without storing it twice. A new
/// block 0 from the same peer restarts its upload. When every slot is taken by a live upload, a
/// block 0 is refused with 5.03 and a Max-Age that says when the oldest upload may time out.
public struct Block1Reassembly {
    /// A slot untouched this long is freed (the client is gone or gave up).
    public static let idleLimitMs: Int64 = 30_000

    struct Slot: BitwiseCopyable {
        var peer: Endpoint
        var lastActiveMs: Int64
        var receivedBytes: Int
        /// Number and size of the last block stored (to recognise its retransmission).
        var lastNumber: UInt32
        var lastBlockBytes: Int
        var contentFormat: UInt16
        var inUse: Bool
    }

    let slots: UnsafeMutableBufferPointer<Slot>
    let storage: UnsafeMutableRawBufferPointer
    /// Largest body a slot holds.
    public let slotBytes: Int

    /// `slotCount` slots of `slotBytes` bytes each, carved from `arena`.
    public init(arena: inout Arena, slotCount: Int, slotBytes: Int) {
        precondition(slotCount > 0 && slotCount <= 256, "Block1 slot count out of range")
        precondition(slotBytes >= 16 && slotBytes <= 1 << 24, "Block1 slot size out of range")
        let filler = Slot(
            peer: .none, lastActiveMs: 0, receivedBytes: 0, lastNumber: 0, lastBlockBytes: 0, contentFormat: 0, inUse: false)
        slots = arena.carve(slotCount, of: filler)
        storage = UnsafeMutableRawBufferPointer(arena.carve(slotCount * slotBytes, of: UInt8(0)))
        self.slotBytes = slotBytes
    }

    /// Arena bytes the slots take after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, slotCount: Int, slotBytes: Int) -> Int {
        let bytes = Arena.bytes(after: offset, slotCount, of: Slot.self)
        return Arena.bytes(after: bytes, slotCount * slotBytes, of: UInt8.self)
    }

    /// Slots holding an upload.
    public var busyCount: Int {
        var busy = 0
        for i in 0..<slots.count where slots[i].inUse { busy += 1 }
        return busy
    }

    /// Takes one block of `peer`'s upload.
    /// - Complexity: O(slots + payload size).
    public mutating func accept(
        _ peer: Endpoint, block: CoAPBlock, contentFormat: UInt16, payload: UnsafeRawBufferPointer, nowMs: Int64
    ) -> Block1Outcome {
        if block.more && payload.count != block.sizeBytes { return releasing(slotOf(peer), .badBlockSize) }
        if !block.more && payload.count > block.sizeBytes { return releasing(slotOf(peer), .badBlockSize) }
        let offset = block.offsetBytes
        var index: Int
        if block.number == 0 {
            guard let free = slotOf(peer) ?? freeSlot(nowMs: nowMs) else { return .busy(retryAfterS: retryAfterS(nowMs: nowMs)) }
            index = free
            slots[index] = Slot(
                peer: peer, lastActiveMs: nowMs, receivedBytes: 0, lastNumber: 0, lastBlockBytes: 0,
                contentFormat: contentFormat, inUse: true)
        } else {
            guard let own = slotOf(peer) else { return .incomplete }
            index = own
            let slot = slots[index]
            if slot.contentFormat != contentFormat { return releasing(index, .incomplete) }
            let isRepeat = slot.lastBlockBytes > 0 && block.number == slot.lastNumber
                && offset + payload.count == slot.receivedBytes && block.more
            if isRepeat {
                slots[index].lastActiveMs = nowMs
                return .stored
            }
            if offset != slot.receivedBytes { return releasing(index, .incomplete) }
        }
        if offset > slotBytes || payload.count > slotBytes - offset { return releasing(index, .tooLarge) }
        let start = index * slotBytes + offset
        for i in 0..<payload.count { storage[start + i] = payload[i] }
        slots[index].receivedBytes = offset + payload.count
        slots[index].lastNumber = block.number
        slots[index].lastBlockBytes = payload.count
        slots[index].lastActiveMs = nowMs
        return block.more ? .stored : .complete(slot: index)
    }

    /// The body assembled in slot `slot`.
    public func body(slot: Int) -> UnsafeRawBufferPointer {
        precondition(slot >= 0 && slot < slots.count && slots[slot].inUse, "no upload in this Block1 slot")
        let start = slot * slotBytes
        return UnsafeRawBufferPointer(rebasing: storage[start..<(start + slots[slot].receivedBytes)])
    }

    /// Frees slot `slot`.
    public mutating func release(slot: Int) {
        precondition(slot >= 0 && slot < slots.count, "Block1 slot out of range")
        slots[slot].inUse = false
        slots[slot].peer = .none
    }

    /// Frees the slots idle for `idleLimitMs`; returns how many.
    /// - Complexity: O(slots).
    @discardableResult
    public mutating func expire(nowMs: Int64) -> Int {
        var freed = 0
        for i in 0..<slots.count where slots[i].inUse && Block1Reassembly.idle(slots[i], nowMs: nowMs) {
            release(slot: i)
            freed += 1
        }
        return freed
    }

    /// Live uploads held by peers of `peer`'s source (same address, any port), `peer`'s own
    /// upload not counted: the per-source cap of `Server.postReadings`.
    /// - Complexity: O(slots).
    public func heldByOthersOfSource(_ peer: Endpoint, nowMs: Int64) -> Int {
        let key = SourceTable.key(of: peer)
        var held = 0
        for i in 0..<slots.count where slots[i].inUse && slots[i].peer != peer && !Block1Reassembly.idle(slots[i], nowMs: nowMs) {
            if SourceTable.key(of: slots[i].peer) == key { held += 1 }
        }
        return held
    }

    func slotOf(_ peer: Endpoint) -> Int? {
        for i in 0..<slots.count where slots[i].inUse && slots[i].peer == peer { return i }
        return nil
    }

    /// A free slot, or one whose upload went idle.
    mutating func freeSlot(nowMs: Int64) -> Int? {
        for i in 0..<slots.count where !slots[i].inUse { return i }
        for i in 0..<slots.count where Block1Reassembly.idle(slots[i], nowMs: nowMs) { return i }
        return nil
    }

    /// Whole seconds (at least 1) until the least recently active upload times out.
    func retryAfterS(nowMs: Int64) -> UInt32 {
        var oldest = nowMs
        for i in 0..<slots.count where slots[i].lastActiveMs < oldest { oldest = slots[i].lastActiveMs }
        let (leftMs, overflow) = (oldest &+ Block1Reassembly.idleLimitMs).subtractingReportingOverflow(nowMs)
        if overflow || leftMs <= 1000 { return 1 }
        let seconds = (leftMs + 999) / 1000
        return UInt32(truncatingIfNeeded: seconds > 60 ? 60 : seconds)
    }

    @inline(__always)
    static func idle(_ slot: Slot, nowMs: Int64) -> Bool {
        let (quietMs, overflow) = nowMs.subtractingReportingOverflow(slot.lastActiveMs)
        return overflow || quietMs >= idleLimitMs
    }

    mutating func releasing(_ slot: Int?, _ outcome: Block1Outcome) -> Block1Outcome {
        if let slot { release(slot: slot) }
        return outcome
    }
}
