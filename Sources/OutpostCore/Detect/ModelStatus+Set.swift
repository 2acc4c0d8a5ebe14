extension ModelStatus {
    /// Records `forest` as the running model (the counters of files stay).
    /// - Complexity: O(1).
    public mutating func set(_ forest: ForestModel, origin: ModelOrigin, nowMs: Int64) {
        self.origin = origin
        checksum = forest.checksum
        trees = forest.treeCount
        nodes = forest.nodeCount
        features = forest.featureCount
        loadedMs = nowMs
    }
}
