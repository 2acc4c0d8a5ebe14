/// `outpost-tool score`: the core evaluator's score and decision for every CSV row.
enum ScoreCommand {
    static let help = """
        usage: outpost-tool score --model MODEL.opm --input FILE.csv [--out FILE]

        Scores every row with the core's evaluator (the firmware's code) and writes CSV with the
        header 'score,anomaly' and one line per input row: the score s in (0, 1] with 6 decimals
        (from its Q16 value) and the decision 0/1. Input columns are found by the model's feature
        names and read exactly into the model's fixed point.

        options:
          --model MODEL.opm   model file
          --input FILE.csv    rows to score (- for standard input)
          --out FILE          output file (default standard output)
          --help              this text

        """

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(command: "score", arguments: arguments, valueOptions: ["model", "input", "out"])
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        let model = try LoadedModel.load(try parsed.required("model"))
        let table = try CSVTable.load(try parsed.required("input"))
        let scores = model.scores(inputs: try model.inputs(from: table))
        let sink = try parsed.string("out").map { path throws(ToolError) in try TextSink.file(path) } ?? stdout
        sink.write("score,anomaly\n")
        var line: [UInt8] = []
        for score in scores {
            line.removeAll(keepingCapacity: true)
            DecimalFormat.append(Double(score.scoreQ16) / 65536, decimals: 6, to: &line)
            line.append(0x2C)
            line.append(score.anomaly ? 0x31 : 0x30)
            line.append(0x0A)
            sink.write(bytes: line)
        }
        if sink !== stdout { try sink.close() }
    }
}
