import Glibc

/// Reads whole input files: the tools' inputs (CSV, models) fit in memory.
public enum FileBytes {
    /// The bytes of the file at `path`, or of standard input when `path` is `-`.
    /// - Complexity: O(n) in the file size.
    public static func read(_ path: String) throws(ToolError) -> [UInt8] {
        precondition(!path.isEmpty, "empty path")
        let fd: Int32
        if path == "-" {
            fd = 0
        } else {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw ToolError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        }
        defer { if fd != 0 { _ = close(fd) } }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        // Bounded by the file size: every pass reads at least one byte or ends; 2^40 bytes at most.
        var passes = 0
        while passes < (1 << 24) {
            passes += 1
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EISDIR { throw ToolError("\(displayName(path)): is a directory, not a file") }
                throw ToolError.io("\(displayName(path)): read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Writes `bytes` to `path` atomically: a temporary file in the same folder, then a rename, so a
    /// reader (or a build) never sees half a model.
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws(ToolError) {
        precondition(!path.isEmpty, "empty path")
        let temporary = path + ".tmp-\(getpid())"
        let sink = try TextSink.file(temporary)
        sink.write(bytes: bytes)
        do {
            try sink.close()
        } catch {
            _ = unlink(temporary)
            throw error
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            _ = unlink(temporary)
            throw ToolError.io("\(path): cannot replace: \(reason)")
        }
    }

    /// How a path is named in messages (`<stdin>` for `-`).
    public static func displayName(_ path: String) -> String { path == "-" ? "<stdin>" : path }
}
