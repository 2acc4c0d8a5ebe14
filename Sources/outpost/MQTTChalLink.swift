import CHAL
import OutpostCore

/// The MQTT client's byte stream through CHAL: a non-blocking TCP connect, then (for `mqtts://`)
/// a TLS client session on the same socket (`chal_tls_*`, mbedTLS: the server's certificate
/// verified against the CA file, SNI, an optional client certificate); partial reads and writes.
///
/// TLS allocates (in mbedTLS) only in `open`/`progress`, while a connection is set up and
/// handshakes; reads and writes of a connection that is up do not (docs/MQTT.md §6).
struct MQTTChalLink: MQTTLink {
    var address = chal_address()
    /// The socket, -1 while closed.
    private(set) var fd: Int32 = -1
    /// The last error (negative CHAL code), for the log line of a failed attempt.
    private(set) var lastError: Int32 = 0

    /// `mqtts://`: TLS on the socket, with this configuration (paths NUL-terminated, carved at
    /// start-up) and server name (NUL-terminated: SNI and the name the certificate must carry).
    var tls = false
    var tlsConfig = chal_tls_client_config()
    var serverName: UnsafePointer<UInt8>? = nil
    /// The TLS handle, -1 while none; whether its handshake finished.
    private(set) var tlsHandle: Int32 = -1
    private(set) var handshakeDone = false
    /// The length of a TLS write that returned EAGAIN (0: none), repeated as it was.
    private(set) var tlsRetryCount = 0
    /// Bytes handed to one TLS write at most (one record's plaintext).
    static var tlsWriteBytesMax: Int { 16_384 }
    /// Why the last TLS failure happened (mbedTLS's reason, e.g. "not trusted", "expired").
    let reason: UnsafeMutableRawBufferPointer
    private(set) var reasonCount = 0

    init() { reason = UnsafeMutableRawBufferPointer(start: nil, count: 0) }

    init(address: chal_address, reason: UnsafeMutableRawBufferPointer) {
        self.address = address
        self.reason = reason
    }

    /// The reason text of the last TLS failure (empty when none).
    var reasonText: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(reason)[0..<reasonCount]) }

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
        if tlsHandle < 0 {
            let status = chal_tcp_connect_status(fd)
            if status == CHAL_EINPROGRESS { return MQTTLinkResult.inProgress }
            if status < 0 {
                lastError = status
                return status
            }
            if !tls { return 0 }
            let handle = chal_tls_client_open(&tlsConfig, fd, serverName)
            if handle < 0 { return tlsFailed(handle, textOf: -1) }
            tlsHandle = handle
            handshakeDone = false
        }
        if handshakeDone { return 0 }
        let step = chal_tls_handshake(tlsHandle)
        if step == CHAL_EAGAIN { return MQTTLinkResult.inProgress }
        if step < 0 { return tlsFailed(step, textOf: tlsHandle) }
        handshakeDone = true
        return 0
    }

    /// Keeps a TLS failure's code and reason; returns the code.
    mutating func tlsFailed(_ code: Int32, textOf handle: Int32) -> Int32 {
        lastError = code
        reasonCount = 0
        if reason.count > 0 {
            let n = chal_tls_error_text(handle, reason.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: reason.count))
            reasonCount = n > 0 ? Int(n) : 0
        }
        return code
    }

    /// What the descriptor waits for while connecting: writable for the TCP connect, what the
    /// TLS handshake asks for after that.
    var connectingEvents: Int16 {
        if tlsHandle >= 0 && !handshakeDone { return Int16(truncatingIfNeeded: chal_tls_poll_events(tlsHandle)) }
        return Int16(truncatingIfNeeded: CHAL_POLL_OUT)
    }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if fd < 0 { return Int(CHAL_EBADF) }
        if tls {
            let result = chal_tls_read(tlsHandle, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: buffer.count))
            if result < 0 && result != CHAL_EAGAIN { _ = tlsFailed(result, textOf: tlsHandle) }
            return Int(result)
        }
        let result = chal_read_some(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count.wide)
        if result < 0 && result != CHAL_EAGAIN.wide { lastError = Int32(truncatingIfNeeded: result) }
        return Int(truncatingIfNeeded: result)
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        if fd < 0 { return Int(CHAL_EBADF) }
        if tls {
            // After EAGAIN mbedTLS holds the encrypted record and must be called with the same
            // length (it then flushes and reports that length written): never more than it took.
            let count = tlsRetryCount > 0 ? min(tlsRetryCount, bytes.count) : min(bytes.count, MQTTChalLink.tlsWriteBytesMax)
            let result = chal_tls_write(tlsHandle, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(truncatingIfNeeded: count))
            if result == CHAL_EAGAIN {
                tlsRetryCount = count
            } else {
                tlsRetryCount = 0
                if result < 0 { _ = tlsFailed(result, textOf: tlsHandle) }
            }
            return Int(result)
        }
        let result = chal_write_some(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count.wide)
        if result < 0 && result != CHAL_EAGAIN.wide { lastError = Int32(truncatingIfNeeded: result) }
        return Int(truncatingIfNeeded: result)
    }

    mutating func close() {
        if tlsHandle >= 0 { _ = chal_tls_close(tlsHandle) }
        tlsHandle = -1
        handshakeDone = false
        tlsRetryCount = 0
        if fd >= 0 { _ = chal_close(fd) }
        fd = -1
    }
}
