import CHAL
import OutpostCore

/// The uplink's way out: its own UDP client socket to the upstream. Each message is sent at once
/// (the uplink has one exchange in flight, so there is nothing to batch).
struct UplinkSocketSink: DatagramSink {
    /// The client socket, or -1 when there is no upstream.
    var fd: Int32 = -1
    /// One datagram descriptor and its buffer, carved at start-up.
    var datagram = chal_datagram()
    var sent: UInt64 = 0
    /// Messages the kernel refused (the uplink retransmits them like lost ones).
    var dropped: UInt64 = 0

    init() {}

    /// A sink sending through `fd`, with a buffer of `datagramBytes` from `arena`.
    init(fd: Int32, datagramBytes: Int, arena: inout Arena) {
        precondition(fd >= 0 && datagramBytes > 0, "uplink socket and buffer")
        self.fd = fd
        datagram.buffer = arena.carve(datagramBytes, of: UInt8(0)).baseAddress
        datagram.capacity = Int32(truncatingIfNeeded: datagramBytes)
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
