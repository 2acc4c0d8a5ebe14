import CHAL
import OutpostCore

/// Reads a file descriptor line by line into a fixed buffer, without allocation.
struct LineReader {
    enum Next {
        /// A line without its `\n`; valid until the next call.
        case line(UnsafeRawBufferPointer)
        /// A line longer than `lineBytesMax` was skipped.
        case tooLong
        /// A read failed with this negative errno.
        case failed(Int64)
        /// End of input.
        case end
    }

    let fd: Int32
    let buffer: UnsafeMutableRawBufferPointer
    let lineBytesMax: Int
    var start = 0
    var end = 0
    var atEnd = false
    var skipping = false

    init(fd: Int32, buffer: UnsafeMutableRawBufferPointer, lineBytesMax: Int) {
        precondition(lineBytesMax < buffer.count, "the buffer must hold a whole line")
        self.fd = fd
        self.buffer = buffer
        self.lineBytesMax = lineBytesMax
    }

    /// The next line, or why there is none.
    /// - Complexity: O(line length), amortised over the reads.
    mutating func next() -> Next {
        // Bounded: each pass either returns, or reads more (which ends at end of file).
        while true {
            var newline = start
            while newline < end && buffer[newline] != 0x0A { newline += 1 }
            if newline < end {
                let line = UnsafeRawBufferPointer(rebasing: buffer[start..<newline])
                start = newline + 1
                if skipping {
                    skipping = false
                    return .tooLong
                }
                if line.count > lineBytesMax { return .tooLong }
                return .line(line)
            }
            if atEnd {
                if start < end && !skipping {
                    let line = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
                    start = end
                    if line.count > lineBytesMax { return .tooLong }
                    return .line(line)
                }
                if skipping {
                    skipping = false
                    start = end
                    return .tooLong
                }
                return .end
            }
            if end - start > lineBytesMax {
                // Drop the overlong line's bytes and keep looking for its end.
                skipping = true
                start = 0
                end = 0
            } else if start > 0 {
                let pending = end - start
                for i in 0..<pending { buffer[i] = buffer[start + i] }
                start = 0
                end = pending
            }
            let free = buffer.count - end
            let read = chal_read(fd, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + end, free.wide)
            if read < 0 { return .failed(read) }
            if read == 0 { atEnd = true } else { end += read.narrow }
        }
    }
}
