/// The binary uploads in progress (`POST /images/{camera}`, RFC 7959 Block1) in a fixed number of
/// slots, and one block buffer: a block is copied there when it is accepted and cut into log
/// records by the next `drain` (before the next request and in every tick), so the gateway holds
/// at most one block of an upload, never the whole image.
///
/// A slot belongs to one peer from its block 0 until the last block, a block out of order, the
/// limit, or `idleLimitMs` without a block; a transfer that ends without its last block owes the
/// log an abort record (`LogImageChunkPayload.flagAborted`), written by the next `drain`, and the
/// slot is free only once it is written. Transfer ids increase across restarts (`restore`).
public struct ImageTransferTable {
    /// A transfer untouched this long ends aborted (the client is gone or gave up).
    public static let idleLimitMs: Int64 = 30_000

    let slots: UnsafeMutableBufferPointer<ImageTransfer>
    /// The block accepted last, until `drain` moves it to the log.
    let buffer: UnsafeMutableRawBufferPointer
    var pendingSlot = -1
    var pendingCount = 0
    var pendingLast = false
    var pendingMs: Int64 = 0
    /// The id the next transfer gets (never 0).
    public internal(set) var nextID: UInt32 = 1
    /// Largest upload accepted in bytes (the profile's `imageBytesMax`, or less by option).
    public var limitBytes: Int

    /// `slotCount` slots and a block buffer of `bufferBytes`, carved from `arena` (nothing when
    /// `slotCount` is 0: no images).
    public init(arena: inout Arena, slotCount: Int, bufferBytes: Int, limitBytes: Int) {
        precondition(slotCount >= 0 && slotCount <= 64, "image transfer count out of range")
        slots = arena.carve(slotCount, of: ImageTransfer.empty)
        buffer = UnsafeMutableRawBufferPointer(arena.carve(slotCount > 0 ? bufferBytes : 0, of: UInt8(0)))
        self.limitBytes = limitBytes
    }

    /// Arena bytes the table takes after `offset` bytes were carved.
    public static func arenaBytes(after offset: Int, slotCount: Int, bufferBytes: Int) -> Int {
        let bytes = Arena.bytes(after: offset, slotCount, of: ImageTransfer.self)
        return Arena.bytes(after: bytes, slotCount > 0 ? bufferBytes : 0, of: UInt8.self)
    }

    public var capacity: Int { slots.count }

    /// Transfers receiving blocks.
    public var activeCount: Int {
        var n = 0
        for i in 0..<slots.count where slots[i].state == ImageTransfer.active { n += 1 }
        return n
    }

    /// Transfers that ended without their last block and whose abort record is not logged yet.
    public var abortsPending: Int {
        var n = 0
        for i in 0..<slots.count where slots[i].state == ImageTransfer.abortPending { n += 1 }
        return n
    }

    /// True while an accepted block waits for `drain`.
    public var hasPendingBlock: Bool { pendingSlot >= 0 }

