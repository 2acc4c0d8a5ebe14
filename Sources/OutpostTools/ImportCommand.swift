import Foundation

/// `outpost-tool import`: a scikit-learn IsolationForest, exported as JSON by
/// scripts/export_sklearn.py, into a model file the daemon and the firmware run.
enum ImportCommand {
    static let help = """
        usage: outpost-tool import TREES.json --features a,b,c --out MODEL.opm [options]

        Converts a fitted sklearn.ensemble.IsolationForest, written as JSON by
        'python3 scripts/export_sklearn.py FITTED.joblib > TREES.json' (docs/SKLEARN_IMPORT.md),
        into a model file (docs/MODEL_FORMAT.md). Leaves get sklearn's path length
        depth + c(n_node_samples), c(psi) comes from max_samples_, and the threshold score from
        offset_ (-offset_), so 'outpost-tool score' matches -score_samples within 1e-3.
        Split values t become floor(t * 10^d) for each input's decimals d (by default the largest
        d in -9...9 with max|t| * 10^d <= 2^30, as train chooses them): inputs with at most d
        decimals go the way sklearn sends them.

        options:
          --features a,b,c        the model's input names, in the column order sklearn was fitted
                                  on; the daemon takes temperature, humidity, pressure, vibration,
                                  power_consumption
          --out MODEL.opm         model file to write
          --profile NAME          the profile the model is for (format v2, which the daemon's
                                  --model needs); without it format v1 is written
          --decimals d1,d2,...    each input's fixed-point decimals instead of the default
          --help                  this text

        """

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(
            command: "import", arguments: arguments, valueOptions: ["features", "out", "profile", "decimals"], positionalLimit: 1)
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        guard let input = parsed.positionals.first else { throw ToolError("import: no TREES.json given (see 'outpost-tool import --help')") }
        let out = try parsed.required("out")
        let list = try parsed.required("features")
        let columns = list.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces }
        if columns.contains(where: \.isEmpty) { throw ToolError("import: --features: empty name in '\(list)'") }
        if Set(columns).count != columns.count { throw ToolError("import: --features: a name is listed twice in '\(list)'") }
        for column in columns { try ModelFeature.validate(column: column, command: "import") }
        let profile = parsed.string("profile")
        if let profile { try ModelEncoder.validateProfile(profile, command: "import") }
        let name = FileBytes.displayName(input)
        let sklearn = try SklearnForest.parse(try FileBytes.read(input), name: name)
        if columns.count != sklearn.featureCount {
            throw ToolError("import: --features names \(columns.count) inputs; \(name) was fitted on \(sklearn.featureCount)")
        }
        var decimals: [Int] = []
        if let given = parsed.string("decimals") {
            for item in given.split(separator: ",", omittingEmptySubsequences: false) {
                guard let d = Int(item.trimmingCharacters(in: .whitespaces)), FixedPointScale.decimalRange.contains(d) else {
                    throw ToolError("import: --decimals: '\(item)' is not an integer in -9...9")
                }
                decimals.append(d)
            }
            if decimals.count != columns.count { throw ToolError("import: --decimals gives \(decimals.count) values for \(columns.count) inputs") }
        } else {
            for (column, magnitude) in zip(columns, sklearn.thresholdMagnitudes) {
                guard let d = FixedPointScale.decimals(maxAbs: magnitude) else {
                    throw ToolError("import: input '\(column)': split values up to \(magnitude) are too large for the model's fixed point")
                }
                decimals.append(d)
            }
        }
        let result = try convert(sklearn, columns: columns, decimals: decimals, profile: profile, name: name)
        try FileBytes.writeAtomically(result.bytes, to: out)
        let featureList = zip(columns, decimals).map { "\($0) (\($1) decimals)" }.joined(separator: ", ")
        stderr.write("""
            import: \(sklearn.trees.count) trees, max_samples \(sklearn.maxSamples), \(result.forest.nodes.count) nodes from \(name)
            import: features \(featureList)
            import: threshold score \(DecimalFormat.string(Double(result.threshold.scoreQ16) / 65536, decimals: 6)) (-offset_ = \(-sklearn.offset))
            import: wrote \(out) (\(result.bytes.count) bytes, format v\(profile == nil ? 1 : 2))

            """)
    }

    /// The model file's bytes for `sklearn`, checked with the core loader.
    static func convert(
        _ sklearn: SklearnForest, columns: [String], decimals: [Int], profile: String?, name: String
    ) throws(ToolError) -> (bytes: [UInt8], forest: TrainedForest, threshold: ModelEncoder.Threshold) {
        let forest = try sklearn.forest(decimals: decimals, name: name)
        // sklearn flags x when score_samples(x) < offset_, i.e. when s(x) = -score_samples(x)
        // exceeds -offset_; the model flags s(x) >= its threshold score.
        let scoreThreshold = -sklearn.offset
        guard scoreThreshold > 0 && scoreThreshold <= 1 else {
            throw ToolError("\(name): offset \(sklearn.offset) gives a threshold score outside (0, 1]")
        }
        let threshold = ThresholdCalibration.threshold(score: scoreThreshold, treeCount: forest.roots.count, cPsiQ16: forest.cPsiQ16)
        let features = zip(columns, decimals).map { ModelFeature(column: $0, decimals: $1) }
        let bytes = ModelEncoder.encode(forest: forest, features: features, threshold: threshold, profile: profile)
        // The core loader checks every rule once more (tree shapes, depths, sizes).
        _ = try LoadedModel(bytes: bytes, name: "<imported model>")
        return (bytes, forest, threshold)
    }
}
