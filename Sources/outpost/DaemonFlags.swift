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
            } else {
                guard let name = SensorName(value.bindMemory(to: UInt8.self).span) else {
                    throw Failure(reason: "wants 1 to 32 printable ASCII bytes without space, quote, comma or backslash", index: index + 1)
                }
                flags.nodeId = name
            }
            index += 2
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
}
