/// The datagrams one tick sends: responses written in place by `Server.handle`, and the
/// notifications the server emits in its tick. Nothing leaves before the gateway releases the
/// queue after the tick's commit (`Gateway.tick`).
///
/// Responses are packed one after another into one byte region rather than one maximum-size buffer
/// per slot: most answers are a few bytes (2.04 Changed, an ACK), so a tick can answer several
/// receive batches from the memory one batch of worst-case answers needs, and the pages a tick
/// touches follow what it actually sends. `nextBuffer` always offers `datagramBytes` (a worst-case
/// answer); `canTake(_:)` tells whether another whole batch of worst-case answers fits.
///
/// Descriptors and the region are carved from the arena at start-up; `channel` says which channel
/// a datagram leaves by (the one its request came in on; a notification leaves by the first
/// channel of the peer's address kind, or by the attachments for a peer they own, `Endpoint.isAttached`).
public struct GatewaySendQueue: DatagramSink {
    /// The channel of datagrams an attachment delivers (a serial or DTLS peer), not the transport.
    public static var attachmentChannel: Int32 { -1 }

    let slots: UnsafeMutableBufferPointer<GatewayOutbound>
    /// Where the responses' bytes go, packed in order of `slots`.
    let region: UnsafeMutableRawBufferPointer
    /// Largest datagram one response may be.
    public let datagramBytes: Int
    /// Endpoint kind (`Endpoint.kindIPv4`/`kindIPv6`) of each transport channel, to route
    /// notifications.
    let channelKinds: UnsafeMutableBufferPointer<UInt8>
    public private(set) var count = 0
    /// Bytes of `region` in use by the queued datagrams.
    public private(set) var usedBytes = 0
    public var counters = GatewaySendCounters()

    /// `slotCount` descriptors over a region for `regionDatagrams` worst-case (`datagramBytes`)
    /// answers; `channelKinds` gives each transport channel's endpoint kind.
    public init(slotCount: Int, regionDatagrams: Int, datagramBytes: Int, channelKinds: UnsafeBufferPointer<UInt8>, arena: inout Arena) {
        precondition(slotCount > 0, "send queue out of range")
        precondition(regionDatagrams > 0 && regionDatagrams <= slotCount, "send region out of range")
        precondition(datagramBytes > 0, "datagram size")
        precondition(channelKinds.count > 0, "at least one channel")
        slots = arena.carve(slotCount, of: GatewayOutbound(bytes: UnsafeRawBufferPointer(start: nil, count: 0), peer: .none, channel: 0))
        region = UnsafeMutableRawBufferPointer(arena.carve(regionDatagrams * datagramBytes, of: UInt8(0)))
        self.datagramBytes = datagramBytes
        self.channelKinds = arena.carve(channelKinds.count, of: UInt8(0))
        for i in 0..<channelKinds.count { self.channelKinds[i] = channelKinds[i] }
    }

    /// Arena bytes `init` carves after `offset`, padding included.
    public static func arenaBytes(after offset: Int, slotCount: Int, regionDatagrams: Int, datagramBytes: Int, channels: Int) -> Int {
        var bytes = Arena.bytes(after: offset, slotCount, of: GatewayOutbound.self)
        bytes = Arena.bytes(after: bytes, regionDatagrams * datagramBytes, of: UInt8.self)
        return Arena.bytes(after: bytes, channels, of: UInt8.self)
    }

    /// Descriptors in the queue.
    public var capacity: Int { slots.count }

    /// The `index`-th queued datagram.
    public func datagram(_ index: Int) -> GatewayOutbound {
        precondition(index >= 0 && index < count, "no such queued datagram")
        return slots[index]
    }

    /// Room for the next response (`datagramBytes`, the most one may take), or nil when the queue
    /// has no slot or no region bytes left.
    public var nextBuffer: UnsafeMutableRawBufferPointer? {
        if count == slots.count || region.count - usedBytes < datagramBytes { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: region[usedBytes..<(usedBytes + datagramBytes)])
    }

    /// Whether `datagrams` more worst-case responses fit (slots and region bytes alike).
    public func canTake(_ datagrams: Int) -> Bool {
        slots.count - count >= datagrams && region.count - usedBytes >= datagrams * datagramBytes
    }

    /// Takes the response written into `nextBuffer` (`length` bytes) for `peer` via `channel`.
    public mutating func commit(length: Int, to peer: Endpoint, channel: Int32) {
        precondition(count < slots.count && length > 0 && length <= datagramBytes, "bad commit")
        precondition(region.count - usedBytes >= length, "response beyond the send region")
        slots[count] = GatewayOutbound(
            bytes: UnsafeRawBufferPointer(start: region.baseAddress! + usedBytes, count: length), peer: peer, channel: channel)
        count += 1
        // Kept 8-byte aligned so the next response starts on a word, as a carved buffer would.
        usedBytes = min(region.count, usedBytes + (length + 7) & ~7)
    }

    /// Drops every queued datagram (after sending, or a tick that answers nothing).
    public mutating func discard() {
        count = 0
        usedBytes = 0
    }

    /// Drops the queued datagrams that may acknowledge something and keeps the rest (a tick whose
    /// commit did not complete: what it appended, and what the duplicate cache answers for earlier
    /// ticks, is not on the disk yet). Returns how many were dropped.
    ///
    /// What may acknowledge: an empty message (the empty ACK of a CON reading sent with
    /// No-Response), and every 2.xx success but 2.05 Content (2.04 Changed for readings, 2.31
    /// Continue for a block). What is kept answers without acknowledging anything: 2.05 (a GET
    /// such as `/health`, a notification) and every error, above all the 5.03 that refuses a
    /// reading the log cannot take. Why: withholding every answer left the daemon silent for as
    /// long as the condition lasted, `/health` included, while the documented behaviour of a
    /// full disk is to refuse readings with 5.03.
    /// - Complexity: O(count).
    public mutating func discardAcknowledgements() -> Int {
        var kept = 0
        for i in 0..<count {
            let bytes = slots[i].bytes
            let code: UInt8 = bytes.count >= 2 ? bytes[1] : 0
            if GatewaySendQueue.acknowledges(code: code) { continue }
            slots[kept] = slots[i]
            kept += 1
        }
        let dropped = count - kept
        count = kept
        return dropped
    }

    /// True for a response code that may acknowledge a request: the empty message (0.00) and
    /// every 2.xx but 2.05 Content.
    public static func acknowledges(code: UInt8) -> Bool {
        code == 0 || (code &>> 5 == 2 && code != 0x45)
    }

    public var hasRoom: Bool { nextBuffer != nil }

    /// A notification from the server: copied into a slot, leaving by the first channel of the
    /// peer's address kind, or by the attachments for a peer they own (`Endpoint.isAttached`: a
    /// serial line, a DTLS session).
    public mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) {
        var via: Int32 = -2
        if peer.isAttached {
            via = GatewaySendQueue.attachmentChannel
        } else {
            for i in 0..<channelKinds.count where channelKinds[i] == peer.kind {
                via = Int32(truncatingIfNeeded: i)
                break
            }
        }
        guard via != -2, let buffer = nextBuffer, bytes.count <= buffer.count, bytes.count > 0 else {
            counters.unroutable &+= 1
            return
        }
        buffer.copyMemory(from: bytes)
        commit(length: bytes.count, to: peer, channel: via)
    }
}
