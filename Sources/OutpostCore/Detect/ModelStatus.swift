/// The running forest's identity for `/health`: where it came from, its CRC-32C and size, when
/// it was taken, and how many model files were taken or refused since start-up.
public struct ModelStatus: BitwiseCopyable, Sendable {
    public var origin = ModelOrigin.none
    /// The model's CRC-32C trailer (0 without a forest).
    public var checksum: UInt32 = 0
    public var trees = 0
    public var nodes = 0
    public var features = 0
    /// When the model was taken, on the gateway's wall clock (0: with the build, never loaded).
    public var loadedMs: Int64 = 0
    /// Model files taken (start-up and reloads) and refused (the running model stayed).
    public var filesTaken: UInt64 = 0
    public var filesRefused: UInt64 = 0

    public init() {}
}
