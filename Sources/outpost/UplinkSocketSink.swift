import CHAL
import OutpostCore

/// The uplink's link to the upstream: its own UDP client socket. Each message is sent at once
/// (the uplink has one exchange in flight, so there is nothing to batch); the upstream's answers
/// are received in a small batch when the loop's poll found the socket readable.
struct UplinkSocketSink: DatagramSink, DatagramReceiver {
    /// Answers received per batch (the uplink has few exchanges in flight).
    static var receiveSlotCount: Int { 8 }

    /// The client socket, or -1 when there is no upstream.
    var fd: Int32 = -1
    /// One datagram descriptor and its buffer, carved at start-up.
    var datagram = chal_datagram()
    var sent: UInt64 = 0
    /// Messages the kernel refused (the uplink retransmits them like lost ones).
    var dropped: UInt64 = 0
    /// Set by the loop after its poll.
    var readable = false
    /// Receive descriptors with their buffers (empty without an upstream).
    var receiveSlots = UnsafeMutableBufferPointer<chal_datagram>(start: nil, count: 0)

    init() {}

    /// A sink sending through `fd`, with a buffer of `datagramBytes` from `arena`.
    init(fd: Int32, datagramBytes: Int, arena: inout Arena) {
        precondition(fd >= 0 && datagramBytes > 0, "uplink socket and buffer")
        self.fd = fd
        datagram.buffer = arena.carve(datagramBytes, of: UInt8(0)).baseAddress
        datagram.capacity = Int32(truncatingIfNeeded: datagramBytes)
        receiveSlots = arena.carve(UplinkSocketSink.receiveSlotCount, of: chal_datagram())
        for i in 0..<receiveSlots.count {
            receiveSlots[i].buffer = arena.carve(datagramBytes + 1, of: UInt8(0)).baseAddress
            receiveSlots[i].capacity = Int32(truncatingIfNeeded: datagramBytes + 1)
        }
    }

    /// Arena bytes `init(fd:datagramBytes:arena:)` carves, padding included.
    static func arenaBytes(datagramBytes: Int) -> Int {
        (1 + receiveSlotCount) * (datagramBytes + 16) + receiveSlotCount * (MemoryLayout<chal_datagram>.stride + 16) + 64
    }

    var channelCount: Int { 1 }
    var receiveCapacity: Int { receiveSlots.count }
    func channelKind(_ channel: Int) -> UInt8 { Endpoint.kindIPv4 }
    func isReadable(channel: Int) -> Bool { readable && fd >= 0 }

    mutating func receive(channel: Int) -> Int {
        if fd < 0 || receiveSlots.count == 0 { return 0 }
        return Int(chal_udp_receive_batch(fd, receiveSlots.baseAddress!, Int32(truncatingIfNeeded: receiveSlots.count)))
    }

    func received(_ index: Int) -> GatewayDatagram {
        let slot = receiveSlots[index]
        return GatewayDatagram(
            bytes: UnsafeRawBufferPointer(start: slot.buffer, count: Int(slot.length)), peer: Endpoints.endpoint(slot.peer),
            truncated: slot.truncated != 0)
    }

    var hasRoom: Bool { fd >= 0 }

    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) {
        guard fd >= 0, bytes.count <= Int(datagram.capacity), peer.kind != Endpoint.kindSerial else {
            dropped &+= 1
            return
        }
        for i in 0..<bytes.count { datagram.buffer[i] = bytes[i] }
        datagram.length = Int32(truncatingIfNeeded: bytes.count)
        datagram.peer = Endpoints.address(peer)
        if chal_udp_send_batch(fd, &datagram, 1) == 1 { sent &+= 1 } else { dropped &+= 1 }
    }
}
