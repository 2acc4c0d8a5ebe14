/// One binary upload in progress (`ImageTransferTable`): whose it is, where it stands, and what
/// the log has of it.
struct ImageTransfer: BitwiseCopyable {
    /// Free, receiving blocks, or ended without its last block and owing the log its abort record.
    static let free: UInt8 = 0
    static let active: UInt8 = 1
    static let abortPending: UInt8 = 2

    var peer: Endpoint
    var camera: SensorName
    var id: UInt32
    /// Index of the next chunk record of this transfer.
    var nextChunk: UInt32
    /// Bytes accepted so far: the offset the next block must start at.
    var receivedBytes: Int
    /// Number and size of the last block accepted (to recognise its retransmission).
    var lastNumber: UInt32
    var lastBlockBytes: Int
    var lastActiveMs: Int64
    var contentFormat: UInt16
    var state: UInt8

    static var empty: ImageTransfer {
        ImageTransfer(
            peer: .none, camera: SensorName(), id: 0, nextChunk: 0, receivedBytes: 0, lastNumber: 0, lastBlockBytes: 0,
            lastActiveMs: 0, contentFormat: 0, state: free)
    }
}
