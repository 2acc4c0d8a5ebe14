import CHAL
import OutpostCore

/// The datagrams one loop tick sends: responses written in place by `Server.handle`, and
/// notifications the server emits in `tick`. Sent per listener with one `sendmmsg` each.
///
/// Responses are packed one after another into one byte region rather than one maximum-size buffer
/// per slot: most answers are a few bytes (2.04 Changed, an ACK), so a tick can answer several
/// receive batches from the memory one batch of worst-case answers needs, and the pages a tick
/// touches follow what it actually sends. `nextBuffer` always offers `datagramBytes` (a worst-case
/// answer); `canTake(_:)` tells the loop whether another whole batch of worst-case answers fits.
///
/// Descriptors and the region are carved from the arena at start-up; `listener` says which socket a
/// slot leaves by (the one its request came in on; a notification leaves by the first listener of
/// the peer's address family).
struct SendBatch: DatagramSink {
    let slots: UnsafeMutableBufferPointer<chal_datagram>
    /// Per slot: the listener index it is sent from.
    let listener: UnsafeMutableBufferPointer<Int32>
    /// Descriptors gathered per listener for one `sendmmsg`.
    let gathered: UnsafeMutableBufferPointer<chal_datagram>
    /// Where the responses' bytes go, packed in order of `slots`.
    let region: UnsafeMutableRawBufferPointer
    /// Largest datagram one response may be.
    let datagramBytes: Int
    var count = 0
    /// Bytes of `region` in use by the queued responses.
    var usedBytes = 0
    /// Serial lines, for notifications to observers on a line (set by the loop before `tick`).
    var lines: UnsafeMutablePointer<SerialLine>? = nil
    var lineCount = 0
    /// Where notifications for DTLS peers go (inert without `--listen-dtls`).
    var dtls = DTLSQueue()
    /// Address families of the listeners (`CHAL_FAMILY_*`), to route notifications.
    let families: UnsafeMutableBufferPointer<UInt8>
    var counters = SendCounters()

    /// `slotCount` descriptors over a region for `regionDatagrams` worst-case (`datagramBytes`) answers.
    init(slotCount: Int, regionDatagrams: Int, datagramBytes: Int, listenerFamilies: UnsafeBufferPointer<UInt8>, arena: inout Arena) {
        precondition(slotCount > 0 && slotCount <= Int(CHAL_BATCH_MAX), "send batch out of range")
        precondition(regionDatagrams > 0 && regionDatagrams <= slotCount, "send region out of range")
        precondition(datagramBytes > 0, "datagram size")
        precondition(listenerFamilies.count > 0, "at least one listener")
        slots = arena.carve(slotCount, of: chal_datagram())
        listener = arena.carve(slotCount, of: Int32(0))
        gathered = arena.carve(slotCount, of: chal_datagram())
        region = UnsafeMutableRawBufferPointer(arena.carve(regionDatagrams * datagramBytes, of: UInt8(0)))
        self.datagramBytes = datagramBytes
        families = arena.carve(listenerFamilies.count, of: UInt8(0))
        for i in 0..<listenerFamilies.count { families[i] = listenerFamilies[i] }
    }

    /// Room for the next response (`datagramBytes`, the most one may take), or nil when the batch
    /// has no slot or no region bytes left.
    var nextBuffer: UnsafeMutableRawBufferPointer? {
        if count == slots.count || region.count - usedBytes < datagramBytes { return nil }
        return UnsafeMutableRawBufferPointer(rebasing: region[usedBytes..<(usedBytes + datagramBytes)])
    }

    /// Whether `datagrams` more worst-case responses fit (slots and region bytes alike).
    func canTake(_ datagrams: Int) -> Bool {
        slots.count - count >= datagrams && region.count - usedBytes >= datagrams * datagramBytes
    }

