/// One token from `JSONScanner`. Strings and numbers are byte ranges in the scanned buffer:
/// a string's range excludes the quotes and still holds its escapes (`escaped` says if any).
public enum JSONScannerToken: Equatable, Sendable {
    case beginObject
    case endObject
    case beginArray
    case endArray
    /// An object member name; the scanner has consumed the `:` after it.
    case key(start: Int, end: Int, escaped: Bool)
    case string(start: Int, end: Int, escaped: Bool)
    /// A number in strict JSON grammar (RFC 8259 §6), as text for `DecimalText.microUnits`.
    case number(start: Int, end: Int)
    case boolean(Bool)
    case null
    /// The end of the input after one complete top-level value.
    case end
}
