/// What went wrong decoding a SenML pack: JSON or CBOR syntax, or SenML semantics.
///
/// Each reason has a short fixed diagnostic used in 4.00 Bad Request payloads.
public enum SenMLErrorReason: UInt8, BitwiseCopyable, Sendable {
    // Syntax shared by JSON and CBOR.
    case unexpectedEnd
    case tooDeep
    case trailingBytes
    // JSON syntax.
    case unexpectedByte
    case expectedColon
    case expectedCommaOrClose
    case expectedKey
    case expectedValue
    case badEscape
    case badUTF8
    case controlCharacter
    case badNumber
    // CBOR syntax.
    case reservedAdditionalInfo
    case badIndefinite
    case badSimple
    // SenML semantics.
    case notAnArray
    case recordNotMap
    case badLabel
    case duplicateLabel
    case wrongType
    case badVersion
    case mustUnderstand
    case badName
    case nameTooLong
    case noSensor
    case missingUnit
    case unknownUnit
    case wrongUnit
    case missingValue
    case valueOutOfRange
    case timeOutOfRange
    case duplicateQuantity
    case incompleteLocation
    case tooManyReadings

    /// The diagnostic text (ASCII, no quotes needing escapes except the literal characters shown).
    public var diagnostic: StaticString {
        switch self {
        case .unexpectedEnd: return "unexpected end of input"
        case .tooDeep: return "nesting too deep"
        case .trailingBytes: return "bytes after the pack"
        case .unexpectedByte: return "unexpected byte"
        case .expectedColon: return "expected ':'"
        case .expectedCommaOrClose: return "expected ',' or closing bracket"
        case .expectedKey: return "expected a string key"
        case .expectedValue: return "expected a value"
        case .badEscape: return "bad string escape"
        case .badUTF8: return "invalid UTF-8"
        case .controlCharacter: return "control character in string"
        case .badNumber: return "malformed number"
        case .reservedAdditionalInfo: return "reserved CBOR additional information"
        case .badIndefinite: return "bad indefinite-length item"
        case .badSimple: return "malformed CBOR simple value"
        case .notAnArray: return "pack is not an array"
        case .recordNotMap: return "record is not an object"
        case .badLabel: return "label is not text or integer"
        case .duplicateLabel: return "duplicate label"
        case .wrongType: return "wrong type for field"
        case .badVersion: return "unsupported bver"
        case .mustUnderstand: return "unknown must-understand label"
        case .badName: return "invalid name"
        case .nameTooLong: return "name too long"
        case .noSensor: return "name is not <sensor>/<quantity>"
        case .missingUnit: return "missing unit"
        case .unknownUnit: return "unknown unit"
        case .wrongUnit: return "wrong unit for quantity"
        case .missingValue: return "missing numeric value"
        case .valueOutOfRange: return "value out of range"
        case .timeOutOfRange: return "time out of range"
        case .duplicateQuantity: return "quantity repeated for sensor and time"
        case .incompleteLocation: return "lat and lon must come together"
        case .tooManyReadings: return "more readings than room"
        }
    }
}
