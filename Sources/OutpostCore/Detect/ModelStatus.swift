/// When the running forest was taken, where from, and how many model files were taken or refused
/// since start-up, for `/health` (its identity, the CRC-32C and counts, come from the forest
/// itself); with the on-board learner, its state and counts. Small on purpose: it lives in the
/// pipeline, inside every profile's footprint.
public struct ModelStatus: BitwiseCopyable, Sendable {
    /// When the model was taken, in milliseconds of the gateway's wall clock (0: with the build).
    public var installedMs: Int64 = 0
    /// When the model was taken, in seconds of the gateway's wall clock (0: with the build).
    public var loadedS: UInt32 = 0
    /// Model files taken (start-up and reloads) and refused (the running model stayed); they stop
    /// at 65535.
    public var filesTaken: UInt16 = 0
    public var filesRefused: UInt16 = 0
    /// Rows the running model was learned from on the board (0: it was not learned).
    public var learnedSamples: UInt16 = 0
    /// Models learned on the board and swapped in, and scheduled builds skipped for too few
    /// samples; they stop at 65535.
    public var learnedModels: UInt16 = 0
    public var learnSkipped: UInt16 = 0
    /// What the learner is doing.
    public var learnState = LearnState.off

    public init() {}
}
