/// The batch in flight: which records it covers and which block is being sent.
struct UplinkBatch: BitwiseCopyable, Sendable {
    /// True for an alert-only batch (moves `alertMark`), false for a records batch (moves the cursor).
    var alertsOnly = false
    /// Encoded pack length in the batch buffer.
    var sizeBytes = 0
    /// Alert batch: its last alert's sequence. Records batch: the cursor after its ACK.
    var endSequence: UInt64 = 0
    /// Log records in the pack.
    var recordCount = 0
    /// Log sequence of the last record encoded in the pack (the one set aside when the upstream
    /// refuses a batch of one record for good).
    var lastRecordSequence: UInt64 = 0
    /// The block being sent and the block size exponent (may shrink on the server's request).
    var blockNumber: UInt32 = 0
    var blockSizeExponent: UInt8 = 6
    var token = CoAPToken()

    var blockBytes: Int { 16 &<< Int(blockSizeExponent) }
    /// True when the pack needs more than one block (then every message carries Block1).
    var isBlockwise: Bool { sizeBytes > blockBytes }
    /// Byte range of the current block.
    var blockStart: Int { Int(blockNumber) * blockBytes }
    var blockEnd: Int { min(sizeBytes, blockStart + blockBytes) }
    var isLastBlock: Bool { blockEnd == sizeBytes }
}
