/// What `ImageTransferTable.accept` made of one block of an image upload (RFC 7959 §2.3, §2.5).
public enum ImageBlockOutcome: Equatable, Sendable {
    /// Taken into the block buffer (the log gets it before the answer leaves): 2.31 Continue, or
    /// 2.04 Changed for the last block.
    case accepted(last: Bool)
    /// The retransmission of the block just taken (a new message ID): answered again, not stored.
    case repeated
    /// Every transfer slot is taken by a live upload (or the buffer still holds a block): 5.03.
    case busy(retryAfterS: UInt32)
    /// Missing, out of order, a changed Content-Format, or no upload started: 4.08. The peer's
    /// transfer, if any, ends aborted.
    case incomplete
    /// The upload would pass the limit: 4.13 with Size1. The transfer ends aborted.
    case tooLarge
    /// A block with More set whose payload is not exactly the block size: 4.00.
    case badBlockSize
}
