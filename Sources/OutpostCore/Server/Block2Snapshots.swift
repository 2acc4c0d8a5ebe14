/// Copies of response bodies that are being sent in Block2 blocks (RFC 7959 §2.4), so every block
/// of one transfer comes from the same representation with the same ETag.
///
/// Resources such as `/health` and `/metrics` hold counters that move with every request. Without
/// a copy each block request renders a new body with a new ETag, and a client that checks the ETag
/// (libcoap does) restarts the transfer forever. A transfer is (peer, resource, Content-Format):
/// tokens are not part of it, since clients may use a new token for every block request.
///
/// A fixed number of slots of a fixed size are carved from the arena at start-up. A slot is taken
/// when block 0 is sent and lives `lifetimeMs` from then, so a copy is never older than that: a
/// later block after it is rendered fresh (the client sees a new ETag and starts again, which is
/// right for data that old). A body larger than a slot, or a block 0 while every slot holds a live
/// transfer, is not copied: its later blocks are rendered fresh, as before.
public struct Block2Snapshots {
    /// A copy serves later blocks this long after its block 0.
    public static let lifetimeMs: Int64 = 20_000

    struct Slot: BitwiseCopyable {
        var peer: Endpoint
        /// `Server.transferKey` of the resource.
        var resourceKey: Int
        var contentFormat: UInt16
        /// Message ID of the block 0 request, to recognise its retransmission.
        var block0MessageID: UInt16
        /// ETag sent with every block (FNV-1a of the body).
        var eTag: UInt32
        var lengthBytes: Int
        var takenMs: Int64
        /// The last block was sent: the slot is the first to reuse when none is free.
        var complete: Bool
        var inUse: Bool

        static var empty: Slot {
            Slot(
                peer: .none, resourceKey: 0, contentFormat: 0, block0MessageID: 0, eTag: 0, lengthBytes: 0, takenMs: 0,
                complete: false, inUse: false)
        }
    }

    let slots: UnsafeMutableBufferPointer<Slot>
    let storage: UnsafeMutableRawBufferPointer
    /// Largest body a slot holds.
    public let slotBytes: Int

    /// `slotCount` slots of `slotBytes` bytes each, carved from `arena`.
    public init(arena: inout Arena, slotCount: Int, slotBytes: Int) {
        precondition(slotCount > 0 && slotCount <= 64, "Block2 snapshot count out of range")
        precondition(slotBytes >= 16 && slotBytes <= 1 << 24, "Block2 snapshot size out of range")
        slots = arena.carve(slotCount, of: Slot.empty)
        storage = UnsafeMutableRawBufferPointer(arena.carve(slotCount * slotBytes, of: UInt8(0)))
        self.slotBytes = slotBytes
    }

