import CHAL
import OutpostCore

/// The gateway's datagram transport in the daemon: one UDP socket per listener, a batch received
/// with one `recvmmsg` into carved buffers, the tick's released responses sent with one `sendmmsg`
/// per socket. Readiness comes from the event loop's poll (`readable`).
struct UDPTransport: DatagramTransport {
    /// Kernel receive buffer asked for per socket.
    static var receiveBufferBytes: Int32 { 4 * 1024 * 1024 }

    /// Open sockets, one per listener (-1 until opened).
    let sockets: UnsafeMutableBufferPointer<Int32>
    /// Where each socket is bound (port 0 resolved).
    let boundAddresses: UnsafeMutableBufferPointer<chal_address>
    /// Endpoint kind per listener, for routing notifications.
    let kinds: UnsafeMutableBufferPointer<UInt8>
    /// Set by the loop after its poll: which sockets have datagrams waiting.
    let readable: UnsafeMutableBufferPointer<Bool>
    /// Receive descriptors with their buffers (`batchSize` of them, reused by every socket).
    let receiveSlots: UnsafeMutableBufferPointer<chal_datagram>
    /// Descriptors gathered per socket for one `sendmmsg`.
    let gathered: UnsafeMutableBufferPointer<chal_datagram>

    /// Carves the descriptors and buffers for `listeners` sockets, `batchSize` datagrams of up to
    /// `datagramBytes` per receive, `sendSlots` per send; the sockets are opened by `open`.
    init(listeners: UnsafeBufferPointer<chal_address>, batchSize: Int, datagramBytes: Int, sendSlots: Int, arena: inout Arena) {
        precondition(listeners.count > 0, "at least one listener")
        precondition(batchSize > 0 && batchSize <= Int(CHAL_BATCH_MAX), "batch size out of range")
        sockets = arena.carve(listeners.count, of: Int32(-1))
        boundAddresses = arena.carve(listeners.count, of: chal_address())
        kinds = arena.carve(listeners.count, of: UInt8(0))
        readable = arena.carve(listeners.count, of: false)
        for i in 0..<listeners.count {
            kinds[i] = Int(listeners[i].family) == Int(CHAL_FAMILY_IPV6) ? Endpoint.kindIPv6 : Endpoint.kindIPv4
        }
        receiveSlots = arena.carve(batchSize, of: chal_datagram())
        for i in 0..<batchSize {
            // One byte more than the largest datagram, so an oversize one is seen as such.
            receiveSlots[i].buffer = arena.carve(datagramBytes + 1, of: UInt8(0)).baseAddress
            receiveSlots[i].capacity = Int32(truncatingIfNeeded: datagramBytes + 1)
        }
        gathered = arena.carve(min(sendSlots, Int(CHAL_BATCH_MAX)), of: chal_datagram())
    }

    /// Opens listener `index` at `address`; returns 0 or a negative errno.
    mutating func open(_ index: Int, at address: chal_address) -> Int32 {
        var address = address
        let fd = chal_udp_open(&address, UDPTransport.receiveBufferBytes)
        if fd < 0 { return fd }
        sockets[index] = fd
        var bound = chal_address()
        if chal_udp_local_address(fd, &bound) == 0 { boundAddresses[index] = bound } else { boundAddresses[index] = address }
        return 0
    }

    var channelCount: Int { sockets.count }
    var receiveCapacity: Int { receiveSlots.count }
    func channelKind(_ channel: Int) -> UInt8 { kinds[channel] }
    func isReadable(channel: Int) -> Bool { readable[channel] }

    mutating func receive(channel: Int) -> Int {
        let received = chal_udp_receive_batch(sockets[channel], receiveSlots.baseAddress!, Int32(truncatingIfNeeded: receiveSlots.count))
        return Int(received)
    }

    func received(_ index: Int) -> GatewayDatagram {
        let datagram = receiveSlots[index]
        return GatewayDatagram(
            bytes: UnsafeRawBufferPointer(start: datagram.buffer, count: Int(datagram.length)),
            peer: Endpoints.endpoint(datagram.peer), truncated: datagram.truncated != 0)
    }

    /// One `sendmmsg` per socket (in chunks of `gathered.count`), counting what the kernel took.
    /// - Complexity: O(queue × sockets).
    mutating func send(_ queue: inout GatewaySendQueue) {
        if queue.count == 0 { return }
        for socket in 0..<sockets.count {
            var n = 0
            for i in 0..<queue.count {
                let datagram = queue.datagram(i)
                if Int(datagram.channel) != socket { continue }
                gathered[n].buffer = UnsafeMutablePointer(mutating: datagram.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
                gathered[n].capacity = Int32(truncatingIfNeeded: datagram.bytes.count)
                gathered[n].length = Int32(truncatingIfNeeded: datagram.bytes.count)
                gathered[n].peer = Endpoints.address(datagram.peer)
                n += 1
                if n == gathered.count {
                    flush(socket: socket, count: n, counters: &queue.counters)
                    n = 0
                }
            }
            if n > 0 { flush(socket: socket, count: n, counters: &queue.counters) }
        }
    }

    func flush(socket: Int, count n: Int, counters: inout GatewaySendCounters) {
        let sent = chal_udp_send_batch(sockets[socket], gathered.baseAddress!, Int32(truncatingIfNeeded: n))
        if sent < 0 {
            counters.sendErrors &+= 1
            counters.dropped &+= UInt64(bitPattern: n.wide)
        } else {
            counters.sent &+= UInt64(bitPattern: sent.wide)
            counters.dropped &+= UInt64(bitPattern: (n - Int(sent)).wide)
        }
    }

    func closeAll() {
        for i in 0..<sockets.count where sockets[i] >= 0 { _ = chal_close(sockets[i]) }
    }
}
