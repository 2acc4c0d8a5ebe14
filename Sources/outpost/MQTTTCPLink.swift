import CHAL
import OutpostCore

/// The MQTT client's byte stream over a plain TCP socket through CHAL: non-blocking connect,
/// partial reads and writes. The TLS link (CHAL's `chal_tls_*` over the same socket) takes the
/// same place: `open` connects TCP, `progress` then also drives the handshake, and `read` /
/// `write` go through the TLS session.
struct MQTTTCPLink: MQTTLink {
    var address = chal_address()
    /// The socket, -1 while closed.
    private(set) var fd: Int32 = -1
    /// The last error (negative CHAL code), for the log line of a failed attempt.
    private(set) var lastError: Int32 = 0

    init() {}

    init(address: chal_address) { self.address = address }

    mutating func open() -> Int32 {
        close()
        lastError = 0
        var target = address
        let result = chal_tcp_connect(&target)
        if result < 0 {
            lastError = result
            return result
        }
        fd = result
        return progress()
    }

    mutating func progress() -> Int32 {
        if fd < 0 { return CHAL_EBADF }
        let status = chal_tcp_connect_status(fd)
        if status == CHAL_EINPROGRESS { return MQTTLinkResult.inProgress }
        if status < 0 { lastError = status }
        return status
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if fd < 0 { return Int(CHAL_EBADF) }
        let result = chal_read_some(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count.wide)
        if result < 0 && result != CHAL_EAGAIN.wide { lastError = Int32(truncatingIfNeeded: result) }
        return Int(truncatingIfNeeded: result)
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        if fd < 0 { return Int(CHAL_EBADF) }
        let result = chal_write_some(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count.wide)
        if result < 0 && result != CHAL_EAGAIN.wide { lastError = Int32(truncatingIfNeeded: result) }
        return Int(truncatingIfNeeded: result)
    }

    mutating func close() {
        if fd >= 0 { _ = chal_close(fd) }
        fd = -1
    }
}
