import CHAL
import OutpostCore

/// How the bytes on a serial line are framed.
enum SerialFraming: UInt8 {
    /// SLIP (RFC 1055) frames carrying CoAP messages; responses go back on the same line.
    case slip
    /// One SenML-JSON pack or one CSV row (gen column order) per line; nothing is answered.
    case line
}

/// One `--serial DEVICE[@BAUD][:slip|:line]` flag or `[serial] port` key: the device path stays
/// where the text is (the process arguments, or the configuration text read at start-up).
struct SerialSpec {
    /// The whole spec's text (empty: unused entry); the device is its first `pathBytes` bytes.
    var text = UnsafeRawBufferPointer(start: nil, count: 0)
    /// Bytes of the spec that name the device.
    var pathBytes = 0
    var baud: Int32 = DaemonFlags.defaultBaud
    var framing = SerialFraming.slip

    init() {}

    /// Parses `text`; nil when the baud or framing is not one we know or the device part is empty.
    /// - Complexity: O(n) in the spec length.
    init?(_ text: UnsafeRawBufferPointer) {
        self.text = text
        var end = text.count
        if SerialSpec.hasSuffix(text, end, ":slip") {
            framing = .slip
            end -= 5
        } else if SerialSpec.hasSuffix(text, end, ":line") {
            framing = .line
            end -= 5
        }
        // An `@` followed only by digits up to `end` is the baud rate.
        var at = end
        while at > 0 && text[at - 1] >= 0x30 && text[at - 1] <= 0x39 { at -= 1 }
        if at > 0 && at < end && text[at - 1] == 0x40 {
            if end - at > 7 { return nil }
            var value: Int32 = 0
            for i in at..<end { value = value * 10 + Int32(truncatingIfNeeded: text[i] &- 0x30) }
            if chal_serial_baud_supported(value) == 0 { return nil }
            baud = value
            end = at - 1
        } else if at > 0 && text[at - 1] == 0x40 {
            return nil  // `DEVICE@` or `DEVICE@fast`
        }
        if end == 0 || end > SerialLine.pathBytesMax { return nil }
        pathBytes = end
    }

    /// The device path.
    var path: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: text[0..<pathBytes]) }

    /// True when both name the same device, baud and framing.
    func same(as other: SerialSpec) -> Bool {
        baud == other.baud && framing == other.framing && ConfigValue.equal(path, other.path)
    }

    static func hasSuffix(_ text: UnsafeRawBufferPointer, _ end: Int, _ suffix: StaticString) -> Bool {
        let n = suffix.utf8CodeUnitCount
        if end < n { return false }
        for i in 0..<n where text[end - n + i] != suffix.utf8Start[i] { return false }
        return true
    }
}
