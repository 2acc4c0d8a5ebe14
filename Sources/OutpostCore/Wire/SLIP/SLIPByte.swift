/// The special bytes of SLIP framing (RFC 1055).
public enum SLIPByte {
    /// Ends a frame (and, sent first, flushes line noise at the receiver).
    public static let end: UInt8 = 0xC0
    /// Starts a two-byte escape sequence.
    public static let escape: UInt8 = 0xDB
    /// After `escape`: a data byte 0xC0.
    public static let escapedEnd: UInt8 = 0xDC
    /// After `escape`: a data byte 0xDB.
    public static let escapedEscape: UInt8 = 0xDD
}
