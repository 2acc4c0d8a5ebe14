/// `outpost-tool gen`: writes the reference generator's CSV.
enum GenCommand {
    static let help = """
        usage: outpost-tool gen [options]

        Writes synthetic sensor readings with labelled anomalies as CSV (docs/CSV_FORMAT.md),
        ordered by time then sensor. The same options and seed always give the same bytes.

        options:
          --sensors N               number of sensors, 1...100000 (default 100)
          --duration SECONDS        length of the period (default 60)
          --rate READINGS_PER_S     readings per second per sensor, 0.001...1000 (default 1)
          --seed K                  random seed, 0...2^64-1 (default 1)
          --start-ms T              timestamp of the first reading (default 1767225600000,
                                    2026-01-01T00:00:00Z)
          --anomaly-probability P   chance that an anomaly starts at a reading of a sensor not in
                                    one, 0...1 (default 0.05; the long-run anomalous share is then
                                    about 60% at 1 reading/s)
          --anomaly-mean-s S        mean anomaly length in seconds, exponential (default 30)
          --anomaly-kind KIND       only anomalies of one kind: temperature, vibration, power or
                                    multiple (default: each kind equally likely); the same random
                                    draws, only the kind is forced (docs/DETECTION.md)
          --out FILE                output file (default standard output)
          --help                    this text

        """

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(
            command: "gen", arguments: arguments,
            valueOptions: ["sensors", "duration", "rate", "seed", "start-ms", "anomaly-probability", "anomaly-mean-s", "anomaly-kind", "out"])
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        var options = GeneratorOptions()
        options.sensors = try parsed.integer("sensors", default: options.sensors, in: 1...100_000)
        options.durationS = try parsed.number("duration", default: options.durationS, in: 0...1e9, excludingLowerBound: true)
        options.ratePerS = try parsed.number("rate", default: options.ratePerS, in: 0.001...1000)
        options.seed = try parsed.unsigned("seed", default: options.seed)
        options.startMs = Int64(try parsed.integer("start-ms", default: Int(options.startMs), in: 0...(1 << 50)))
        options.anomalyStartProbability = try parsed.number("anomaly-probability", default: options.anomalyStartProbability, in: 0...1)
        options.anomalyMeanDurationS = try parsed.number("anomaly-mean-s", default: options.anomalyMeanDurationS, in: 0...1e9, excludingLowerBound: true)
        if let kind = parsed.string("anomaly-kind") {
            if !GeneratorOptions.anomalyKinds.contains(kind) {
                throw ToolError("gen: --anomaly-kind: '\(kind)' is not a kind (\(GeneratorOptions.anomalyKinds.joined(separator: ", ")))")
            }
            options.anomalyKind = kind
        }
        let rows = Double(options.stepCount) * Double(options.sensors)
        if rows > 2e9 { throw ToolError("gen: \(Int(rows)) rows requested; the limit is 2e9") }
        let generator = SensorGenerator(options: options)
        let sink = try parsed.string("out").map { path throws(ToolError) in try TextSink.file(path) } ?? stdout
        let longRun = rows >= 1e6
        let summary = try generator.write(to: sink, progress: longRun ? stderr : nil)
        if sink !== stdout { try sink.close() }
        if longRun {
            let share = summary.rows == 0 ? 0 : Double(summary.anomalousRows) / Double(summary.rows)
            stderr.write("gen: wrote \(summary.rows) rows, anomalous share \(DecimalFormat.string(share, decimals: 4))\n")
        }
    }
}
