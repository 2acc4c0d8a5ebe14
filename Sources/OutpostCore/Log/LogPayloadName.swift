/// The sensor name field that starts most payloads: a length byte, then the name's bytes.
enum LogPayloadName {
    /// Bytes the field takes for `name`.
    static func size(_ name: SensorName) -> Int { 1 + Int(name.count) }

    /// Writes `name` at `offset`; returns the offset after it.
    /// - Complexity: O(name length), one block copy.
    static func encode(_ name: SensorName, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        let count = Int(name.count)
        precondition(count >= 1 && count <= SensorName.capacityBytes, "not a sensor name")
        precondition(offset >= 0 && offset + 1 + count <= bytes.count, "payload buffer too small for the name")
        bytes[offset] = name.count
        // One copy of the name's bytes (every record starts with it; a byte loop through the
        // checked subscript was a visible part of the append cost).
        withUnsafeBytes(of: name.bytes) { source in
            (bytes.baseAddress! + offset + 1).copyMemory(from: source.baseAddress!, byteCount: count)
        }
        return offset + 1 + count
    }

    /// The name at the start of `bytes` and the offset after it, or nil when malformed.
    static func decode(_ bytes: UnsafeRawBufferPointer) -> (SensorName, Int)? {
        if bytes.count < 2 { return nil }
        let count = Int(bytes[0])
        if count < 1 || count > SensorName.capacityBytes || 1 + count > bytes.count { return nil }
        let typed = UnsafeBufferPointer(rebasing: bytes.uint8[1..<(1 + count)])
        guard let name = SensorName(typed.span) else { return nil }
        return (name, 1 + count)
    }
}
