/// One QoS 1 PUBLISH of a log record (or, with `--mqtt-batch`, of a run of records in one pack)
/// waiting for its PUBACK.
struct MQTTInFlight: BitwiseCopyable, Sendable {
    /// The log record's sequence (a run's first).
    var sequence: UInt64 = 0
    /// A run's last record's sequence (`sequence` for one record) and its record count.
    var last: UInt64 = 0
    var count: UInt8 = 1
    /// A run's topic: the type of its first record.
    var type: LogRecordType = .reading
    var packetID: UInt16 = 0
    var used = false
    /// Sent ahead of the records in order (alerts first).
    var ahead = false
    /// Must be sent again (with DUP) once connected: it was sent on a connection that ended.
    var resend = false
}
