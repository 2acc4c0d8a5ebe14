/// The schedule of learning on the board (`--retrain-every`, `--retrain-window`,
/// `--retrain-seed`) and the build under way: every `everyMs` a forest is built from the
/// pipeline's `retrainSample` into the free model slot, `stepBudget` units per tick
/// (`Pipeline.learn`), and swapped in whole between readings.
public struct ModelLearner {
    /// Time between scheduled builds (0: no learning).
    public let everyMs: Int64
    /// Rows of the sample a build uses (the most recent ones).
    public let window: Int
    /// The first build's seed; build n uses `seed + n − 1`, so a run's models are reproducible.
    public let seed: UInt64
    /// Nodes grown (or sample rows scored) per tick: about a quarter of a millisecond on x86-64,
    /// so a reading waits at most that long behind a build (outpost-bench `retrain_ms_high`).
    public static let stepBudget = 1_024
    public var builder: ForestBuilder
    /// When the next build starts (wall clock).
    public var nextDueMs: Int64
    /// Builds started so far (the seed offset).
    public var buildsStarted: UInt64 = 0

    /// Carves the builder's scratch for the profile `P` (nothing when it does not learn).
    /// - Complexity: O(1) in a zeroed arena.
    public init<P: Profile>(_: P.Type, arena: inout Arena, everyMs: Int64, window: Int, seed: UInt64, nowMs: Int64) {
        precondition(everyMs >= 0 && window >= 1, "retrain period or window out of range")
        self.everyMs = everyMs
        self.window = min(window, max(P.retrainSampleCount, 1))
        self.seed = seed
        builder = ForestBuilder(
            arena: &arena, sampleCapacity: everyMs > 0 ? P.retrainSampleCount : 0, treeCount: min(P.retrainTreeCount, P.modelCapacity.trees),
            nodeCapacity: P.modelCapacity.nodes)
        nextDueMs = nowMs &+ everyMs
    }

    /// Arena bytes `init` carves after `usedBytes` bytes.
    /// - Complexity: O(1).
    public static func arenaBytes<P: Profile>(_: P.Type, after usedBytes: Int) -> Int {
        ForestBuilder.arenaBytes(after: usedBytes, sampleCapacity: P.retrainSampleCount, treeCount: P.retrainTreeCount)
    }
}
