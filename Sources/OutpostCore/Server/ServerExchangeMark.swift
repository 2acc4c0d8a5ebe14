/// A point in the server's memory of answered exchanges (the duplicate cache and the ledger), taken
/// before a request is handled: `Server.forgetExchanges(since:)` removes what was remembered after
/// it, so a request whose answer was withheld (its reading did not reach the log) is processed
/// afresh when retransmitted, instead of being answered 2.04 from memory.
public struct ServerExchangeMark: BitwiseCopyable, Sendable, Equatable {
    /// Insertions into the duplicate cache and into the ledger at the mark (wrapping counters:
    /// a tick makes far fewer than 2^32).
    public let cached: UInt32
    public let recorded: UInt32
}
