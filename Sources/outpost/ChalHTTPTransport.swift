import CHAL
import OutpostCore

/// The HTTP server's byte stream on CHAL's non-blocking TCP calls.
struct ChalHTTPTransport: HTTPTransport {
    mutating func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let n = chal_tcp_receive(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), buffer.count.wide)
        if n == CHAL_EAGAIN.wide { return HTTPTransportResult.wouldBlock }
        // Any other negative errno is a failed connection; keep it below wouldBlock.
        if n < 0 { return n == -1 ? -2 : n.narrow }
        return n.narrow
    }

    mutating func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let n = chal_tcp_send(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count.wide)
        if n == CHAL_EAGAIN.wide { return 0 }
        return n < 0 ? -2 : n.narrow
    }

    mutating func close(_ fd: Int32) {
        _ = chal_close(fd)
    }

    mutating func shutdownSend(_ fd: Int32) {
        _ = chal_tcp_shutdown_send(fd)
    }
}
