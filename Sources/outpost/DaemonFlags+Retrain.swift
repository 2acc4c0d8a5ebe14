#if !OUTPOST_PROFILE_LOW
import OutpostCore
import OutpostProfiles

extension DaemonFlags {
    /// `--retrain-every`, `--retrain-window`, `--retrain-seed` (docs/CONFIG.md): refused in a
    /// profile that does not learn on the board, and out of range with the range named.
    /// - Complexity: O(value bytes).
    mutating func setRetrain(_ key: ConfigKey, _ value: UnsafeRawBufferPointer) -> Refusal? {
        let capacity = ActiveProfile.retrainSampleCount
        if capacity == 0 { return Refusal(reason: "is not in this build (only the high profile learns on the board)") }
        switch key {
        case .retrainEvery:
            guard let seconds = ConfigValue.count(value), seconds <= DaemonFlags.retrainEveryMaxS else {
                return Refusal(reason: "wants seconds, 0 (no learning on the board) to 86400")
            }
            retrainEveryS = seconds
        case .retrainWindow:
            guard let rows = ConfigValue.count(value), rows >= ForestBuilder.minimumRows.wide, rows <= capacity.wide else {
                return Refusal(reason: "wants a row count, 64 to the profile's retrainSampleCount (1000 on high)")
            }
            retrainWindow = rows
        default:
            guard let seed = ConfigValue.count(value) else { return Refusal(reason: "wants a seed, a whole number 0 or more") }
            retrainSeed = seed
        }
        return nil
    }
}
#endif
