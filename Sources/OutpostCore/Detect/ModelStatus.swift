/// When the running forest was taken and how many model files were taken or refused since
/// start-up, for `/health` (its origin and identity, the CRC-32C and counts, come from the forest
/// itself). Eight bytes on purpose: it lives in the pipeline, inside every profile's footprint.
public struct ModelStatus: BitwiseCopyable, Sendable {
    /// When the model was taken, in seconds of the gateway's wall clock (0: with the build).
    public var loadedS: UInt32 = 0
    /// Model files taken (start-up and reloads) and refused (the running model stayed); they stop
    /// at 65535.
    public var filesTaken: UInt16 = 0
    public var filesRefused: UInt16 = 0

    public init() {}
}
