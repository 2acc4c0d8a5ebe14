/// Why a CoAP message could not be written.
public enum CoAPWriteError: Error, Equatable, Sendable {
    /// The caller's buffer is full; the writer is unchanged, the message so far is still valid.
    case noRoom
}
