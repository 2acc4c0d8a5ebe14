import Foundation
import Glibc

/// `outpost-tool simulate`: live sensors for the daemon.
enum SimulateCommand {
    static let help = """
        usage: outpost-tool simulate --target udp://HOST:PORT|serial://DEVICE@BAUD [options]

        Sends the readings of the `gen` model live: every sensor posts each reading as one SenML
        pack to /readings, from its own UDP socket (its own source port). CON requests are
        retransmitted as RFC 7252 asks (2 s x [1, 1.5], doubling, 4 retransmissions). Prints a
        progress line every second (sent, acknowledged, retransmitted, ACK latency p50/p99) and a
        summary. Timestamps are the wall clock when sent.

        On a serial target all sensors share the line: each CoAP message is one SLIP frame
        (RFC 1055) and the answers come back on the same line, matched by message ID.

        options:
          --target URL              udp://HOST:PORT or serial://DEVICE@BAUD (required)
          --sensors N               number of sensors, 1...10000 (default 10)
          --rate R                  readings per second per sensor, 0.001...1000 (default 1)
          --duration S              seconds of sending (default 10)
          --format F                senml-json (default) or senml-cbor
          --confirmable | --non     CON (default) or NON requests
          --no-response             ask for no 2.xx answer (RFC 7967 No-Response = 2): a NON
                                    reading gets nothing back, a CON one an empty ACK
          --labels FILE.csv         write the rows sent, in the `gen` CSV format (ground truth)
          --seed K                  generator seed (default 1)
          --anomaly-probability P   as for gen (default 0.05)
          --drain S                 after the last reading, wait up to S seconds for ACKs (default 10)
          --help                    this text

        """

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(
            command: "simulate", arguments: arguments,
            valueOptions: ["target", "sensors", "rate", "duration", "format", "labels", "seed", "anomaly-probability", "drain"],
            flagOptions: ["confirmable", "non", "no-response"])
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        var options = SimulateRun.Options(target: try SimulateLink.Target(parsing: try parsed.required("target")))
        options.generator.sensors = try parsed.integer("sensors", default: 10, in: 1...10_000)
        options.generator.ratePerS = try parsed.number("rate", default: 1, in: 0.001...1000)
        options.generator.durationS = try parsed.number("duration", default: 10, in: 0...1e7, excludingLowerBound: true)
        options.generator.seed = try parsed.unsigned("seed", default: 1)
        options.generator.anomalyStartProbability = try parsed.number("anomaly-probability", default: 0.05, in: 0...1)
        options.drainS = try parsed.number("drain", default: 10, in: 0...3600)
        if let text = parsed.string("format") {
            guard let format = SimulatePayload.Format(rawValue: text) else {
                throw ToolError("simulate: --format: '\(text)' must be senml-json or senml-cbor")
            }
            options.format = format
        }
        if parsed.flags.contains("confirmable") && parsed.flags.contains("non") {
            throw ToolError("simulate: --confirmable and --non exclude each other")
        }
        options.confirmable = !parsed.flags.contains("non")
        options.noResponse = parsed.flags.contains("no-response")
        options.labelsPath = parsed.string("labels")
        let simulator = try SimulateRun(options: options)
        collectStopRequested = 0
        signal(SIGINT) { _ in collectStopRequested = 1 }
        signal(SIGTERM) { _ in collectStopRequested = 1 }
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        try simulator.run(progress: stderr) { collectStopRequested != 0 }
        stdout.write("simulate: done: " + simulator.progressLine + "\n")
    }
}
