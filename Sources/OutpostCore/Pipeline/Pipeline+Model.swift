extension Pipeline {
    /// Makes `forest` the running model from the next reading on: the whole model at once (the
    /// caller runs between readings), with its decision threshold for the anomaly alerts.
    ///
    /// - Complexity: O(1).
    public mutating func install(_ forest: ForestModel, nowMs: Int64) {
        precondition(Pipeline.forestPossible, "the profile runs no forest")
        self.forest = forest
        // A model with context inputs starts from fresh history: what the store holds was kept
        // under another model, or not kept at all while the running model needed none.
        if Pipeline.contextPossible && forest.usesContext { contexts.reset(count: sensors.count) }
        model.set(nowMs: nowMs)
        alerts.settings.anomalyThresholdQ16 = Int32(truncatingIfNeeded: min(forest.thresholdScoreQ16, 65_535))
    }

    /// True when the profile can run a forest at all: a baked model, or room for a model file.
    /// A compile-time constant per profile, so the thresholds-only build leaves the forest out.
    @inline(__always)
    public static var forestPossible: Bool { P.modelCapacity.allowsModel || P.modelBytes != nil }

    /// True when the profile keeps sensor history for context inputs: a compile-time constant per
    /// profile, so a build without it links no context code.
    @inline(__always)
    public static var contextPossible: Bool { forestPossible && P.contextSensorCount > 0 }

    /// Where the running forest came from: the profile's baked bytes, a model learned on the
    /// board, or a model file (both in an arena slot).
    /// - Complexity: O(1).
    public var modelOrigin: ModelOrigin {
        guard let forest else { return .none }
        if UnsafeRawPointer(forest.base) == P.modelBytes?.baseAddress { return .baked }
        return model.learnedSamples > 0 ? .learned : .file
    }
}
