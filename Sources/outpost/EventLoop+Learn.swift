#if !OUTPOST_PROFILE_LOW
import CHAL
import OutpostCore

// Learning on the board (`--retrain-every`): the builder's scratch and the model slots are carved
// at start-up; each tick runs one bounded slice of a build, and a finished model is swapped in whole.

extension EventLoop {
    /// Carves the model slots (unless `--model` did), the builder and the sample ring, and turns sampling on.
    mutating func setUpLearning(flags: DaemonFlags, arena: inout Arena, err: inout Console) {
        precondition(P.retrainSampleCount > 0 && flags.retrainEveryS > 0, "learning is refused by the flags in a profile that does not learn")
        if model.slots == nil { model.slots = ModelSlots(arena: &arena, capacity: P.modelCapacity) }
        let nowMs = chal_wall_ms()
        let learning = ModelLearner(
            P.self, arena: &arena, everyMs: flags.retrainEveryS &* 1_000, window: Int(truncatingIfNeeded: flags.retrainWindow),
            seed: UInt64(bitPattern: flags.retrainSeed), nowMs: nowMs)
        server.pipeline.startLearning(learning, arena: &arena)
        learner = learning
        err.always(.notice, reserving: 160)
        err.writer.text("outpost: learning on the board every ")
        err.writer.integer(flags.retrainEveryS)
        err.writer.text(" s from the last ")
        err.writer.integer(learning.window.wide)
        err.writer.text(" normal readings (seed ")
        err.writer.integer(flags.retrainSeed)
        err.writer.text(")\n")
        err.flush()
    }

    /// One slice of the learner; a swapped-in model is logged.
    mutating func learnTick(nowMs: Int64, log: inout Console) {
        guard var learning = learner, var slots = model.slots else { return }
        // The slots move out of the model and back: `learn` may take the spare.
        let before = server.pipeline.model.learnedModels
        let skippedBefore = server.pipeline.model.learnSkipped
        server.pipeline.learn(nowMs: nowMs, learner: &learning, slots: &slots)
        learner = learning
        model.slots = slots
        if server.pipeline.model.learnState == .tooFewSamples && server.pipeline.model.learnSkipped != skippedBefore {
            log.always(.notice, reserving: 160)
            log.writer.text("outpost: learning skipped: ")
            log.writer.integer(server.pipeline.retrainSample.count.wide)
            log.writer.text(" normal readings sampled, a build needs 64 (the running model stays)\n")
            log.flush()
        }
        if server.pipeline.model.learnedModels != before, let forest = server.pipeline.forest {
            log.always(.notice, reserving: 256)
            log.writer.text("outpost: learned model taken (")
            log.writer.integer(forest.treeCount.wide)
            log.writer.text(" trees, ")
            log.writer.integer(forest.nodeCount.wide)
            log.writer.text(" nodes from ")
            log.writer.integer(server.pipeline.model.learnedSamples.wide)
            log.writer.text(" normal readings, crc32c ")
            DaemonModel.writeHex(forest.checksum, &log.writer)
            log.writer.text("; swapped in whole between readings)\n")
            log.flush()
            refreshStatus(nowMs: nowMs, force: true)
        }
    }
}
#endif

#if !OUTPOST_PROFILE_LOW
extension EventLoop {
    /// A model file is about to be read into the spare slot: a build there is dropped, and the
    /// sample starts again (the new model may read other inputs).
    /// Drops a build under way before a model file is read into its slot.
    mutating func cancelLearningBuild() {
        guard P.retrainSampleCount > 0, var learning = learner else { return }
        server.pipeline.cancelBuild(&learning)
        learner = learning
    }

    mutating func restartLearning() {
        guard P.retrainSampleCount > 0, var learning = learner else { return }
        server.pipeline.restartLearning(&learning)
        learner = learning
    }
}
#endif
