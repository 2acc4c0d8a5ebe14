/// What `Block1Reassembly.accept` made of one block of a request body (RFC 7959 §2.3, §2.5).
public enum Block1Outcome: Equatable, Sendable {
    /// Stored (or a retransmission of the block just stored): answer 2.31 Continue.
    case stored
    /// The last block: the whole body is in slot `slot`; decode it, then `release(slot:)`.
    case complete(slot: Int)
    /// Every slot holds another peer's upload: answer 5.03 with Max-Age `retryAfterS`.
    case busy(retryAfterS: UInt32)
    /// A block that does not continue this peer's upload (missing, out of order, or no upload
    /// started): answer 4.08 Request Entity Incomplete. The peer's slot, if any, is freed.
    case incomplete
    /// The body would exceed the slot: answer 4.13 with Size1. The slot is freed.
    case tooLarge
    /// A block with More set whose payload is not exactly the block size: answer 4.00.
    case badBlockSize
}
