/// Where the running forest came from, for `/health`.
public enum ModelOrigin: UInt8, BitwiseCopyable, Sendable {
    /// No forest: the thresholds only.
    case none = 0
    /// Baked into the build (`Profiles/<name>/model.opm`).
    case baked = 1
    /// A model file (`--model`), read at start-up or on SIGHUP.
    case file = 2
    /// Learned on the board from recent normal readings (`--retrain-every`).
    case learned = 3

    /// The name `/health` shows.
    public var name: StaticString {
        switch self {
        case .none: return "none"
        case .baked: return "baked"
        case .file: return "file"
        case .learned: return "learned"
        }
    }
}
