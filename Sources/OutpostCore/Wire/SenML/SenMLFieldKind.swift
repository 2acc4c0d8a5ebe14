/// The type of value a SenML field carries (RFC 8428 §4.1, Table 1).
enum SenMLFieldKind {
    case text
    case number
    /// `bver`: a non-negative integer.
    case version
    case boolean
    /// `vd`: base64 text in JSON, a byte string in CBOR.
    case data
}