    /// Takes the response written into `nextBuffer` (`length` bytes) for `peer` via `listenerIndex`.
    mutating func commit(length: Int, to peer: chal_address, listenerIndex: Int) {
        precondition(count < slots.count && length > 0 && length <= datagramBytes, "bad commit")
        precondition(region.count - usedBytes >= length, "response beyond the send region")
        slots[count].buffer = (region.baseAddress! + usedBytes).assumingMemoryBound(to: UInt8.self)
        slots[count].capacity = Int32(truncatingIfNeeded: length)
        slots[count].length = Int32(truncatingIfNeeded: length)
        slots[count].peer = peer
        listener[count] = Int32(truncatingIfNeeded: listenerIndex)
        count += 1
        // Kept 8-byte aligned so the next response starts on a word, as a carved buffer would.
        usedBytes = min(region.count, usedBytes + (length + 7) & ~7)
    }

    /// Drops every queued response (a tick whose commit did not complete answers nothing).
    mutating func discard() {
        count = 0
        usedBytes = 0
    }

    /// Drops the queued datagrams that may acknowledge something and keeps the rest (a tick whose
    /// commit met "no space": what it appended, and what the duplicate cache answers for earlier
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
    mutating func discardAcknowledgements() -> Int {
        var kept = 0
        for i in 0..<count {
            let length = Int(slots[i].length)
            let code: UInt8 = length >= 2 ? slots[i].buffer![1] : 0
            let codeClass = code &>> 5
            let acknowledges = code == 0 || (codeClass == 2 && code != 0x45)
            if acknowledges { continue }
            slots[kept] = slots[i]
            listener[kept] = listener[i]
            kept += 1
        }
        let dropped = count - kept
        count = kept
        return dropped
    }

    var hasRoom: Bool { nextBuffer != nil }

    /// A notification from the server: copied into a slot, or SLIP-queued on a serial line.
    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) {
        if dtls.capacity > 0, let session = Endpoints.dtlsSession(peer) {
            // A DTLS peer's notification goes out encrypted through its session (DTLSQueue), and
            // only while that session still belongs to the same peer (slots are reused).
            var current = chal_address()
            if chal_dtls_session_peer(0, session, &current) == 0 && Endpoints.dtlsEndpoint(current, session: session) == peer {
                dtls.queue(bytes, session: session)
            } else {
                counters.unroutable &+= 1
            }
            return
        }
        if peer.kind == Endpoint.kindSerial {
            let line = Int(peer.scopeOrLine)
            if let lines, line < lineCount {
                _ = lines[line].queue(bytes)
            } else {
                counters.unroutable &+= 1
            }
            return
        }
        let family = peer.kind == Endpoint.kindIPv4 ? UInt8(truncatingIfNeeded: CHAL_FAMILY_IPV4) : UInt8(truncatingIfNeeded: CHAL_FAMILY_IPV6)
        var via = -1
        for i in 0..<families.count where families[i] == family {
            via = i
            break
        }
        guard via >= 0, let buffer = nextBuffer, bytes.count <= buffer.count else {
            counters.unroutable &+= 1
            return
        }
        buffer.copyMemory(from: bytes)
        commit(length: bytes.count, to: Endpoints.address(peer), listenerIndex: via)
    }

    /// Sends every queued datagram, one `sendmmsg` per listener, and empties the batch.
    /// - Complexity: O(count × listeners).
    mutating func flush(sockets: UnsafeBufferPointer<Int32>) {
        precondition(sockets.count == families.count, "one socket per listener")
        if count == 0 { return }
        for socket in 0..<sockets.count {
            var n = 0
            for i in 0..<count where Int(listener[i]) == socket {
                gathered[n] = slots[i]
                n += 1
            }
            if n == 0 { continue }
            let sent = chal_udp_send_batch(sockets[socket], gathered.baseAddress!, Int32(truncatingIfNeeded: n))
            if sent < 0 {
                counters.sendErrors &+= 1
                counters.dropped &+= UInt64(bitPattern: n.wide)
            } else {
                counters.sent &+= UInt64(bitPattern: sent.wide)
                counters.dropped &+= UInt64(bitPattern: (n - Int(sent)).wide)
            }
        }
        discard()
    }
}

/// What the send side did.
struct SendCounters {
    var sent: UInt64 = 0
    /// Datagrams the kernel refused (full buffer, unreachable peer) or a failed socket lost.
    var dropped: UInt64 = 0
    var sendErrors: UInt64 = 0
    /// Notifications for a peer no listener or line can reach.
    var unroutable: UInt64 = 0
}
