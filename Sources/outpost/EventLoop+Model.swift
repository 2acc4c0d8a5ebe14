import CHAL
import OutpostCore

// The model file (`--model`): read at start-up into one of two arena slots, read again on every
// SIGHUP into the other, and swapped into the pipeline whole between two ticks.

extension EventLoop {
    /// Carves the slots and the path, then reads, checks and installs the model of `flags`. False
    /// (with a message on `err`) when the file cannot be read or is refused.
    mutating func setUpModel(flags: DaemonFlags, arena: inout Arena, err: inout Console) -> Bool {
        let capacity = P.modelCapacity
        precondition(capacity.allowsModel && flags.modelFile.count > 0, "--model is refused by the flags in a profile without model slots")
        model.slots = ModelSlots(arena: &arena, capacity: capacity)
        model.path = UnsafeMutableRawBufferPointer(arena.carve(DaemonModel.pathBytesMax + 1, of: UInt8(0)))
        model.enabled = true
        _ = model.setPath(flags.modelFile)
        return loadModel(nowMs: chal_wall_ms(), level: .error, log: &err)
    }

    /// SIGHUP: reads the model file again; a refused file leaves the running model (and its
    /// slot) as they are.
    mutating func reloadModel(nowMs: Int64, log: inout Console) {
        _ = loadModel(nowMs: nowMs, level: .warning, log: &log)
        refreshStatus(nowMs: nowMs, force: true)
    }

    /// Reads, checks and installs the file (`DaemonModel.load`), counting it for `/health`.
    mutating func loadModel(nowMs: Int64, level: LogLevel, log: inout Console) -> Bool {
        #if !OUTPOST_PROFILE_LOW
        cancelLearningBuild()
        #endif
        guard let forest = model.load(level: level, log: &log) else {
            server.pipeline.model.count(taken: false)
            return false
        }
        #if !OUTPOST_PROFILE_LOW
        // A taken file changes the inputs the sample's rows were made for.
        restartLearning()
        #endif
        // Between two ticks: the next reading is scored by the new model, every one before by the old.
        server.pipeline.install(forest, nowMs: nowMs)
        server.pipeline.model.count(taken: true)
        return true
    }
}
