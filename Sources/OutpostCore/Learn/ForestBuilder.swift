/// Builds an Isolation Forest on the device, from a `RetrainSample`, into a buffer (a free model
/// slot) as a complete model image of docs/MODEL_FORMAT.md version 2, CRC-32C included, so
/// `ForestModel(bytes:)` and `ModelSlots.take` check it like any model file.
///
/// The algorithm is the host trainer's (`outpost-tool train`) with integer draws: per tree ψ =
/// min(256, n) rows drawn without replacement (a partial Fisher–Yates shuffle), at each node a
/// feature drawn uniformly among those not constant in the node and a split drawn uniformly among
/// the integers [min, max − 1] of it (the host draws a real t in [min, max) and stores ⌊t⌋: the
/// same distribution), growth stopping at the height limit ⌈log₂ ψ⌉, one row, or all features
/// constant; a leaf stores h = depth + c(size) (`PathLength`, integer logarithm). Each tree has
/// its own `LearnRandom` stream (seed, tree), so a build is a function of the sample and the seed.
///
/// The decision threshold flags the share `contaminationQ16` of the sample (the host trainer's
/// `--contamination` rule, default 5 %): the sample's own path sums, the k-th smallest.
///
/// Memory: a row order (UInt16 per sample row) and a path sum (Int64 per row) carved from the
/// arena at start-up, a fixed stack of pending nodes; nothing else. The work runs in `step`s of
/// a bounded number of nodes or rows, so a caller can spread a build over ticks.
public struct ForestBuilder {
    /// Rows of the largest sample.
    public let sampleCapacity: Int
    /// Trees of every learned model.
    public let treeCount: Int
    /// Nodes of all trees at most (the model slot's capacity).
    public let nodeCapacity: Int
    /// Sample positions, permuted per tree; a node holds a contiguous range of them.
    let order: UnsafeMutablePointer<UInt16>?
    /// The sample's path sums under the grown forest (threshold selection).
    let pathSums: UnsafeMutablePointer<Int64>?

    public internal(set) var phase = BuildPhase.idle
    /// The image being written, and its size.
    var image: UnsafeMutableRawPointer? = nil
    var imageCapacity = 0
    var rows: UnsafePointer<Int32>? = nil
    var rowStride = 0
    public internal(set) var rowCount = 0
    public internal(set) var featureCount = 0
    var seed: UInt64 = 0
    var contaminationQ16: UInt32 = 0
    var psi = 0
    var heightLimit = 0
    /// The tree being grown (treeCount once all are).
    var tree = 0
    public internal(set) var nodeCount = 0
    var stack = InlineArray<64, BuildFrame>(repeating: .empty)
    var stackCount = 0
    var random = LearnRandom(seed: 0, stream: 0)
    var scoredRows = 0
    /// The grown forest with a placeholder threshold, for scoring the sample.
    var scorer: ForestModel? = nil
    /// Bytes of the finished image (valid when `phase` is `.done`).
    public internal(set) var byteCount = 0

    /// The largest ψ (rows per tree): the standard 256 (Liu et al.), which keeps a tree under
    /// 511 nodes and its right-child offsets in 16 bits.
    public static let sampleSizeMax = 256
    /// Fewest rows a build takes: fewer cannot make a forest worth swapping in.
    public static let minimumRows = 64
    /// The host trainer's default contamination, 5 % (Q16).
    public static let defaultContaminationQ16: UInt32 = 3277

    /// Carves the scratch for samples of up to `sampleCapacity` rows (nothing for 0).
    /// - Complexity: O(1) in a zeroed arena.
    public init(arena: inout Arena, sampleCapacity: Int, treeCount: Int, nodeCapacity: Int) {
        precondition(sampleCapacity >= 0 && sampleCapacity <= 65_535, "sample capacity out of 0...65535")
        precondition(treeCount >= 0 && treeCount <= ForestModel.treeLimit, "tree count out of the format's range")
        precondition(nodeCapacity >= treeCount, "fewer nodes than trees")
        self.sampleCapacity = sampleCapacity
        self.treeCount = treeCount
        self.nodeCapacity = nodeCapacity
        if sampleCapacity > 0 && treeCount > 0 {
            order = arena.carve(sampleCapacity, of: UInt16(0)).baseAddress
            pathSums = arena.carve(sampleCapacity, of: Int64(0)).baseAddress
        } else {
            order = nil
            pathSums = nil
        }
    }

    /// Arena bytes `init` carves after `usedBytes` bytes.
    /// - Complexity: O(1).
    public static func arenaBytes(after usedBytes: Int, sampleCapacity: Int, treeCount: Int) -> Int {
        if sampleCapacity == 0 || treeCount == 0 { return usedBytes }
        let first = Arena.bytes(after: usedBytes, sampleCapacity, of: UInt16.self)
        return Arena.bytes(after: first, sampleCapacity, of: Int64.self)
    }

    /// Bytes of the largest image: a version 2 header, `features` entries, the tree table and
    /// `nodeCapacity` nodes.
    /// - Complexity: O(1).
    public func imageBytesMax(features: Int) -> Int {
        ForestModel.profileHeaderSizeBytes + features * ForestModel.featureEntrySizeBytes + treeCount * 4
            + nodeCapacity * ForestModel.nodeSizeBytes + ForestModel.trailerSizeBytes
    }
}
