/// The `outpost-tool` command line: dispatches to the subcommands and turns errors into an exit
/// code and one line on stderr (`outpost-tool: <message>`).
///
/// Tests call `run` directly with in-memory sinks instead of spawning processes.
public enum OutpostTool {
    /// A subcommand: its name, one line for the overview, and its entry point.
    struct Subcommand: Sendable {
        let name: String
        let summary: String
        let run: @Sendable ([String], TextSink, TextSink) throws(ToolError) -> Void
    }

    static let subcommands: [Subcommand] = [
        Subcommand(name: "gen", summary: "generate labelled synthetic sensor readings as CSV", run: GenCommand.run),
        Subcommand(name: "train", summary: "train an Isolation Forest on CSV columns into a model file (.opm)", run: TrainCommand.run),
        Subcommand(name: "score", summary: "score every CSV row with a model: score,anomaly", run: ScoreCommand.run),
        Subcommand(name: "eval", summary: "ROC AUC, precision, recall and F1 of a model on labelled CSV", run: EvalCommand.run),
        Subcommand(name: "embed-model", summary: "write a model file as a C array for the firmware build", run: EmbedModelCommand.run),
        Subcommand(name: "import", summary: "a scikit-learn IsolationForest (scripts/export_sklearn.py JSON) into a model file", run: ImportCommand.run),
        Subcommand(name: "collect", summary: "development upstream: receive uplink batches into JSON lines", run: CollectCommand.run),
        Subcommand(name: "simulate", summary: "live simulated sensors posting SenML over CoAP (UDP or SLIP serial)", run: SimulateCommand.run),
        Subcommand(name: "log", summary: "verify, summarise or dump a daemon log file (read-only)", run: LogCommand.run),
        Subcommand(name: "report", summary: "a self-contained HTML report with SVG charts from a daemon log file", run: ReportCommand.run),
        Subcommand(name: "fleet", summary: "every gateway an MQTT broker has seen: status, backlog, lag", run: FleetCommand.run),
    ]

    static var overview: String {
        var text = """
            usage: outpost-tool <command> [options]

            Host tooling for Outpost: data generation, forest training and evaluation.

            commands:

            """
        for subcommand in subcommands {
            text += "  " + subcommand.name.padding(toLength: 13) + subcommand.summary + "\n"
        }
        text += "\nRun 'outpost-tool <command> --help' for a command's options.\n"
        text += "Exit codes: 0 success, 2 bad input (flags, CSV, model), 1 I/O failure.\n"
        return text
    }

    /// Runs the command line `arguments` (without the program name) and returns the exit code.
    public static func run(arguments: [String], stdout: TextSink, stderr: TextSink) -> Int32 {
        let code: Int32
        do {
            try dispatch(arguments, stdout: stdout, stderr: stderr)
            try stdout.flush()
            code = 0
        } catch {
            stderr.write("outpost-tool: \(error.message)\n")
            code = error.exitCode
        }
        try? stderr.flush()
        try? stdout.flush()
        return code
    }

    static func dispatch(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        guard let first = arguments.first else {
            throw ToolError("no command given\n" + overview)
        }
        if first == "--help" || first == "-h" || first == "help" {
            if arguments.count > 1, first == "help", let subcommand = subcommands.first(where: { $0.name == arguments[1] }) {
                try subcommand.run(["--help"], stdout, stderr)
                return
            }
            stdout.write(overview)
            return
        }
        guard let subcommand = subcommands.first(where: { $0.name == first }) else {
            let names = subcommands.map(\.name).joined(separator: ", ")
            throw ToolError("unknown command '\(first)' (commands: \(names); see 'outpost-tool --help')")
        }
        try subcommand.run(Array(arguments.dropFirst()), stdout, stderr)
    }
}
