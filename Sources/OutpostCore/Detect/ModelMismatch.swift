/// Why a well-formed model file does not fit this build: each case names the one thing that
/// differs, so the message can say exactly what (`ModelMismatch+Text.swift`).
public enum ModelMismatch: Equatable, Sendable {
    /// Format version 1 names no profile: the build cannot tell what the model was made for.
    case noProfileName
    /// The model names another profile than this build's.
    case otherProfile
    /// More trees than the profile holds.
    case trees(count: Int, limit: Int)
    /// More nodes than the profile holds.
    case nodes(count: Int, limit: Int)
    /// More inputs than the profile holds.
    case features(count: Int, limit: Int)
    /// Input `index` is not one of the quantities the gateway detects on (by name and code).
    case unknownFeature(index: Int)
    /// Input `index` is a context input (z-score, rate, lag) and this build keeps no sensor history.
    case contextNotInBuild(index: Int)
}
