extension ModelStatus {
    /// Records when a newly running model was taken (the counters of files stay).
    /// - Complexity: O(1).
    public mutating func set(nowMs: Int64) {
        precondition(nowMs >= 0, "wall clock before 1970")
        installedMs = nowMs
        learnedSamples = 0
        let seconds = nowMs / 1000
        // A literal bound rather than a widened UInt32.max: widening trips the 32-bit
        // -no-allocations check (docs/FIXED_POINT.md, "32-bit targets").
        let limit: Int64 = 4_294_967_295
        loadedS = seconds > limit ? UInt32.max : UInt32(truncatingIfNeeded: seconds)
    }

    /// Counts a learned model swapped in (`taken`) or a scheduled build skipped, stopping at 65535.
    /// - Complexity: O(1).
    public mutating func countLearned(taken: Bool) {
        if taken {
            if learnedModels < UInt16.max { learnedModels &+= 1 }
        } else if learnSkipped < UInt16.max {
            learnSkipped &+= 1
        }
    }

    /// Counts a model file taken (`taken`) or refused, stopping at 65535.
    /// - Complexity: O(1).
    public mutating func count(taken: Bool) {
        if taken {
            if filesTaken < UInt16.max { filesTaken &+= 1 }
        } else if filesRefused < UInt16.max {
            filesRefused &+= 1
        }
    }
}
