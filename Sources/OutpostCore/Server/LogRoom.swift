/// What the log can take now, handed to `Server.handle` and `Server.ingestLine` with each request:
/// the one admission check (`Server.ingest`) refuses a pack whose readings, with the alerts they
/// may raise, would not fit, before anything is acknowledged.
public struct LogRoom: BitwiseCopyable, Sendable, Equatable {
    /// Records the log can take now; nil without a log (no limit).
    public var records: Int?
    /// Max-Age (seconds) of the 5.03 that refuses a pack for lack of room.
    public var retryS: UInt32

    public init(records: Int?, retryS: UInt32) {
        self.records = records
        self.retryS = retryS
    }

    /// No log: nothing is refused for its sake.
    public static var unlimited: LogRoom { LogRoom(records: nil, retryS: 1) }
}
