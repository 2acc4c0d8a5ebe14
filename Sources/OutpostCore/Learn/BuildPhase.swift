/// Where a forest build stands (`ForestBuilder.step`).
public enum BuildPhase: UInt8, BitwiseCopyable, Sendable {
    /// No build under way.
    case idle = 0
    /// Growing trees, a bounded number of nodes per step.
    case growing = 1
    /// Scoring the sample with the grown forest, for the decision threshold.
    case scoring = 2
    /// The model image is complete and valid.
    case done = 3
    /// The grown image did not validate (a builder defect; the image is not used).
    case failed = 4
}
