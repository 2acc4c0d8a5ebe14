/// The sensor name field that starts most payloads: a length byte, then the name's bytes.
enum LogPayloadName {
    /// Bytes the field takes for `name`.
    static func size(_ name: SensorName) -> Int { 1 + Int(name.count) }

    /// Writes `name` at `offset`; returns the offset after it.
    static func encode(_ name: SensorName, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        let count = Int(name.count)
        precondition(count >= 1 && offset + 1 + count <= bytes.count, "payload buffer too small for the name")
        bytes[offset] = name.count
        for i in 0..<count { bytes[offset + 1 + i] = name[i] }
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
