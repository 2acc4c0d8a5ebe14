import CHAL
import OutpostCore

/// The daemon's command line, parsed without the heap: addresses into `chal_address`, serial
/// specs into `SerialSpec`, names into `SensorName`; paths stay in the process arguments.
struct DaemonFlags {
    /// Most `--listen` flags.
    static let listenersMax = 8
    /// Most `--serial` flags.
    static let serialLinesMax = 4
    /// Baud rate when a `--serial` spec names none.
    static let defaultBaud: Int32 = 115_200

    var listeners = InlineArray<8, chal_address>(repeating: chal_address())
    var listenerCount = 0
    var serial = InlineArray<4, SerialSpec>(repeating: SerialSpec())
    var serialCount = 0
    /// Argument index of `--data-dir`'s value (0: none given).
    var dataDirIndex = 0
    var nodeId = SensorName("outpost")
    var help = false
    /// `--log-size` in bytes (0: the profile's default geometry).
    var logSizeBytes: Int64 = 0
    var durability = Durability.sync
    var whenFull = LogFullPolicy.dropOldest
    /// `--upstream`: set when given (`upstreamAddress` and `upstreamPath` are then valid).
    var hasUpstream = false
    var upstreamAddress = chal_address()
    var upstreamPath = UplinkPath("")
    var forward = UplinkForwardMode.raw
    /// `--uplink-rate` in log records per second (0: unlimited).
    var uplinkRatePerS: UInt32 = 0
    /// Smallest and largest `--log-size` (three 4 KiB segments plus the reserved area; 1 GiB).
    static let logSizeMinBytes: Int64 = 16_384
    static let logSizeMaxBytes: Int64 = 1_073_741_824

    /// A refused command line: the message names the flag and what is wrong with it.
    struct Failure: Error {
        let reason: StaticString
        /// Argument index of the offending flag or value.
        let index: Int
    }

    /// Parses arguments `first..<Arguments.count`.
    /// - Complexity: O(total argument bytes).
    static func parse(from first: Int) throws(Failure) -> DaemonFlags {
        precondition(first >= 1, "argument 0 is the program name")
        var flags = DaemonFlags()
        var index = first
        // Bounded by the argument count: every pass consumes one or two arguments.
        while index < Arguments.count {
            if Arguments.matches(index, "--help") || Arguments.matches(index, "-h") {
                flags.help = true
                index += 1
                continue
            }
            let takesValue = Arguments.matches(index, "--listen") || Arguments.matches(index, "--serial")
                || Arguments.matches(index, "--data-dir") || Arguments.matches(index, "--node-id")
                || Arguments.matches(index, "--log-size") || Arguments.matches(index, "--durability")
                || Arguments.matches(index, "--when-full") || Arguments.matches(index, "--upstream")
                || Arguments.matches(index, "--forward") || Arguments.matches(index, "--uplink-rate")
            if !takesValue {
                throw Failure(reason: "unknown flag", index: index)
            }
            guard let value = Arguments.bytes(index + 1) else {
                throw Failure(reason: "needs a value", index: index)
            }
            if Arguments.matches(index, "--listen") {
                if flags.listenerCount == listenersMax {
                    throw Failure(reason: "given too often (at most 8 addresses)", index: index)
                }
                var address = chal_address()
                let status = chal_address_parse(value.baseAddress!.assumingMemoryBound(to: UInt8.self), value.count.wide, &address)
                if status != 0 {
                    throw Failure(reason: "wants HOST:PORT (IPv4 a.b.c.d:PORT, IPv6 [ADDR]:PORT, or localhost:PORT)", index: index + 1)
                }
                flags.listeners[flags.listenerCount] = address
                flags.listenerCount += 1
            } else if Arguments.matches(index, "--serial") {
                if flags.serialCount == serialLinesMax {
                    throw Failure(reason: "given too often (at most 4 lines)", index: index)
                }
                guard let spec = SerialSpec(argumentIndex: index + 1, value) else {
                    throw Failure(reason: "wants DEVICE[@BAUD][:slip|:line] with BAUD 9600, 19200, 38400, 57600, 115200, 230400, 460800 or 921600", index: index + 1)
                }
                flags.serial[flags.serialCount] = spec
                flags.serialCount += 1
            } else if Arguments.matches(index, "--data-dir") {
                if value.count == 0 { throw Failure(reason: "wants a directory", index: index + 1) }
                flags.dataDirIndex = index + 1
            } else if Arguments.matches(index, "--log-size") {
                guard let size = parseSize(value), size >= logSizeMinBytes, size <= logSizeMaxBytes else {
                    throw Failure(reason: "wants BYTES, BYTESK or BYTESM between 16K and 1024M", index: index + 1)
                }
                flags.logSizeBytes = size
            } else if Arguments.matches(index, "--durability") {
                if Arguments.matches(index + 1, "sync") {
                    flags.durability = .sync
                } else if Arguments.matches(index + 1, "batch") {
                    flags.durability = .batch
                } else if Arguments.matches(index + 1, "none") {
                    flags.durability = .none
                } else {
                    throw Failure(reason: "wants sync, batch or none", index: index + 1)
                }
            } else if Arguments.matches(index, "--when-full") {
                if Arguments.matches(index + 1, "drop-oldest") {
                    flags.whenFull = .dropOldest
                } else if Arguments.matches(index + 1, "reject-new") {
                    flags.whenFull = .rejectNew
                } else {
                    throw Failure(reason: "wants drop-oldest or reject-new", index: index + 1)
                }
            } else if Arguments.matches(index, "--upstream") {
                guard parseUpstream(value, into: &flags) else {
                    throw Failure(reason: "wants coap://HOST:PORT/PATH (HOST a.b.c.d, [IPv6] or localhost; PATH up to 64 bytes)", index: index + 1)
                }
            } else if Arguments.matches(index, "--forward") {
                guard let mode = UplinkForwardMode(name: value) else {
                    throw Failure(reason: "wants raw, summaries or alerts", index: index + 1)
                }
                flags.forward = mode
            } else if Arguments.matches(index, "--uplink-rate") {
                guard let rate = parseSize(value), rate <= 1_000_000, value.count > 0, value[value.count - 1] >= 0x30,
                    value[value.count - 1] <= 0x39
                else {
                    throw Failure(reason: "wants records per second, 0 (unlimited) to 1000000", index: index + 1)
                }
                flags.uplinkRatePerS = UInt32(truncatingIfNeeded: rate)
            } else {
                // The node id starts every SenML name the uplink sends, and RFC 8428 §4.5.1 wants
                // a name to start with a letter or digit.
                guard let name = SensorName(value.bindMemory(to: UInt8.self).span), SenMLEncoder.isAlphanumeric(name[0]) else {
                    throw Failure(reason: "wants 1 to 32 printable ASCII bytes starting with a letter or digit, without space, quote, comma or backslash", index: index + 1)
                }
                flags.nodeId = name
            }
            index += 2
        }
        if flags.dataDirIndex == 0 && (flags.logSizeBytes > 0 || flags.hasUpstream) {
            // The uplink forwards the log, and the size is the log's: both need its directory.
            throw Failure(reason: "needs --data-dir (the log lives there)", index: first)
        }
        if flags.listenerCount == 0 {
            // The default: CoAP's port on the loopback interface.
            var address = chal_address()
            address.family = UInt8(truncatingIfNeeded: CHAL_FAMILY_IPV4)
            address.port = 5683
            address.bytes.0 = 127
            address.bytes.3 = 1
            flags.listeners[0] = address
            flags.listenerCount = 1
        }
        return flags
    }

