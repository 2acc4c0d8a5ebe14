/// Writes a resource representation as nested maps and arrays, once for every Content-Format:
/// the renderers are generic over the writer, so JSON (50) and CBOR (60) share one description.
///
/// Writers keep `reserveBytes` free for closing brackets: plain writes stop there and set
/// `overflowed`; `endMap`/`endArray` and writes after `useReserve()` may use it. A renderer that
/// runs out of room rewinds to the mark before the element that did not fit, calls `useReserve()`
/// and closes what is open, so the output stays well-formed (and says `"truncated": true`).
public protocol ResourceWriter {
    /// Bytes written.
    var count: Int { get }
    /// True once a write did not fit.
    var overflowed: Bool { get }
    var mark: ResourceWriterMark { get }
    mutating func rewind(to mark: ResourceWriterMark)
    /// Lets later writes use the reserved bytes (to close the output after a truncation).
    mutating func useReserve()

    mutating func beginMap()
    mutating func endMap()
    mutating func beginArray()
    mutating func endArray()
    /// A map key (ASCII).
    mutating func key(_ name: StaticString)
    mutating func string(_ text: StaticString)
    mutating func string(_ name: SensorName)
    mutating func integer(_ value: Int64)
    /// `value / 10^decimals`: exact decimal text in JSON, a float64 in CBOR (an integer when
    /// `decimals` is 0).
    mutating func fixed(_ value: Int64, decimals: Int)
    mutating func bool(_ value: Bool)
    mutating func null()
}
