import Foundation
import Glibc

/// Set by SIGINT/SIGTERM: the long-running tool commands stop cleanly at their next check.
nonisolated(unsafe) var collectStopRequested: sig_atomic_t = 0

/// `outpost-tool collect`: the development upstream of the uplink (docs/UPLINK_FORMAT.md §7).
enum CollectCommand {
    static let help = """
        usage: outpost-tool collect --listen HOST:PORT --out FILE.jsonl [options]

        Receives the uplink's SenML-CBOR batches (CON POST, any path, Block1 reassembled), drops
        duplicate log records by (node id, log id, sequence), appends one JSON line per new record to FILE,
        and answers 2.04 only after the lines are written. Prints live counts to stderr once a
        second and a summary at the end. Stops cleanly on SIGINT or SIGTERM.

        JSON lines (one per log record; "time" in seconds since the epoch; "log_id" is the pack's
        "lid", 0 when the sender gave none):
          {"node","log_id","seq","sensor","type":"reading","time","values":{"temperature":21.5,...}}
          {"node","log_id","seq","sensor","type":"alert","time","kind","state","severity","value","unit",
           "threshold"[,"feature"][,"confidence"]}
          {"node","log_id","seq","sensor","type":"summary","time","window_s","stats":{...},"status":{...}}
          {"node","log_id","seq","type":"marker","time","code","code_number","value"}
          {"node","log_id","seq","camera","type":"image_chunk","time","transfer","chunk","offset",
           "content_format","bytes","last"}
          {"node","log_id","seq","camera","type":"image_aborted","time","transfer","chunk","bytes_received"}

        options:
          --listen HOST:PORT     UDP address to serve (IPv4; port 0 picks one, printed on stderr)
          --out FILE             JSON lines output, appended to (created when missing)
          --outage START-END     seconds since start during which every datagram is dropped
                                 unanswered, as on a cut link (e.g. 10-40)
          --duration SECONDS     stop after this long (default: until SIGINT/SIGTERM)
          --images DIR           join image chunks into DIR/<node>_<logid>_<camera>_<transfer>.jpg (Content-Format
                                 22) or .bin once the last chunk came (.part until then; removed
                                 when the transfer was aborted)
          --help                 this text

        """

    static func run(_ arguments: [String], stdout: TextSink, stderr: TextSink) throws(ToolError) {
        let parsed = try CommandArguments(command: "collect", arguments: arguments, valueOptions: ["listen", "out", "outage", "duration", "images"])
        if parsed.wantsHelp {
            stdout.write(help)
            return
        }
        let listen = try UDPAddress(parsing: try parsed.required("listen"), option: "collect: --listen")
        let path = try parsed.required("out")
        let outage = try parsed.string("outage").map { (text) throws(ToolError) in try parseOutage(text) }
        let duration = try parsed.number("duration", default: 0, in: 0...1e9)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        if fd < 0 { throw ToolError.io("\(path): cannot open: \(String(cString: strerror(errno)))") }
        let out = TextSink(target: .descriptor(fd, closeWhenDone: true), name: path)
        let socket = try UDPSocket(bindingTo: listen)
        stderr.write("collect: listening on \(socket.local), writing \(path)\n")
        try stderr.flush()
        collectStopRequested = 0
        signal(SIGINT) { _ in collectStopRequested = 1 }
        signal(SIGTERM) { _ in collectStopRequested = 1 }
        defer {
            signal(SIGINT, SIG_DFL)
            signal(SIGTERM, SIG_DFL)
        }
        let start = CollectServer.nowMs()
        let server = CollectServer(socket: socket, out: out, outage: outage, startMs: start)
        if let directory = parsed.string("images") { server.images = try CollectImages(directory: directory) }
        let endMs = duration > 0 ? start + Int64(duration * 1_000) : Int64.max
        try server.run(progress: stderr) { collectStopRequested != 0 || CollectServer.nowMs() >= endMs }
        try out.close()
        stderr.write("collect: done: " + server.summary + "\n")
    }

    /// `START-END` in seconds (decimals allowed), START < END.
    static func parseOutage(_ text: String) throws(ToolError) -> Range<Int64> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = Double(parts[0]), let end = Double(parts[1]), start >= 0, end > start, end < 1e9 else {
            throw ToolError("collect: --outage: '\(text)' is not START-END in seconds with START < END")
        }
        return Int64(start * 1_000)..<Int64(end * 1_000)
    }
}
