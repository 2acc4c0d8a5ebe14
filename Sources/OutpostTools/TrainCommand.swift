/// `outpost-tool train`: fits an Isolation Forest to CSV columns and writes a model file.
enum TrainCommand {
    static let defaultFeatures = ["temperature", "humidity", "pressure", "vibration", "power_consumption"]

    static let help = """
        usage: outpost-tool train --input FILE.csv --out MODEL.opm [options]

        Trains an Isolation Forest (Liu, Ting, Zhou 2008) on the chosen CSV columns and writes it in
        model format v1, or v2 with --profile (docs/MODEL_FORMAT.md; the daemon's --model takes v2). Each feature's decimals are chosen from the data:
        the largest k in -9...9 with max|x| * 10^k <= 2^30. The same input and seed give the same
        bytes. A summary goes to stderr.

        options:
          --input FILE.csv        training data with a header (- for standard input)
          --out MODEL.opm         model file to write
          --features a,b,c        columns to use (default temperature,humidity,pressure,vibration,
                                  power_consumption)
          --trees N               number of trees, 1...1024 (default 100)
          --sample-size PSI       rows per tree, 2...32768 (default 256; at most the row count)
          --seed K                random seed (default 1)
          --contamination Q       flag this share of the training rows, 0 < Q < 1 (default 0.05)
          --threshold S           or: a fixed score threshold, 0 < S <= 1
          --profile NAME          the profile the model is for (low, medium, high, test): written
                                  into the file (format v2), checked by the daemon's --model
          --help                  this text

        """

