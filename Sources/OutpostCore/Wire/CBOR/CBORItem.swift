/// One data item header read by `CBORReader` (RFC 8949 §3). Containers report their size only:
/// their elements follow as further items. Strings are byte ranges in the input.
public enum CBORItem: Equatable, Sendable {
    /// Major type 0.
    case unsigned(UInt64)
    /// Major type 1: the value is −1 − n.
    case negative(UInt64)
    /// Major type 2.
    case bytes(CBORString)
    /// Major type 3.
    case text(CBORString)
    /// Major type 4: element count, nil for indefinite length (ends with `.breakCode`).
    case array(count: Int?)
    /// Major type 5: pair count, nil for indefinite length (ends with `.breakCode`).
    case map(count: Int?)
    /// Major type 6: a tag; the tagged item follows.
    case tag(UInt64)
    case boolean(Bool)
    case null
    case undefined
    /// Another simple value (0...19, 32...255).
    case simple(UInt8)
    /// Half, single or double precision float, widened exactly.
    case float(Double)
    /// The "break" stop code ending an indefinite-length container.
    case breakCode
}
