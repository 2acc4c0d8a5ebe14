/// What the on-board learner is doing, for `/health`.
public enum LearnState: UInt8, BitwiseCopyable, Sendable {
    /// No learning on the board (`--retrain-every 0`, or a profile that does not learn).
    case off = 0
    /// Collecting normal readings until the next scheduled build.
    case sampling = 1
    /// A build runs, a slice per tick.
    case building = 2
    /// The last scheduled build did not start: fewer than `ForestBuilder.minimumRows` rows.
    case tooFewSamples = 3
    /// The last build's model was refused (a builder defect: the running model stayed).
    case refused = 4
    /// The running model has context inputs (model format version 3): a sample row holds values,
    /// not a sensor's history, so nothing is learned until a model without them runs.
    case pausedForContext = 5

    /// The name `/health` shows.
    public var name: StaticString {
        switch self {
        case .off: return "off"
        case .sampling: return "sampling"
        case .building: return "building"
        case .tooFewSamples: return "too few samples"
        case .refused: return "refused"
        case .pausedForContext: return "paused: context model"
        }
    }
}
