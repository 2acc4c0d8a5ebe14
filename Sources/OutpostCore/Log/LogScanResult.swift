/// The outcome of a bounded search through the log (`LogStore.nextAlert`).
public enum LogScanResult: Equatable, Sendable {
    /// A matching record was found and returned.
    case found
    /// No matching record up to the end of what may be read.
    case end
    /// The budget of records was used up; call again to continue from the reader's position.
    case budgetSpent
}
