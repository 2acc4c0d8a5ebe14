/// A `ResourceWriter` that writes JSON (Content-Format 50) or CBOR (60), chosen when it is made.
///
/// The renderers are generic over the writer, and the firmware specialises every generic
/// function for each writer type it is called with: one renderer body per format. Rendering
/// through this one type gives one body for both formats (each call below is a branch on
/// `isCBOR`), which keeps the renderers' code in the firmware once instead of twice.
public struct ResourceFormatWriter: ResourceWriter {
    var json: ResourceJSONWriter
    var cbor: CBORWriter
    /// True: CBOR; false: JSON.
    public let isCBOR: Bool

    /// A writer of `buffer` in CBOR when `cbor`, else JSON, keeping `reserveBytes` for closing
    /// brackets (see `ResourceWriter`). Neither inner writer touches the buffer until written.
    public init(buffer: UnsafeMutableRawBufferPointer, reserveBytes: Int = 0, cbor: Bool) {
        precondition(reserveBytes >= 0 && reserveBytes <= buffer.count, "reserve larger than the buffer")
        json = ResourceJSONWriter(buffer: buffer, reserveBytes: reserveBytes)
        self.cbor = CBORWriter(buffer: buffer, reserveBytes: reserveBytes)
        isCBOR = cbor
    }

    /// The bytes written so far.
    public var bytes: UnsafeRawBufferPointer { isCBOR ? cbor.bytes : json.bytes }

    public var count: Int { isCBOR ? cbor.count : json.count }
    public var overflowed: Bool { isCBOR ? cbor.overflowed : json.overflowed }
    public var mark: ResourceWriterMark { isCBOR ? cbor.mark : json.mark }

    @inline(never)
    public mutating func rewind(to mark: ResourceWriterMark) {
        if isCBOR { cbor.rewind(to: mark) } else { json.rewind(to: mark) }
    }

    @inline(never)
    public mutating func useReserve() {
        if isCBOR { cbor.useReserve() } else { json.useReserve() }
    }

    @inline(never)
    public mutating func beginMap() {
        if isCBOR { cbor.beginMap() } else { json.beginMap() }
    }

    @inline(never)
    public mutating func endMap() {
        if isCBOR { cbor.endMap() } else { json.endMap() }
    }

    @inline(never)
    public mutating func beginArray() {
        if isCBOR { cbor.beginArray() } else { json.beginArray() }
    }

    @inline(never)
    public mutating func endArray() {
        if isCBOR { cbor.endArray() } else { json.endArray() }
    }

    @inline(never)
    public mutating func key(_ name: StaticString) {
        if isCBOR { cbor.key(name) } else { json.key(name) }
    }

    @inline(never)
    public mutating func string(_ text: StaticString) {
        if isCBOR { cbor.string(text) } else { json.string(text) }
    }

    @inline(never)
    public mutating func string(_ name: SensorName) {
        if isCBOR { cbor.string(name) } else { json.string(name) }
    }

    @inline(never)
    public mutating func integer(_ value: Int64) {
        if isCBOR { cbor.integer(value) } else { json.integer(value) }
    }

    @inline(never)
    public mutating func fixed(_ value: Int64, decimals: Int) {
        if isCBOR { cbor.fixed(value, decimals: decimals) } else { json.fixed(value, decimals: decimals) }
    }

    @inline(never)
    public mutating func bool(_ value: Bool) {
        if isCBOR { cbor.bool(value) } else { json.bool(value) }
    }

    @inline(never)
    public mutating func null() {
        if isCBOR { cbor.null() } else { json.null() }
    }
}
