/// What the log does when its segments are all in use and the oldest one was not forwarded yet.
public enum LogFullPolicy: UInt8, Sendable, BitwiseCopyable {
    /// Erase the oldest segment: its unforwarded alerts are copied forward first, its unforwarded
    /// readings are lost (and counted). The log keeps one free segment ahead of the head.
    case dropOldest = 0
    /// Refuse new records until the forward cursor has passed the whole oldest segment.
    case rejectNew = 1
}
