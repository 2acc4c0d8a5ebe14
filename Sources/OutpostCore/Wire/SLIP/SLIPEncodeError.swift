/// Why a frame could not be SLIP-encoded.
public enum SLIPEncodeError: Error, Equatable, Sendable {
    /// The output buffer is smaller than the encoded frame (`SLIPEncoder.encodedCount`).
    case noRoom
}
