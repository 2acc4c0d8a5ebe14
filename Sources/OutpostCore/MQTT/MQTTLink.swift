/// The byte stream under the MQTT client: plain TCP now, TLS through the same calls later. The
/// daemon implements it over CHAL (non-blocking sockets); tests implement it in memory. Generic
/// (the client takes `some MQTTLink`), so no existential is needed.
///
/// Results follow CHAL: ≥ 0 success, `MQTTLinkResult.wouldBlock` (-EAGAIN) when the call must be
/// repeated once the descriptor is ready, any other negative value an error (a CHAL error code).
public protocol MQTTLink {
    /// Starts a connection to the broker. 0: connected; `MQTTLinkResult.inProgress`: call
    /// `progress` until it is; negative: failed (the client backs off and calls `open` again).
    mutating func open() -> Int32
    /// Advances a connection `open` started (a TCP connect, later a TLS handshake). 0: ready;
    /// `inProgress`: not yet; negative: failed.
    mutating func progress() -> Int32
    /// Reads up to `buffer.count` bytes: the count (> 0), 0 when the broker closed the stream,
    /// `wouldBlock`, or an error.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int
    /// Writes up to `bytes.count` bytes: the count written (possibly fewer), `wouldBlock`, or an error.
    mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int
    /// Closes the stream (no-op when closed).
    mutating func close()
}

/// The special results of `MQTTLink` calls.
public enum MQTTLinkResult {
    /// EAGAIN: nothing to read, or no room to write, now.
    public static let wouldBlock = -11
    /// A connection (or handshake) still in progress.
    public static let inProgress: Int32 = 1
}