    /// A decimal count with an optional `K` (×1024) or `M` (×1024²) suffix, or nil.
    /// - Complexity: O(value bytes), at most 12 digits.
    static func parseSize(_ value: UnsafeRawBufferPointer) -> Int64? {
        var digits = value.count
        var scale: Int64 = 1
        if digits > 0 {
            let last = value[digits - 1]
            if last == 0x4B || last == 0x6B {
                scale = 1024
                digits -= 1
            } else if last == 0x4D || last == 0x6D {
                scale = 1024 * 1024
                digits -= 1
            }
        }
        if digits == 0 || digits > 12 { return nil }
        var number: Int64 = 0
        for i in 0..<digits {
            let byte = value[i]
            if byte < 0x30 || byte > 0x39 { return nil }
            number = number * 10 + (byte &- 0x30).wide
        }
        return number * scale
    }

    /// Parses `coap://HOST:PORT/PATH` (PATH may be empty) into the upstream fields of `flags`.
    static func parseUpstream(_ value: UnsafeRawBufferPointer, into flags: inout DaemonFlags) -> Bool {
        let scheme: StaticString = "coap://"
        let schemeBytes = scheme.utf8CodeUnitCount
        if value.count <= schemeBytes { return false }
        for i in 0..<schemeBytes where value[i] != scheme.utf8Start[i] { return false }
        var slash = schemeBytes
        // Bounded by the value length; a `/` inside an IPv6 bracket cannot occur in valid text.
        while slash < value.count && value[slash] != 0x2F { slash += 1 }
        var address = chal_address()
        let host = UnsafeRawBufferPointer(rebasing: value[schemeBytes..<slash])
        if host.count == 0 { return false }
        if chal_address_parse(host.baseAddress!.assumingMemoryBound(to: UInt8.self), host.count.wide, &address) != 0 { return false }
        if address.port == 0 { return false }
        let pathStart = min(slash + 1, value.count)
        guard let path = UplinkPath(UnsafeRawBufferPointer(rebasing: value[pathStart..<value.count])) else { return false }
        flags.hasUpstream = true
        flags.upstreamAddress = address
        flags.upstreamPath = path
        return true
    }
}
