/// Why a Block1/Block2 option value (RFC 7959 §2.2) is invalid.
public enum CoAPBlockError: Error, Equatable, Sendable {
    /// The value is longer than 3 bytes.
    case tooLong
    /// SZX 7 is reserved: answered with 4.00 Bad Request.
    case reservedSizeExponent
}
