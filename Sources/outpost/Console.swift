import CHAL
import OutpostCore

/// Buffered text output to a file descriptor (standard output or error), flushed when nearly full
/// and at exit. The buffer is carved from the arena at start-up.
struct Console {
    var writer: TextWriter
    let fd: Int32
    /// The first write error (negative errno), or 0.
    private(set) var error: Int64 = 0

    init(fd: Int32, buffer: UnsafeMutableRawBufferPointer) {
        self.fd = fd
        writer = TextWriter(buffer: buffer)
    }

    /// Writes the buffered text out.
    mutating func flush() {
        let bytes = writer.bytes
        if bytes.count > 0, error == 0 {
            let result = chal_write_all(fd, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count.wide)
            if result < 0 { error = result }
        }
        writer.reset()
    }

    /// Flushes when fewer than `bytes` are free, so the next record of up to that size fits.
    mutating func reserve(_ bytes: Int) {
        if writer.freeBytes < bytes { flush() }
    }

    /// Writes a whole line of static text.
    mutating func line(_ text: StaticString) {
        reserve(text.utf8CodeUnitCount + 1)
        writer.text(text)
        writer.byte(0x0A)
    }
}
