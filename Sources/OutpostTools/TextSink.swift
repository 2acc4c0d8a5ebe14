import Glibc

/// A buffered byte output: a file descriptor (stdout, stderr, a file) or memory (tests).
///
/// The tools write large CSV outputs (millions of rows), so bytes are gathered in a buffer and
/// handed to `write(2)` in 64 KiB pieces instead of one system call per line.
public final class TextSink {
    enum Target {
        case descriptor(Int32, closeWhenDone: Bool)
        case memory
    }

    let target: Target
    let name: String
    var buffer: [UInt8] = []
    /// The first write failure, reported by the next `flush` or `close` (writes cannot throw).
    var pendingError: ToolError?
    /// Everything written, for `.memory` sinks.
    public private(set) var captured: [UInt8] = []
    static let flushThresholdBytes = 64 * 1024

    init(target: Target, name: String) {
        self.target = target
        self.name = name
        buffer.reserveCapacity(TextSink.flushThresholdBytes + 1024)
    }

    /// The process's standard output.
    public static func standardOutput() -> TextSink { TextSink(target: .descriptor(1, closeWhenDone: false), name: "<stdout>") }
    /// The process's standard error.
    public static func standardError() -> TextSink { TextSink(target: .descriptor(2, closeWhenDone: false), name: "<stderr>") }
    /// A sink that keeps what is written in `captured` (for tests).
    public static func memory() -> TextSink { TextSink(target: .memory, name: "<memory>") }

    /// Creates (or truncates) the file at `path` for writing.
    public static func file(_ path: String) throws(ToolError) -> TextSink {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw ToolError("\(path): cannot create: \(String(cString: strerror(errno)))") }
        return TextSink(target: .descriptor(fd, closeWhenDone: true), name: path)
    }

    /// The text captured so far (for `.memory` sinks), as UTF-8.
    public var capturedText: String { String(decoding: captured, as: UTF8.self) }

    /// Appends `text`.
    @inline(__always)
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= TextSink.flushThresholdBytes { flushKeepingError() }
    }

    /// Appends one byte.
    @inline(__always)
    public func write(byte: UInt8) {
        buffer.append(byte)
    }

    /// Appends raw bytes.
    public func write(bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= TextSink.flushThresholdBytes { flushKeepingError() }
    }

    /// Flushes when the buffer is past its threshold (for writers that append bytes one by one).
    @inline(__always)
    public func flushIfFull() throws(ToolError) {
        if buffer.count >= TextSink.flushThresholdBytes { try flushBuffer() }
    }

    /// Hands everything buffered to the target.
    /// - Complexity: O(n) in the buffered bytes.
    public func flush() throws(ToolError) { try flushBuffer() }

    /// Flushes and closes a file sink; the sink must not be written afterwards.
    public func close() throws(ToolError) {
        try flushBuffer()
        if case .descriptor(let fd, true) = target {
            if Glibc.close(fd) != 0 { throw ToolError.io("\(name): close failed: \(String(cString: strerror(errno)))") }
        }
    }

    /// Flushes from a non-throwing write, keeping a failure for the next `flush`.
    func flushKeepingError() {
        do {
            try flushBuffer()
        } catch {
            if pendingError == nil { pendingError = error }
            buffer.removeAll(keepingCapacity: true)
        }
    }

    func flushBuffer() throws(ToolError) {
        if let error = pendingError { throw error }
        if buffer.isEmpty { return }
        switch target {
        case .memory:
            captured.append(contentsOf: buffer)
        case .descriptor(let fd, _):
            var offset = 0
            var attempts = 0
            // Bounded: each pass writes at least one byte or fails; EINTR retries are capped.
            while offset < buffer.count && attempts < 1_000_000 {
                attempts += 1
                let written = buffer.withUnsafeBytes { raw in
                    Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw ToolError.io("\(name): write failed: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
