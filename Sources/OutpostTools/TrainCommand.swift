import OutpostCore

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
          --context KINDS         context inputs from each sensor's own history, beside the values
                                  (format v3, needs --profile; docs/DETECTION.md): a list of
                                  z (deviation from the sensor's running mean in its σ), rate (change
                                  per second), lag1 (the previous value), each for every feature or
                                  as FEATURE:KIND for one (temperature:z). The input needs the columns
                                  of outpost-tool gen; rows are read per sensor in file order with the
                                  core's code, as the board reads them
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
            valueOptions: ["input", "out", "features", "trees", "sample-size", "seed", "contamination", "threshold", "profile", "context"])
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
        var context: [ContextInput] = []
        if let list = parsed.string("context") {
            context = try contextInputs(list, columns: columns)
            if profile == nil { throw ToolError("train: --context writes model format version 3, which names its profile: give --profile") }
            if columns.count + context.count > 64 { throw ToolError("train: \(columns.count + context.count) inputs with --context; a model takes at most 64") }
        }
        let table = try CSVTable.load(input)
        let result = try train(table: table, columns: columns, options: options, decision: decision, profile: profile, context: context)
        try FileBytes.writeAtomically(result.bytes, to: out)
        stderr.write(summary(result, table: table, options: options, decision: decision, out: out))
    }

    /// One context input: the column (a core feature) and what it takes from the sensor's history.
    struct ContextInput: Equatable {
        var column: String
        var kind: ContextKind
    }

    /// The context kinds `train` takes by name.
    static let contextKinds: [ContextKind] = [.zScore, .rate, .lag1]

    /// Parses `--context`: `KIND` for every column of `columns`, `COLUMN:KIND` for one; in the
    /// order given, each column's kinds after all the values.
    static func contextInputs(_ list: String, columns: [String]) throws(ToolError) -> [ContextInput] {
        var inputs: [ContextInput] = []
        for item in list.split(separator: ",", omittingEmptySubsequences: false).map({ String($0).trimmingSpaces }) {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count <= 2, let kindName = parts.last, !kindName.isEmpty,
                let kind = contextKinds.first(where: { $0.name.description == kindName })
            else {
                throw ToolError("train: --context: '\(item)' is not a context input (z, rate, lag1, or FEATURE:KIND such as temperature:z)")
            }
            let targets = parts.count == 2 ? [parts[0]] : columns
            for column in targets {
                if !columns.contains(column) { throw ToolError("train: --context: '\(column)' is not one of the features (\(columns.joined(separator: ",")))") }
                let code = ModelFeature.coreCode(forColumn: column)
                if Int(code) >= SensorContext.featureSlots {
                    throw ToolError("train: --context: '\(column)' is not a quantity the core keeps history for (\(defaultFeatures.joined(separator: ", ")))")
                }
                let input = ContextInput(column: column, kind: kind)
                if inputs.contains(input) { throw ToolError("train: --context: \(column):\(kindName) is listed twice") }
                inputs.append(input)
            }
        }
        return inputs
    }

    /// How the threshold is chosen.
    enum Decision: Equatable {
        case contamination(Double)
        case score(Double)
    }

    /// Trains on `columns` of `table` and calibrates the threshold with the core evaluator.
    /// - Complexity: O(trees × ψ log ψ × F + rows × trees × depth).
    static func train(
        table: CSVTable, columns: [String], options: IsolationForestTrainer.Options, decision: Decision, profile: String? = nil,
        context: [ContextInput] = []
    ) throws(ToolError) -> Result {
        if table.rowCount < 2 { throw ToolError("\(table.name): \(table.rowCount) data rows; training needs at least 2") }
        if !context.isEmpty {
            let (features, inputs) = try contextMatrix(table: table, columns: columns, context: context)
            return try fit(table: table, features: features, inputs: inputs, options: options, decision: decision, profile: profile)
        }
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
        return try fit(table: table, features: features, inputs: inputs, options: options, decision: decision, profile: profile)
    }

    /// The inputs of a model with context inputs: the values of `columns` then `context`, each
    /// row made by the core from the table's readings per sensor (`ContextRows.coreValues`), then
    /// scaled to decimals chosen from the data as for values (at most 3: the core has no more)
    /// with the core's own conversion (`ForestModel.scaleCoreValue`). So the matrix is what
    /// `ForestModel.inputRow` gives the trained model on the board.
    /// - Complexity: O(rows × inputs).
    static func contextMatrix(table: CSVTable, columns: [String], context: [ContextInput]) throws(ToolError) -> ([ModelFeature], [Int32]) {
        for column in columns where Int(ModelFeature.coreCode(forColumn: column)) >= SensorContext.featureSlots {
            throw ToolError("train: --context: feature '\(column)' is not a core quantity; a model with context inputs reads readings (the columns of outpost-tool gen)")
        }
        var drafts: [ModelFeature] = columns.map { ModelFeature(column: $0, decimals: 3) }
        drafts += context.map { ModelFeature(column: $0.column, decimals: 3, coreCode: ModelFeature.coreCode(forColumn: $0.column), context: $0.kind) }
        let readings = try ContextRows.readings(table: table)
        let raw = try ContextRows.coreValues(features: drafts, readings: readings, name: table.name, lines: { table.line(ofRow: $0) })
        let width = drafts.count
        var features: [ModelFeature] = []
        for (i, draft) in drafts.enumerated() {
            var maxAbs = 0.0
            for row in 0..<readings.count { maxAbs = max(maxAbs, abs(Double(raw[row * width + i])) / 1000) }
            guard let decimals = FixedPointScale.decimals(maxAbs: maxAbs) else {
                throw ToolError("\(table.name) (input '\(draft.displayName)'): values up to \(maxAbs) are too large for the model's fixed point")
            }
            var feature = draft
            feature.decimals = min(decimals, 3)
            features.append(feature)
        }
        var inputs = raw
        for i in 0..<width {
            let scale = ForestModel.coreScale(decimals: features[i].decimals)
            for row in 0..<readings.count { inputs[row * width + i] = ForestModel.scaleCoreValue(raw[row * width + i], by: scale) }
        }
        return (features, inputs)
    }

    /// Grows the forest on `inputs` (row-major, one column per feature) and calibrates its threshold.
    static func fit(
        table: CSVTable, features: [ModelFeature], inputs: [Int32], options: IsolationForestTrainer.Options, decision: Decision, profile: String?
    ) throws(ToolError) -> Result {
        let forest = IsolationForestTrainer.train(inputs: inputs, rowCount: table.rowCount, featureCount: features.count, options: options)
        if forest.nodes.count > 1 << 24 {
            throw ToolError("train: \(forest.nodes.count) nodes exceed the format's limit of 2^24; use fewer trees or a smaller sample size")
        }
        // Calibrate with the core evaluator on a draft (same trees, threshold not yet known).
        let draft = try LoadedModel(bytes: ModelEncoder.encode(forest: forest, features: features, threshold: .never, profile: profile), name: "<trained model>")
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
        let featureList = result.features.map { "\($0.displayName) (\($0.decimals) decimals)" }.joined(separator: ", ")
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
