// Learning on the board: the schedule's tick. A build runs in slices between readings, in the
// model slot that is not in use; the finished model passes every check of a model file
// (`ModelSlots.take`) and is swapped in whole by `install`, like a file on SIGHUP.
extension Pipeline {
    /// Carves the sample ring (`retrainSampleCount` rows of the model capacity's inputs) the
    /// first time, and turns sampling on with `learner`'s window (off when it has no period).
    /// - Complexity: O(1) in a zeroed arena.
    public mutating func startLearning(_ learner: ModelLearner, arena: inout Arena) {
        if P.retrainSampleCount == 0 { return }
        if !retrainSample.enabled && learner.everyMs > 0 {
            retrainSample = RetrainSample(arena: &arena, capacity: P.retrainSampleCount, featureCapacity: P.modelCapacity.features)
        }
        restartSample(learner)
    }

    /// Empties the sample and keeps `learner`'s window from now on.
    mutating func restartSample(_ learner: ModelLearner) {
        retrainSample.reset(window: learner.window)
        retrainSample.frozen = learner.everyMs <= 0
        model.learnState = learner.everyMs > 0 ? .sampling : .off
    }

    /// A new running model from elsewhere (a model file): a build under way is dropped (its slot
    /// is about to be overwritten) and the sample starts again with the new model's inputs.
    /// - Complexity: O(1).
    public mutating func restartLearning(_ learner: inout ModelLearner) {
        if P.retrainSampleCount == 0 || learner.everyMs <= 0 { return }
        learner.builder.cancel()
        restartSample(learner)
    }

    /// A model file is about to be read into the slot that is not in use: a build under way there
    /// is dropped (its bytes would be overwritten); the sample stays until a file is taken.
    /// - Complexity: O(1).
    public mutating func cancelBuild(_ learner: inout ModelLearner) {
        if P.retrainSampleCount == 0 || learner.everyMs <= 0 { return }
        if learner.builder.phase == .growing || learner.builder.phase == .scoring {
            learner.builder.cancel()
            retrainSample.frozen = false
            model.learnState = .sampling
        }
    }

    /// One tick of the learner: starts the scheduled build when it is due (or counts it skipped
    /// when the sample is too small), else advances the build by `ModelLearner.stepBudget` units
    /// and, when it is complete, takes the model from `slots` and installs it.
    ///
    /// - Complexity: O(stepBudget × ψ × features) at most per call.
    public mutating func learn(nowMs: Int64, learner: inout ModelLearner, slots: inout ModelSlots) {
        if P.retrainSampleCount == 0 || learner.everyMs <= 0 { return }
        switch learner.builder.phase {
        case .idle, .done, .failed:
            if nowMs < learner.nextDueMs { return }
            learner.nextDueMs = nowMs &+ learner.everyMs
            if forest?.usesContext == true {
                // Nothing was sampled (`RetrainSample.adoptInputs`): not a skipped build.
                model.learnState = .pausedForContext
                return
            }
            retrainSample.frozen = true
            let seed = learner.seed &+ learner.buildsStarted
            guard learner.builder.start(sample: retrainSample, into: slots.spare, profile: P.name, seed: seed) else {
                retrainSample.frozen = false
                model.countLearned(taken: false)
                model.learnState = .tooFewSamples
                return
            }
            learner.buildsStarted &+= 1
            model.learnState = .building
        case .growing, .scoring:
            let done = learner.builder.step(budget: ModelLearner.stepBudget)
            if !done && learner.builder.phase != .failed { return }
            retrainSample.frozen = false
            let rows = learner.builder.rowCount
            guard done else {
                learner.builder.cancel()
                model.learnState = .refused
                return
            }
            learner.builder.cancel()
            do {
                let forest = try slots.take(count: learner.builder.byteCount, profile: P.name)
                // Between readings: the next reading is scored by the learned model, every one before by the old.
                install(forest, nowMs: nowMs)
                model.learnedSamples = UInt16(truncatingIfNeeded: rows)
                model.countLearned(taken: true)
                model.learnState = .sampling
            } catch {
                model.learnState = .refused
            }
        }
    }
}
