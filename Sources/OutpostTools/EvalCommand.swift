/// `outpost-tool eval`: how well a model separates labelled rows.
enum EvalCommand {
    static let help = """
        usage: outpost-tool eval --model MODEL.opm --input FILE.csv [--label-column label]

        Scores every row with the core's evaluator and compares with the 0/1 label column:
        ROC AUC from the scores (ties count one half), and precision, recall, F1 and the
        confusion counts of the model's own decision (its threshold). Output: one 'name value'
        line each on standard output; 'n/a' where a ratio is undefined.

        options:
          --model MODEL.opm       model file
          --input FILE.csv        labelled rows (- for standard input)
          --label-column NAME     the label column (default label)
          --help                  this text

        """

    /// The figures `eval` prints.
    struct Report: Equatable {
        var rows: Int
        var positives: Int
        var rocAUC: Double?
        var confusion: ConfusionCounts
        var thresholdScore: Double
    }

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(command: "eval", arguments: arguments, valueOptions: ["model", "input", "label-column"])
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        let model = try LoadedModel.load(try parsed.required("model"))
        let table = try CSVTable.load(try parsed.required("input"))
        let report = try evaluate(model: model, table: table, labelColumn: parsed.string("label-column") ?? "label")
        stdout.write(format(report))
    }

    /// Scores `table` with `model` and compares with `labelColumn`.
    /// - Complexity: O(rows × trees × depth + rows log rows).
    static func evaluate(model: LoadedModel, table: CSVTable, labelColumn: String) throws(ToolError) -> Report {
        let labelIndex = try table.columnIndex(labelColumn)
        if table.rowCount == 0 { throw ToolError("\(table.name): no data rows to evaluate") }
        var labels: [Bool] = []
        labels.reserveCapacity(table.rowCount)
        for row in 0..<table.rowCount { labels.append(try table.label(row: row, column: labelIndex)) }
        let scores = model.scores(inputs: try model.inputs(from: table))
        return Report(
            rows: table.rowCount,
            positives: labels.filter { $0 }.count,
            rocAUC: BinaryMetrics.rocAUC(scores: scores.map(\.scoreQ16), labels: labels),
            confusion: ConfusionCounts(predicted: scores.map(\.anomaly), labels: labels),
            thresholdScore: Double(model.forest.thresholdScoreQ16) / 65536)
    }

    static func format(_ report: Report) -> String {
        func ratio(_ value: Double?) -> String { value.map { DecimalFormat.string($0, decimals: 4) } ?? "n/a" }
        let c = report.confusion
        return """
            rows \(report.rows)
            positives \(report.positives)
            negatives \(report.rows - report.positives)
            roc_auc \(ratio(report.rocAUC))
            threshold_score \(DecimalFormat.string(report.thresholdScore, decimals: 6))
            precision \(ratio(c.precision))
            recall \(ratio(c.recall))
            f1 \(ratio(c.f1))
            true_positives \(c.truePositives)
            false_positives \(c.falsePositives)
            true_negatives \(c.trueNegatives)
            false_negatives \(c.falseNegatives)

            """
    }
}
