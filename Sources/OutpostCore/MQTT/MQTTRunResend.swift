/// What re-sending a run (`MQTTClient.resendRun`) did.
enum MQTTRunResend {
    /// Queued again with DUP.
    case sent
    /// Its records are gone from the log (dropped while unacknowledged): the slot was freed.
    case gone
    /// The output queue has no room now, or the log could not be read: try again on a later tick.
    case noRoom
}
