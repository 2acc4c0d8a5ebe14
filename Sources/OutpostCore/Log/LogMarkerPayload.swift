/// The payload of a `marker` record (docs/LOG_FORMAT.md §4.4): an event of the log itself.
public struct LogMarkerPayload: Sendable, Equatable, BitwiseCopyable {
    /// Marker codes (stored: fixed forever).
    public static let started: UInt16 = 1
    public static let readingsDropped: UInt16 = 2
    public static let alertsDropped: UInt16 = 3
    /// The upstream refused a record for good (a 4.xx that retrying cannot fix, docs/UPLINK_FORMAT.md
    /// §1): the value is that record's sequence, which the uplink then passes without delivering.
    public static let rejectedByUpstream: UInt16 = 4

    public var code: UInt16
    public var value: UInt64

    public init(code: UInt16, value: UInt64) {
        self.code = code
        self.value = value
    }

    /// Payload bytes of a marker.
    public static let sizeBytes = 12

    /// Writes the payload into `bytes` (at least 12 bytes); returns its length.
    public func encode(into bytes: UnsafeMutableRawBufferPointer) -> Int {
        precondition(bytes.count >= LogMarkerPayload.sizeBytes, "payload buffer too small")
        LogFormat.store16(bytes, 0, code)
        LogFormat.store16(bytes, 2, 0)
        LogFormat.store64(bytes, 4, value)
        return LogMarkerPayload.sizeBytes
    }

    /// The payload in `bytes`, or nil when malformed.
    public init?(decoding bytes: UnsafeRawBufferPointer) {
        if bytes.count != LogMarkerPayload.sizeBytes || LogFormat.load16(bytes, 2) != 0 { return nil }
        code = LogFormat.load16(bytes, 0)
        value = LogFormat.load64(bytes, 4)
    }

    /// Lower-case name of the code for JSON output.
    public var codeName: StaticString {
        switch code {
        case LogMarkerPayload.started: return "started"
        case LogMarkerPayload.readingsDropped: return "readings_dropped"
        case LogMarkerPayload.alertsDropped: return "alerts_dropped"
        case LogMarkerPayload.rejectedByUpstream: return "rejected_by_upstream"
        default: return "unknown"
        }
    }
}
