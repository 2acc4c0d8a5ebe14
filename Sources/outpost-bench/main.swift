// outpost-bench: the host benchmarks of `make bench` (built -c release). Prints one figure per
// line (see BenchReport); scripts/bench.sh adds the firmware sizes and writes
// build/bench/results.json. Progress and notes go to standard error.
//
// Options: --readings N (default 100 000), --repetitions N (default 5), --log-dir DIR (default build/bench),
// --only log|server|pipeline|retrain (only those figures, for iterating on them; the default runs everything).
import OutpostCore
import OutpostProfiles

/// Reads `--name N` from the command line, or `fallback`.
func option(_ name: String, _ fallback: Int) -> Int {
    let arguments = CommandLine.arguments
    guard let at = arguments.firstIndex(of: name) else { return fallback }
    guard at + 1 < arguments.count, let value = Int(arguments[at + 1]), value > 0 else {
        fatalError("outpost-bench: \(name) needs a positive integer")
    }
    return value
}

func note(_ text: String) {
    var standardError = StandardError()
    Swift.print(text, to: &standardError)
}

/// The pipeline figures of profile `P` (readings from as many sensors as the profile accepts).
func benchPipeline<P: Profile>(_: P.Type, readingCount: Int, repetitions: Int, into report: inout BenchReport) {
    let name = String(describing: P.name)
    // A whole number of batches, at least `readingCount` readings.
    let count = (readingCount + P.batchSize - 1) / P.batchSize * P.batchSize
    let readings = BenchReadings.make(count: count, sensorCount: P.sensorCapacity, seed: 7)
    defer { readings.deallocate() }
    let result = PipelineBench<P>.run(readings: readings, repetitions: repetitions)
    note("pipeline \(name): \(count) readings from \(P.sensorCapacity) sensors, batch \(P.batchSize), "
        + "\(result.drained) events drained, forest \(P.modelBytes == nil ? "none" : "baked")")
    report.add("pipeline_ns_per_reading_" + name, result.nsPerReading)
    report.add("allocations_per_reading_" + name, result.allocationsPerReading)
    // The same readings with context inputs (a z-score and a rate per quantity) on the same trees.
    guard Pipeline<P>.contextPossible, let model = ContextModel.make(from: P.modelBytes, profile: P.name) else {
        report.missing("pipeline_ns_per_reading_" + name + "_context", reason: "profile keeps no context (no forest)")
        return
    }
    defer { model.deallocate() }
    let context = PipelineBench<P>.run(readings: readings, repetitions: repetitions, model: UnsafeRawBufferPointer(model))
    precondition(context.accepted == result.accepted, "the runs did different work")
    report.add("pipeline_ns_per_reading_" + name + "_context", context.nsPerReading)
    report.add("allocations_per_reading_" + name + "_context", context.allocationsPerReading)
    report.add("context_cost_ratio_" + name, context.nsPerReading / result.nsPerReading)
}

let readingCount = option("--readings", 100_000)
let repetitions = option("--repetitions", 5)
/// Where the log benchmark writes its two 64 MiB files (`--log-dir DIR`, default build/bench).
let logDirectory: String = {
    let arguments = CommandLine.arguments
    if let at = arguments.firstIndex(of: "--log-dir"), at + 1 < arguments.count { return arguments[at + 1] }
    return "build/bench"
}()
/// `--only log`, `--only server` or `--only pipeline` runs just those figures (`make bench` runs everything).
let only: String? = {
    let arguments = CommandLine.arguments
    guard let at = arguments.firstIndex(of: "--only") else { return nil }
    guard at + 1 < arguments.count, ["log", "server", "pipeline", "retrain"].contains(arguments[at + 1]) else {
        fatalError("outpost-bench: --only takes: log, server, pipeline, retrain")
    }
    return arguments[at + 1]
}()
var report = BenchReport()
if only == "pipeline" {
    // The pipeline figures alone: quick before/after comparisons of a change to the data path.
    benchPipeline(ProfileLow.self, readingCount: readingCount, repetitions: repetitions, into: &report)
    benchPipeline(ProfileMedium.self, readingCount: readingCount, repetitions: repetitions, into: &report)
    benchPipeline(ProfileHigh.self, readingCount: readingCount, repetitions: repetitions, into: &report)
} else if only == "retrain" {
    RetrainBench.run(repetitions: repetitions, into: &report)
} else if only == "server" {
    ServerBench.run(ProfileMedium.self, datagramCount: readingCount, repetitions: repetitions, into: &report)
} else if only == nil {
    benchPipeline(ProfileLow.self, readingCount: readingCount, repetitions: repetitions, into: &report)
    benchPipeline(ProfileMedium.self, readingCount: readingCount, repetitions: repetitions, into: &report)
    benchPipeline(ProfileHigh.self, readingCount: readingCount, repetitions: repetitions, into: &report)
    benchPipeline(ProfileTest.self, readingCount: readingCount, repetitions: repetitions, into: &report)
    ForestBench.run(repetitions: repetitions, into: &report)
    RetrainBench.run(repetitions: repetitions, into: &report)
    ServerBench.run(ProfileMedium.self, datagramCount: readingCount, repetitions: repetitions, into: &report)
}
if only == nil || only == "log" { LogBench.run(directory: logDirectory, repetitions: min(repetitions, 3), into: &report) }
report.print()