    /// What training produced, for the summary and for tests.
    struct Result {
        var bytes: [UInt8]
        var features: [ModelFeature]
        var forest: TrainedForest
        var threshold: ModelEncoder.Threshold
        var rows: Int
        var flaggedRows: Int
    }

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(
            command: "train", arguments: arguments,
            valueOptions: ["input", "out", "features", "trees", "sample-size", "seed", "contamination", "threshold", "profile"])
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        let input = try parsed.required("input")
        let out = try parsed.required("out")
        var columns = defaultFeatures
        if let list = parsed.string("features") {
            columns = list.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
            if columns.contains(where: \.isEmpty) { throw ToolError("train: --features: empty name in '\(list)'") }
            if Set(columns).count != columns.count { throw ToolError("train: --features: a column is listed twice in '\(list)'") }
            if columns.count > 64 { throw ToolError("train: --features: \(columns.count) columns; a model takes at most 64") }
        }
        for column in columns { try ModelFeature.validate(column: column, command: "train") }
        var options = IsolationForestTrainer.Options()
        options.trees = try parsed.integer("trees", default: options.trees, in: 1...1024)
        options.sampleSize = try parsed.integer("sample-size", default: options.sampleSize, in: 2...IsolationForestTrainer.sampleSizeLimit)
        options.seed = try parsed.unsigned("seed", default: options.seed)
        if parsed.string("contamination") != nil && parsed.string("threshold") != nil {
            throw ToolError("train: give either --contamination or --threshold, not both")
        }
        let decision: Decision
        if parsed.string("threshold") != nil {
            decision = .score(try parsed.number("threshold", default: 1, in: 0...1, excludingLowerBound: true))
        } else {
            let q = try parsed.number("contamination", default: 0.05, in: 0...1, excludingLowerBound: true)
            if q >= 1 { throw ToolError("train: --contamination: must be below 1") }
            decision = .contamination(q)
        }
        let profile = parsed.string("profile")
        if let profile { try ModelEncoder.validateProfile(profile, command: "train") }
        let table = try CSVTable.load(input)
        let result = try train(table: table, columns: columns, options: options, decision: decision, profile: profile)
        try FileBytes.writeAtomically(result.bytes, to: out)
        stderr.write(summary(result, table: table, options: options, decision: decision, out: out))
    }

    /// How the threshold is chosen.
    enum Decision: Equatable {
        case contamination(Double)
        case score(Double)
    }

    /// Trains on `columns` of `table` and calibrates the threshold with the core evaluator.
    /// - Complexity: O(trees × ψ log ψ × F + rows × trees × depth).
    static func train(
        table: CSVTable, columns: [String], options: IsolationForestTrainer.Options, decision: Decision, profile: String? = nil
    ) throws(ToolError) -> Result {
        if table.rowCount < 2 { throw ToolError("\(table.name): \(table.rowCount) data rows; training needs at least 2") }
        // Every column must exist before any value is read, so a missing one is reported first.
        var indices: [Int] = []
        for column in columns { indices.append(try table.columnIndex(column)) }
        var features: [ModelFeature] = []
        for (column, index) in zip(columns, indices) {
            var maxAbs = 0.0
            for row in 0..<table.rowCount {
                maxAbs = max(maxAbs, abs(try table.double(row: row, column: index)))
            }
            guard let decimals = FixedPointScale.decimals(maxAbs: maxAbs) else {
                throw ToolError("\(table.name) (column '\(column)'): values up to \(maxAbs) are too large for the model's fixed point (at most 2^30 × 10^9)")
            }
            features.append(ModelFeature(column: column, decimals: decimals))
        }
        let inputs = try FixedInputs.matrix(table: table, columns: indices, decimals: features.map(\.decimals))
        let forest = IsolationForestTrainer.train(inputs: inputs, rowCount: table.rowCount, featureCount: features.count, options: options)
        if forest.nodes.count > 1 << 24 {
            throw ToolError("train: \(forest.nodes.count) nodes exceed the format's limit of 2^24; use fewer trees or a smaller sample size")
        }
        // Calibrate with the core evaluator on a draft (same trees, threshold not yet known).
        let draft = try LoadedModel(bytes: ModelEncoder.encode(forest: forest, features: features, threshold: .never), name: "<trained model>")
        let threshold: ModelEncoder.Threshold
        switch decision {
        case .score(let s):
            threshold = ThresholdCalibration.threshold(score: s, treeCount: forest.roots.count, cPsiQ16: forest.cPsiQ16)
        case .contamination(let q):
            threshold = ThresholdCalibration.threshold(
                pathSums: draft.pathSums(inputs: inputs), contamination: q, treeCount: forest.roots.count, cPsiQ16: forest.cPsiQ16)
        }
        let bytes = ModelEncoder.encode(forest: forest, features: features, threshold: threshold, profile: profile)
        let final = try LoadedModel(bytes: bytes, name: "<trained model>")
        let flagged = final.scores(inputs: inputs).filter(\.anomaly).count
        return Result(bytes: bytes, features: features, forest: forest, threshold: threshold, rows: table.rowCount, flaggedRows: flagged)
    }

    static func summary(_ result: Result, table: CSVTable, options: IsolationForestTrainer.Options, decision: Decision, out: String) -> String {
        let featureList = result.features.map { "\($0.column) (\($0.decimals) decimals)" }.joined(separator: ", ")
        let how: String
        switch decision {
        case .contamination(let q): how = "contamination \(q)"
        case .score(let s): how = "fixed score \(s)"
        }
        let share = Double(result.flaggedRows) / Double(result.rows)
        return """
            train: \(result.rows) rows from \(table.name)
            train: features \(featureList)
            train: \(result.forest.roots.count) trees, sample size \(result.forest.sampleSize), height limit \(result.forest.heightLimit), \(result.forest.nodes.count) nodes, seed \(options.seed)
            train: threshold score \(DecimalFormat.string(Double(result.threshold.scoreQ16) / 65536, decimals: 6)) (path sum <= \(result.threshold.pathSum)), \(how)
            train: flagged \(result.flaggedRows) of \(result.rows) training rows (\(DecimalFormat.string(share, decimals: 4)))
            train: wrote \(out) (\(result.bytes.count) bytes)

            """
    }
}
