// CBOR (Content-Format 60) representations: the same keys as JSON as text strings, maps and
// arrays of indefinite length, numbers with decimals as float64.

extension CBORWriter: ResourceWriter {
    public var mark: ResourceWriterMark { ResourceWriterMark(count: count, state: 0, depth: depth) }

    public mutating func rewind(to mark: ResourceWriterMark) { rewind(count: mark.count, depth: mark.depth) }

    public mutating func beginMap() { beginIndefiniteMap() }
    public mutating func endMap() { writeBreak() }
    public mutating func beginArray() { beginIndefiniteArray() }
    public mutating func endArray() { writeBreak() }
    public mutating func key(_ name: StaticString) { text(name) }
    public mutating func string(_ text: StaticString) { self.text(text) }

    public mutating func string(_ name: SensorName) {
        var bytes = InlineArray<32, UInt8>(repeating: 0)
        let length = Int(name.count)
        for i in 0..<length { bytes[i] = name[i] }
        withUnsafeBytes(of: &bytes) { raw in text(UnsafeRawBufferPointer(rebasing: raw[0..<length])) }
    }

    public mutating func integer(_ value: Int64) { int(value) }

    public mutating func fixed(_ value: Int64, decimals: Int) {
        precondition(decimals >= 0 && decimals <= 9, "fixed-point decimals out of range")
        if decimals == 0 {
            int(value)
            return
        }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        float64(Double(value) / scale)
    }
}
