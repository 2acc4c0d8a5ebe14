import Foundation
import Glibc

/// The images of `outpost-tool collect --images DIR`: the chunks of each transfer (docs/UPLINK_FORMAT.md
/// §3.5) written at their offsets into `DIR/<node>_<logid>_<camera>_<transfer>.part`, renamed to `.jpg`
/// (Content-Format 22) or `.bin` when the last chunk came, removed when the transfer was aborted.
/// A transfer is keyed by node, log id and transfer id, so two gateways never mix.
final class CollectImages {
    let directory: String
    /// Open partial files by transfer key.
    var open: [String: (fd: Int32, path: String)] = [:]
    private(set) var completed = 0
    private(set) var aborted = 0

    init(directory: String) throws(ToolError) {
        self.directory = directory
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw ToolError.io("\(directory): cannot create: \(String(cString: strerror(errno)))")
        }
    }

    /// Takes one new log record of the batch (already deduplicated); ignores records that are not
    /// image chunks.
    func take(_ record: CollectPack.LogRecord) throws(ToolError) {
        let first = record.records[0]
        var parts = first.name.split(separator: "/").map(String.init)
        let isAbort = parts.count >= 3 && parts.last == "aborted" && parts[parts.count - 2] == "image"
        guard isAbort || (parts.count >= 2 && parts.last == "image") else { return }
        guard let transfer = first.fields["xfer"]?.sequence else { return }
        parts.removeLast(isAbort ? 2 : 1)
        let camera = CollectPack.unescapeName(parts.joined(separator: "/"))
        let node = CollectPack.unescapeName(record.node)
        let key = "\(node)#\(record.logID)#\(transfer)"
        // The log id is part of the name: two logs of one node may reuse a transfer id.
        let base = directory + "/" + safe(node) + "_" + String(record.logID) + "_" + safe(camera) + "_" + String(transfer)
        if isAbort {
            if let file = open.removeValue(forKey: key) {
                Glibc.close(file.fd)
                unlink(file.path)
            }
            aborted += 1
            return
        }
        guard case .bytes(let data) = first.fields["vd"], let offset = first.fields["off"]?.sequence else { return }
        guard offset <= UInt64(Int64.max - Int64(data.count)) else {
            throw ToolError.io("\(camera) transfer \(transfer): chunk offset \(offset) is out of range")
        }
        var file = open[key]
        if file == nil {
            let path = base + ".part"
            let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            if fd < 0 { throw ToolError.io("\(path): cannot open: \(String(cString: strerror(errno)))") }
            file = (fd, path)
            open[key] = file
        }
        let written = data.withUnsafeBytes { pwrite(file!.fd, $0.baseAddress, $0.count, off_t(offset)) }
        if written != data.count { throw ToolError.io("\(file!.path): write failed: \(String(cString: strerror(errno)))") }
        if case .bool(true) = first.fields["last"] {
            Glibc.close(file!.fd)
            open[key] = nil
            let format = first.fields["cf"]?.sequence
            let final = base + (format == 22 ? ".jpg" : ".bin")
            if rename(file!.path, final) != 0 { throw ToolError.io("\(final): cannot rename: \(String(cString: strerror(errno)))") }
            completed += 1
        }
    }

    /// A name part safe in a file name (no `/`).
    func safe(_ text: String) -> String { text.replacingOccurrences(of: "/", with: "_") }
}
