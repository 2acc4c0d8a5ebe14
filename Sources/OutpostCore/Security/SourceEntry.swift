/// One source of plain traffic in the `SourceTable`: an address (a UDP port does not make a new
/// source, a DTLS session does), its two token buckets and what it holds of the shared tables.
public struct SourceEntry: BitwiseCopyable, Sendable {
    /// The source's endpoint with port 0 (`SourceTable.key(of:)`).
    public var key: Endpoint
    /// Request tokens in thousandths (every datagram other than a `POST` takes 1 000; at most
    /// 2 000 × 1 000 000, so 32 bits hold it).
    public var requestMilli: Int32
    /// Reading tokens in thousandths (every reading of a pack takes 1 000).
    public var readingMilli: Int32
    /// When both buckets were last refilled, and when the source was last seen.
    public var refilledMs: Int64
    /// The second (`nowMs / 1000`, its low 32 bits) the source was last counted active in.
    public var activeSecond: UInt32
    /// Sensors this source registered while it held this entry.
    public var sensors: UInt16
    /// Sensors whose latest reading came from this source (`ServerSensorRecord.owner`): what it
    /// holds of the sensor table now, the measure of its sensor share.
    public var held: UInt16
    public var inUse: Bool

    /// An unused entry.
    public static var unused: SourceEntry {
        SourceEntry(key: .none, requestMilli: 0, readingMilli: 0, refilledMs: 0, activeSecond: UInt32.max, sensors: 0, held: 0, inUse: false)
    }
}
