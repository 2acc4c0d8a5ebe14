/// The answer of `Server.enqueueCommand`: the outcome and, when accepted, the command's id and how
/// many commands its sensor now has pending.
public struct SensorCommandEnqueueResult: BitwiseCopyable, Sendable, Equatable {
    public var outcome: SensorCommandOutcome
    /// The command's id (meaningful when `outcome == .accepted`).
    public var id: UInt32
    public var pending: Int

    public init(outcome: SensorCommandOutcome, id: UInt32 = 0, pending: Int = 0) {
        self.outcome = outcome
        self.id = id
        self.pending = pending
    }
}
