/// A run of log records encoded as one message (`--mqtt-batch`): what `MQTTClient.encodeBatch`
/// read and encoded. The body lives in the client's scratch until the next encoding.
struct MQTTBatch {
    /// Records in the message, the first and last one's sequence, and the type of the first
    /// (every record of the run has its topic level).
    var count = 0
    var first: UInt64 = 0
    var last: UInt64 = 0
    var type: LogRecordType = .reading
    var firstTimestampMs: Int64 = 0
    /// Where the reader in order stands after the run: past its last record and past the
    /// records it skipped (filtered, not encodable, gone).
    var end: UInt64 = 0
    /// Records skipped because the forward mode does not send them, or because they did not encode.
    var filtered: UInt64 = 0
    var malformed: UInt64 = 0
    /// The next record is an alert to publish on its own (`scratch` holds it): alerts never
    /// join a run, so a run re-sent later is exactly the records it first held.
    var alertNext = false
    /// The log source failed while reading.
    var sourceFailed = false
    var body = UnsafeRawBufferPointer(start: nil, count: 0)
}