    /// Takes one block of `peer`'s upload to `camera` (`block` nil: the whole upload in one
    /// request), checking order (RFC 7959 §2.3), block size and the limit. `sourceShare`: the
    /// most live transfers peers of `peer`'s address may hold (its own not counted).
    /// - Complexity: O(slots + payload size).
    public mutating func accept(
        _ peer: Endpoint, camera: SensorName, block: CoAPBlock?, contentFormat: UInt16, payload: UnsafeRawBufferPointer,
        sourceShare: Int, nowMs: Int64
    ) -> ImageBlockOutcome {
        let number = block?.number ?? 0
        let more = block?.more ?? false
        if let block {
            if more && payload.count != block.sizeBytes { return aborting(slotOf(peer), .badBlockSize, nowMs: nowMs) }
            if !more && payload.count > block.sizeBytes { return aborting(slotOf(peer), .badBlockSize, nowMs: nowMs) }
        }
        if payload.count > buffer.count { return .tooLarge }
        let offset = block?.offsetBytes ?? 0
        var index: Int
        if let own = slotOf(peer) {
            let slot = slots[own]
            let isRepeat = slot.lastBlockBytes > 0 && number == slot.lastNumber && more
                && offset + payload.count == slot.receivedBytes && slot.camera == camera
            if isRepeat {
                slots[own].lastActiveMs = nowMs
                return .repeated
            }
        }
        if pendingSlot >= 0 { return .busy(retryAfterS: 1) }
        if number == 0 {
            // A new block 0 from the same peer starts over: the old transfer ends aborted.
            if let own = slotOf(peer) { abort(own) }
            if heldByOthersOfSource(peer, nowMs: nowMs) >= sourceShare { return .busy(retryAfterS: retryAfterS(nowMs: nowMs)) }
            guard let free = freeSlot(nowMs: nowMs) else { return .busy(retryAfterS: retryAfterS(nowMs: nowMs)) }
            index = free
            slots[index] = ImageTransfer(
                peer: peer, camera: camera, id: nextID, nextChunk: 0, receivedBytes: 0, lastNumber: 0, lastBlockBytes: 0,
                lastActiveMs: nowMs, contentFormat: contentFormat, state: ImageTransfer.active)
            nextID = nextID == UInt32.max ? 1 : nextID &+ 1
        } else {
            guard let own = slotOf(peer) else { return .incomplete }
            index = own
            let slot = slots[index]
            if slot.contentFormat != contentFormat || slot.camera != camera || offset != slot.receivedBytes {
                return aborting(index, .incomplete, nowMs: nowMs)
            }
        }
        if offset > limitBytes || payload.count > limitBytes - offset { return aborting(index, .tooLarge, nowMs: nowMs) }
        if payload.count > 0 { buffer.baseAddress!.copyMemory(from: payload.baseAddress!, byteCount: payload.count) }
        pendingSlot = index
        pendingCount = payload.count
        pendingLast = !more
        pendingMs = nowMs
        slots[index].receivedBytes = offset + payload.count
        slots[index].lastNumber = number
        slots[index].lastBlockBytes = payload.count
        slots[index].lastActiveMs = nowMs
        return .accepted(last: !more)
    }

    /// Log records the block of `count` bytes becomes (at least one: an empty last block still
    /// carries the last flag).
    public static func records(forBlockBytes count: Int) -> Int {
        max(1, (count + LogImageChunkPayload.maxChunkBytes - 1) / LogImageChunkPayload.maxChunkBytes)
    }

