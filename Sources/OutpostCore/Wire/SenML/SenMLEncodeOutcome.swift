/// What `SenMLEncoder.append` did with one log record.
public enum SenMLEncodeOutcome: Equatable, Sendable {
    /// The record's SenML records are in the pack.
    case appended
    /// The pack has no room for the whole record; it is unchanged.
    case noRoom
    /// The record is not carried (malformed payload); the pack is unchanged.
    case skipped
}
