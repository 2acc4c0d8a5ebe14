/// The options a server response may carry, written in ascending option order by `ServerResponse`.
public struct ServerResponseOptions: BitwiseCopyable, Sendable {
    /// ETag (4 bytes) of a body sent in Block2 blocks, so a client can tell the blocks apart.
    public var eTag: UInt32? = nil
    public var observe: UInt32? = nil
    public var contentFormat: UInt16? = nil
    public var maxAgeS: UInt32? = nil
    public var block2: CoAPBlock? = nil
    public var block1: CoAPBlock? = nil
    public var size2: UInt32? = nil
    public var size1: UInt32? = nil

    public init() {}
}