    /// Moves the pending block and the owed abort records to `consumer`, one `ImageChunk` per log
    /// record. A chunk the consumer refuses ends its transfer aborted (its answer is withheld by
    /// the gateway, so nothing the log lacks is acknowledged); an abort record it refuses is
    /// tried again on the next call. Returns (transfers completed, transfers aborted).
    /// - Complexity: O(slots + block size).
    public mutating func drain<Consumer: OutboxConsumer>(into consumer: inout Consumer, nowMs: Int64) -> (completed: Int, aborted: Int) {
        var completed = 0
        var aborted = 0
        if pendingSlot >= 0 {
            let index = pendingSlot
            pendingSlot = -1
            let slot = slots[index]
            let start = slot.receivedBytes - pendingCount
            let records = ImageTransferTable.records(forBlockBytes: pendingCount)
            var refused = false
            for r in 0..<records {
                let from = r * LogImageChunkPayload.maxChunkBytes
                let to = min(pendingCount, from + LogImageChunkPayload.maxChunkBytes)
                let last = pendingLast && r == records - 1
                let chunk = ImageChunk(
                    camera: slot.camera, transferID: slot.id, chunkIndex: slots[index].nextChunk,
                    offsetBytes: UInt32(truncatingIfNeeded: start + from), contentFormat: slot.contentFormat,
                    flags: last ? LogImageChunkPayload.flagLast : 0,
                    bytes: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[from..<to]), timestampMs: pendingMs)
                if !consumer.consumeImageChunk(chunk) {
                    refused = true
                    break
                }
                slots[index].nextChunk &+= 1
            }
            if refused {
                abort(index)
            } else if pendingLast {
                slots[index] = ImageTransfer.empty
                completed += 1
            }
        }
        for i in 0..<slots.count where slots[i].state == ImageTransfer.abortPending {
            let slot = slots[i]
            let chunk = ImageChunk(
                camera: slot.camera, transferID: slot.id, chunkIndex: slot.nextChunk,
                offsetBytes: UInt32(truncatingIfNeeded: slot.receivedBytes), contentFormat: slot.contentFormat,
                flags: LogImageChunkPayload.flagAborted, bytes: UnsafeRawBufferPointer(start: nil, count: 0), timestampMs: nowMs)
            if consumer.consumeImageChunk(chunk) {
                slots[i] = ImageTransfer.empty
                aborted += 1
            }
        }
        return (completed, aborted)
    }

    /// Ends the transfers idle for `idleLimitMs` (their abort records go with the next `drain`);
    /// returns how many.
    /// - Complexity: O(slots).
    @discardableResult
    public mutating func expire(nowMs: Int64) -> Int {
        var ended = 0
        for i in 0..<slots.count where slots[i].state == ImageTransfer.active && ImageTransferTable.idle(slots[i], nowMs: nowMs) {
            if i == pendingSlot { continue }
            abort(i)
            ended += 1
        }
        return ended
    }

    /// Follows one `imageChunk` record read back from the log at start-up: transfer ids continue
    /// after the highest seen, and a transfer the log holds no end of (the gateway stopped during
    /// it) is noted so the next `drain` logs its abort record. Unfinished transfers beyond the
    /// slots are left (a consumer also discards a transfer that never ends).
    /// - Complexity: O(slots).
    public mutating func restore(_ chunk: LogImageChunkPayload) {
        if chunk.transferID >= nextID { nextID = chunk.transferID == UInt32.max ? 1 : chunk.transferID &+ 1 }
        var index: Int? = nil
        for i in 0..<slots.count where slots[i].state == ImageTransfer.abortPending && slots[i].id == chunk.transferID {
            index = i
        }
        if chunk.isLast || chunk.isAborted {
            if let index { slots[index] = ImageTransfer.empty }
            return
        }
        if index == nil {
            for i in 0..<slots.count where slots[i].state == ImageTransfer.free {
                index = i
                break
            }
        }
        guard let index else { return }
        slots[index] = ImageTransfer(
            peer: .none, camera: chunk.camera, id: chunk.transferID, nextChunk: chunk.chunkIndex &+ 1,
            receivedBytes: Int(truncatingIfNeeded: chunk.offsetBytes) + chunk.bytesCount, lastNumber: 0, lastBlockBytes: 0, lastActiveMs: 0,
            contentFormat: chunk.contentFormat, state: ImageTransfer.abortPending)
    }

    /// Live transfers held by peers of `peer`'s source (same address, any port), `peer`'s own not
    /// counted.
    /// - Complexity: O(slots).
    public func heldByOthersOfSource(_ peer: Endpoint, nowMs: Int64) -> Int {
        if peer.isAttached { return 0 }
        let key = SourceTable.key(of: peer)
        var held = 0
        for i in 0..<slots.count where slots[i].state == ImageTransfer.active && slots[i].peer != peer
            && !ImageTransferTable.idle(slots[i], nowMs: nowMs)
        {
            if SourceTable.key(of: slots[i].peer) == key { held += 1 }
        }
        return held
    }

    func slotOf(_ peer: Endpoint) -> Int? {
        for i in 0..<slots.count where slots[i].state == ImageTransfer.active && slots[i].peer == peer { return i }
        return nil
    }

    /// A free slot; an idle transfer is ended (its abort record owed), so its slot is free after
    /// the next `drain`, not now.
    mutating func freeSlot(nowMs: Int64) -> Int? {
        for i in 0..<slots.count where slots[i].state == ImageTransfer.free { return i }
        _ = expire(nowMs: nowMs)
        return nil
    }

    mutating func abort(_ index: Int) {
        slots[index].state = ImageTransfer.abortPending
        if pendingSlot == index {
            // The block is not logged: the abort record follows what the log has.
            slots[index].receivedBytes -= pendingCount
            pendingSlot = -1
        }
    }

    mutating func aborting(_ index: Int?, _ outcome: ImageBlockOutcome, nowMs: Int64) -> ImageBlockOutcome {
        if let index { abort(index) }
        return outcome
    }

    /// Whole seconds (at least 1) until the least recently active transfer times out.
    func retryAfterS(nowMs: Int64) -> UInt32 {
        var oldest = nowMs
        for i in 0..<slots.count where slots[i].state == ImageTransfer.active && slots[i].lastActiveMs < oldest {
            oldest = slots[i].lastActiveMs
        }
        let (leftMs, overflow) = (oldest &+ ImageTransferTable.idleLimitMs).subtractingReportingOverflow(nowMs)
        if overflow || leftMs <= 1000 { return 1 }
        let seconds = (leftMs + 999) / 1000
        return UInt32(truncatingIfNeeded: seconds > 60 ? 60 : seconds)
    }

    @inline(__always)
    static func idle(_ slot: ImageTransfer, nowMs: Int64) -> Bool {
        let (quietMs, overflow) = nowMs.subtractingReportingOverflow(slot.lastActiveMs)
        return overflow || quietMs >= idleLimitMs
    }
}
