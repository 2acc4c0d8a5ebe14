/// How each log record is written into its MQTT message (`--uplink-format`, docs/MQTT.md §3).
public enum MQTTPayloadFormat: UInt8, Sendable, BitwiseCopyable {
    /// SenML-JSON (RFC 8428 §5), for Node-RED and any JSON consumer.
    case senmlJSON = 0
    /// SenML-CBOR (RFC 8428 §6): the CoAP uplink's pack, one record long.
    case senmlCBOR = 1
    /// InfluxDB line protocol, one line per SenML record, for Telegraf's `mqtt_consumer`.
    case influx = 2

    /// The format named by `text` (`senml-json`, `senml-cbor`, `influx`), or nil.
    public init?(name text: UnsafeRawBufferPointer) {
        func matches(_ literal: StaticString) -> Bool {
            if text.count != literal.utf8CodeUnitCount { return false }
            for i in 0..<text.count where text[i] != literal.utf8Start[i] { return false }
            return true
        }
        if matches("senml-json") { self = .senmlJSON; return }
        if matches("senml-cbor") { self = .senmlCBOR; return }
        if matches("influx") { self = .influx; return }
        return nil
    }

    public var name: StaticString {
        switch self {
        case .senmlJSON: return "senml-json"
        case .senmlCBOR: return "senml-cbor"
        case .influx: return "influx"
        }
    }
}