    /// Arena bytes the slots take after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, slotCount: Int, slotBytes: Int) -> Int {
        let bytes = Arena.bytes(after: offset, slotCount, of: Slot.self)
        return Arena.bytes(after: bytes, slotCount * slotBytes, of: UInt8.self)
    }

    /// Number of slots.
    public var capacity: Int { slots.count }

    /// Slots holding a copy that can still serve blocks at `nowMs`.
    /// - Complexity: O(slots).
    public func liveCount(nowMs: Int64) -> Int {
        var live = 0
        for i in 0..<slots.count where slots[i].inUse && !Block2Snapshots.expired(slots[i], nowMs: nowMs) { live += 1 }
        return live
    }

    /// The live slot of the transfer (`peer`, `resourceKey`, `contentFormat`), or nil. An expired
    /// slot found on the way is freed.
    /// - Complexity: O(slots).
    public mutating func find(_ peer: Endpoint, resourceKey: Int, contentFormat: UInt16, nowMs: Int64) -> Int? {
        guard let index = slotOf(peer, resourceKey: resourceKey, contentFormat: contentFormat) else { return nil }
        if Block2Snapshots.expired(slots[index], nowMs: nowMs) {
            release(slot: index)
            return nil
        }
        return index
    }

    /// Copies `body` as the representation of the transfer (`peer`, `resourceKey`,
    /// `contentFormat`) whose block 0 request had `messageID`; returns the slot, or nil when the
    /// body is larger than a slot or every slot holds another live, unfinished transfer.
    ///
    /// The transfer's own slot is reused (a client asking for block 0 again starts over), else a
    /// free or expired slot, else the oldest slot whose transfer sent its last block.
    /// - Complexity: O(slots + body size).
    public mutating func take(
        _ peer: Endpoint, resourceKey: Int, contentFormat: UInt16, messageID: UInt16, eTag: UInt32,
        body: UnsafeRawBufferPointer, nowMs: Int64
    ) -> Int? {
        let own = slotOf(peer, resourceKey: resourceKey, contentFormat: contentFormat)
        if body.count > slotBytes {
            // A copy of the previous body would serve blocks of a representation the client no
            // longer has: drop it, so later blocks are rendered fresh.
            if let own { release(slot: own) }
            return nil
        }
        guard let index = own ?? reusableSlot(nowMs: nowMs) else { return nil }
        let start = index * slotBytes
        UnsafeMutableRawBufferPointer(rebasing: storage[start..<(start + body.count)]).copyMemory(from: body)
        slots[index] = Slot(
            peer: peer, resourceKey: resourceKey, contentFormat: contentFormat, block0MessageID: messageID, eTag: eTag,
            lengthBytes: body.count, takenMs: nowMs, complete: false, inUse: true)
        return index
    }

    /// The body copied in slot `slot`.
    public func body(slot: Int) -> UnsafeRawBufferPointer {
        precondition(slot >= 0 && slot < slots.count && slots[slot].inUse, "no snapshot in this Block2 slot")
        let start = slot * slotBytes
        return UnsafeRawBufferPointer(rebasing: storage[start..<(start + slots[slot].lengthBytes)])
    }

    /// The ETag of the body in slot `slot`.
    public func eTag(slot: Int) -> UInt32 {
        precondition(slot >= 0 && slot < slots.count && slots[slot].inUse, "no snapshot in this Block2 slot")
        return slots[slot].eTag
    }

    /// Message ID of the block 0 request that filled slot `slot`.
    public func block0MessageID(slot: Int) -> UInt16 {
        precondition(slot >= 0 && slot < slots.count && slots[slot].inUse, "no snapshot in this Block2 slot")
        return slots[slot].block0MessageID
    }

    /// Notes that the last block of slot `slot` was sent. The copy stays until it expires or
    /// its slot is needed (a retransmitted last request is still answered from it).
    public mutating func markComplete(slot: Int) {
        precondition(slot >= 0 && slot < slots.count && slots[slot].inUse, "no snapshot in this Block2 slot")
        slots[slot].complete = true
    }

    /// Frees slot `slot`.
    public mutating func release(slot: Int) {
        precondition(slot >= 0 && slot < slots.count, "Block2 snapshot slot out of range")
        slots[slot] = Slot.empty
    }

    /// Frees the slot of the transfer (`peer`, `resourceKey`, `contentFormat`), if any; true when one was freed.
    @discardableResult
    public mutating func release(_ peer: Endpoint, resourceKey: Int, contentFormat: UInt16) -> Bool {
        guard let index = slotOf(peer, resourceKey: resourceKey, contentFormat: contentFormat) else { return false }
        release(slot: index)
        return true
    }

    /// Frees the slots older than `lifetimeMs`; returns how many.
    /// - Complexity: O(slots).
    @discardableResult
    public mutating func expire(nowMs: Int64) -> Int {
        var freed = 0
        for i in 0..<slots.count where slots[i].inUse && Block2Snapshots.expired(slots[i], nowMs: nowMs) {
            release(slot: i)
            freed += 1
        }
        return freed
    }

    func slotOf(_ peer: Endpoint, resourceKey: Int, contentFormat: UInt16) -> Int? {
        for i in 0..<slots.count {
            let slot = slots[i]
            if slot.inUse && slot.resourceKey == resourceKey && slot.contentFormat == contentFormat && slot.peer == peer {
                return i
            }
        }
        return nil
    }

    /// A free slot, else an expired one, else the oldest complete one, else nil.
    func reusableSlot(nowMs: Int64) -> Int? {
        for i in 0..<slots.count where !slots[i].inUse { return i }
        for i in 0..<slots.count where Block2Snapshots.expired(slots[i], nowMs: nowMs) { return i }
        var oldest: Int? = nil
        for i in 0..<slots.count where slots[i].complete {
            if let o = oldest, slots[o].takenMs <= slots[i].takenMs { continue }
            oldest = i
        }
        return oldest
    }

    /// True when `slot` was taken `lifetimeMs` or more ago (or the clock jumped back across the
    /// representable range: better fresh than wrong).
    @inline(__always)
    static func expired(_ slot: Slot, nowMs: Int64) -> Bool {
        let (ageMs, overflow) = nowMs.subtractingReportingOverflow(slot.takenMs)
        return overflow || ageMs >= lifetimeMs || ageMs < 0
    }
}
