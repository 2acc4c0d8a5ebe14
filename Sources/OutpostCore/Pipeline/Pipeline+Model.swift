extension Pipeline {
    /// Makes `forest` the running model from the next reading on: the whole model at once (the
    /// caller runs between readings), with its decision threshold for the anomaly alerts.
    ///
    /// - Complexity: O(1).
    public mutating func install(_ forest: ForestModel, origin: ModelOrigin, nowMs: Int64) {
        precondition(origin != .none, "an installed model has an origin")
        self.forest = forest
        model.set(forest, origin: origin, nowMs: nowMs)
        alerts.settings.anomalyThresholdQ16 = Int32(truncatingIfNeeded: min(forest.thresholdScoreQ16, 65_535))
    }
}
