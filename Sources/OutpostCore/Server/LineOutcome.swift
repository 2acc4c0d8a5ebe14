/// What `Server.ingestLine` did with one serial line.
public enum LineOutcome: Equatable, Sendable {
    /// The line's readings (this many) went through the pipeline.
    case accepted(Int)
    /// Nothing to ingest: blank, a `#` comment, or the CSV header.
    case skipped
    /// Not a valid SenML-JSON pack or CSV row (counted in `invalidLines`).
    case invalid
    /// Valid, but the pipeline cannot take it now (nothing of the line was taken).
    case refused(RefusalReason)
}
