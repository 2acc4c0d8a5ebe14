/// A streaming SLIP (RFC 1055) decoder: bytes go in as they come off a serial line, in chunks of
/// any size; complete frames come out of a fixed buffer owned by the caller.
///
/// Framing rules:
/// - END (0xC0) ends a frame. Empty frames (two ENDs in a row, or the leading END a sender uses
///   to flush noise) are ignored and counted in `emptyFrameCount`.
/// - ESC (0xDB) followed by ESC_END (0xDC) is a data 0xC0, followed by ESC_ESC (0xDD) a data 0xDB.
///   Any other byte after ESC is a bad escape: the frame is dropped, counted in `badEscapeCount`,
///   and the decoder discards bytes up to the next END (an END right after ESC resynchronises at once).
/// - A frame longer than the buffer is dropped and counted in `oversizeCount`; the decoder
///   discards bytes up to the next END.
/// - The decoder starts synchronised: bytes before the first END form a frame. A sender that
///   begins with END (as `SLIPEncoder` does by default) makes line noise an ignored junk frame.
public struct SLIPDecoder {
    enum State: UInt8 {
        case normal
        case escaped
        case discarding
    }

    let buffer: UnsafeMutableRawBufferPointer
    /// Bytes of the frame being assembled.
    var lengthBytes: Int = 0
    /// Bytes of the frame just completed by `push`, or 0.
    var readyBytes: Int = 0
    var state: State = .normal

    /// Frames delivered.
    public private(set) var frameCount: UInt64 = 0
    /// Frames dropped because of a bad escape sequence.
    public private(set) var badEscapeCount: UInt64 = 0
    /// Frames dropped because they did not fit the buffer.
    public private(set) var oversizeCount: UInt64 = 0
    /// Empty frames ignored.
    public private(set) var emptyFrameCount: UInt64 = 0

    /// A decoder assembling frames of at most `frameBuffer.count` bytes in `frameBuffer`.
    public init(frameBuffer: UnsafeMutableRawBufferPointer) {
        precondition(frameBuffer.count > 0, "SLIP frame buffer must not be empty")
        buffer = frameBuffer
    }

    /// Largest frame accepted, in bytes.
    public var capacityBytes: Int { buffer.count }

    /// The frame completed by the last `push` that returned true. It stays valid until the next
    /// `push`, which reuses the buffer.
    public var frame: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: buffer[0..<readyBytes])
    }

    /// Feeds one byte.
    /// - Returns: true when the byte completed a non-empty frame, now in `frame`.
    /// - Complexity: O(1)
    public mutating func push(_ byte: UInt8) -> Bool {
        readyBytes = 0
        switch state {
        case .discarding:
            if byte == SLIPByte.end { state = .normal }
            return false
        case .escaped:
            if byte == SLIPByte.escapedEnd {
                state = .normal
                append(SLIPByte.end)
            } else if byte == SLIPByte.escapedEscape {
                state = .normal
                append(SLIPByte.escape)
            } else {
                badEscapeCount &+= 1
                lengthBytes = 0
                // END after ESC is itself the resynchronisation point.
                state = byte == SLIPByte.end ? .normal : .discarding
            }
            return false
        case .normal:
            if byte == SLIPByte.end {
                if lengthBytes == 0 {
                    emptyFrameCount &+= 1
                    return false
                }
                readyBytes = lengthBytes
                lengthBytes = 0
                frameCount &+= 1
                return true
            }
            if byte == SLIPByte.escape {
                state = .escaped
            } else {
                append(byte)
            }
            return false
        }
    }

    /// Feeds `chunk`, calling `body` with each frame it completes (valid only during the call).
    /// - Complexity: O(n) in the chunk size.
    public mutating func feed<E: Error>(
        _ chunk: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        for byte in chunk where push(byte) {
            try body(frame)
        }
    }

    /// Appends a data byte, or drops the frame when it would not fit.
    mutating func append(_ byte: UInt8) {
        if lengthBytes == buffer.count {
            oversizeCount &+= 1
            lengthBytes = 0
            state = .discarding
            return
        }
        buffer[lengthBytes] = byte
        lengthBytes += 1
    }
}
