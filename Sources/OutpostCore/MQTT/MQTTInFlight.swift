/// One QoS 1 PUBLISH of a log record waiting for its PUBACK.
struct MQTTInFlight: BitwiseCopyable, Sendable {
    /// The log record's sequence.
    var sequence: UInt64 = 0
    var packetID: UInt16 = 0
    var used = false
    /// Sent ahead of the records in order (alerts first).
    var ahead = false
    /// Must be sent again (with DUP) once connected: it was sent on a connection that ended.
    var resend = false
}
