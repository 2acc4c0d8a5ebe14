import CHAL
import CMallocCounter
import OutpostCore

/// Measures `Pipeline<P>.process` over pre-built readings, in batches of `P.batchSize` with the
/// outbox drained after each batch (as the daemon's loop does).
struct PipelineBench<P: Profile> {
    /// Best nanoseconds per reading over the repetitions.
    var nsPerReading: Double
    /// Heap allocations counted during one full run after the timed runs, per reading.
    var allocationsPerReading: Double
    /// Readings accepted in one run (a check that the work was done).
    var accepted: Int
    /// Events drained in one run.
    var drained: Int

    /// Runs the benchmark `repetitions` times over `readings`, each on a freshly built pipeline
    /// running its baked model, or `model` (installed before the clock starts) when given.
    /// - Complexity: O(repetitions × readings × forest cost).
    static func run(readings: BenchReadings, repetitions: Int, model: UnsafeRawBufferPointer? = nil) -> PipelineBench<P> {
        precondition(readings.buffer.count % P.batchSize == 0, "readings must fill whole batches")
        precondition(repetitions > 0 && repetitions <= 1_000, "repetitions out of range")
        let arenaBytes = Pipeline<P>.arenaBytesRequired
        let arenaBase = UnsafeMutableRawPointer.allocate(byteCount: max(arenaBytes, 16), alignment: 16)
        defer { arenaBase.deallocate() }

        var accepted = 0
        var drained = 0
        var bestNs = Int64.max
        for _ in 0..<repetitions {
            // Building the pipeline (carving and clearing its tables) is start-up work: not timed.
            var arena = Arena(base: arenaBase, sizeBytes: arenaBytes)
            var pipeline = Pipeline<P>(arena: &arena)
            install(model, &pipeline)
            let startNs = chal_monotonic_ns()
            (accepted, drained) = feed(&pipeline, readings)
            bestNs = min(bestNs, chal_monotonic_ns() - startNs)
        }

        // A counted run after the timed ones, on a pipeline built before counting starts (as at
        // start-up): the steady state, with the runtime's one-time lazy work (generic metadata
        // instantiated on first use) done by the first run.
        var arena = Arena(base: arenaBase, sizeBytes: arenaBytes)
        var pipeline = Pipeline<P>(arena: &arena)
        install(model, &pipeline)
        malloc_counter_start()
        let counted = feed(&pipeline, readings)
        let allocations = malloc_counter_stop()
        precondition(counted.accepted == accepted && counted.drained == drained, "the runs did different work")
        let count = Double(readings.buffer.count)
        return PipelineBench(
            nsPerReading: Double(bestNs) / count,
            allocationsPerReading: Double(allocations) / count,
            accepted: accepted, drained: drained)
    }

    /// Installs the model in `bytes` (checked when it was made), if any.
    static func install(_ bytes: UnsafeRawBufferPointer?, _ pipeline: inout Pipeline<P>) {
        guard let bytes else { return }
        guard let model = try? ForestModel(bytes: bytes) else { preconditionFailure("bench model does not load") }
        pipeline.install(model, nowMs: 0)
    }

    /// Feeds every reading; returns how many were accepted and how many events were drained.
    /// An outbox-full refusal drains and retries once (it cannot happen twice in a row).
    /// - Complexity: O(readings).
    @inline(never)
    static func feed(_ pipeline: inout Pipeline<P>, _ readings: BenchReadings) -> (accepted: Int, drained: Int) {
        var accepted = 0
        var drained = 0
        var index = 0
        let count = readings.buffer.count
        while index < count {
            let end = index + P.batchSize
            while index < end {
                let reading = readings.buffer[index]
                var outcome = pipeline.process(reading)
                if case .refused(.outboxFull) = outcome {
                    while pipeline.outbox.popFirst() != nil { drained += 1 }
                    outcome = pipeline.process(reading)
                }
                guard case .accepted = outcome else { preconditionFailure("bench reading refused") }
                accepted += 1
                index += 1
            }
            while pipeline.outbox.popFirst() != nil { drained += 1 }
        }
        return (accepted, drained)
    }
}
