/// The byte stream under the HTTP server: the daemon implements it on CHAL's TCP calls, tests and
/// the fuzz target on memory. Every call is non-blocking.
public protocol HTTPTransport {
    /// Reads what is waiting on connection `fd` into `buffer`: the byte count (> 0), 0 when the
    /// peer closed its side, `HTTPTransportResult.wouldBlock` when nothing is waiting, or
    /// another negative value when the connection failed.
    mutating func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int
    /// Writes as much of `bytes` as the connection takes now: the count (0 when none fit), or a
    /// negative value when the connection failed.
    mutating func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int
    /// Closes connection `fd`.
    mutating func close(_ fd: Int32)
    /// Shuts the sending side of `fd` (the client sees the end of the answer; reading goes on).
    mutating func shutdownSend(_ fd: Int32)
}

/// Special results of `HTTPTransport.receive`.
public enum HTTPTransportResult {
    /// Nothing waiting now.
    public static let wouldBlock = -1
}
