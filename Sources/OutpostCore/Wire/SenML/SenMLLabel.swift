/// The SenML labels of RFC 8428 §4 (Table 4 gives the CBOR integer, the JSON name is the text).
public enum SenMLLabel: Int8, BitwiseCopyable, Sendable {
    case baseVersion = -1  // bver
    case baseName = -2  // bn
    case baseTime = -3  // bt
    case baseUnit = -4  // bu
    case baseValue = -5  // bv
    case baseSum = -6  // bs
    case name = 0  // n
    case unit = 1  // u
    case value = 2  // v
    case stringValue = 3  // vs
    case boolValue = 4  // vb
    case sum = 5  // s
    case time = 6  // t
    case updateTime = 7  // ut
    case dataValue = 8  // vd

    /// Bit of this label in a record's seen-labels mask (for duplicate detection).
    var bit: UInt16 { 1 &<< UInt16(truncatingIfNeeded: rawValue &+ 6) }

    /// The label of a CBOR integer key, or nil for an unregistered one (ignored).
    init?(cbor key: Int64) {
        if key < -6 || key > 8 { return nil }
        self.init(rawValue: Int8(truncatingIfNeeded: key))
    }

    /// The label named by JSON key `key` (escapes resolved), or nil for an unregistered one.
    init?(json key: SenMLText) {
        if key.overflowed { return nil }
        let label = withUnsafeBytes(of: key.bytes) { SenMLLabel(jsonBytes: UnsafeRawBufferPointer(rebasing: $0[0..<key.count])) }
        guard let label else { return nil }
        self = label
    }

    /// The label named by the JSON key spelled `key` (its bytes, no escapes), or nil for an
    /// unregistered one. Matched by length, then by the bytes as one integer: this runs for every
    /// member of every record.
    init?(jsonBytes key: UnsafeRawBufferPointer) {
        switch key.count {
        case 1:
            switch key[0] {
            case 0x6E: self = .name  // n
            case 0x75: self = .unit  // u
            case 0x76: self = .value  // v
            case 0x73: self = .sum  // s
            case 0x74: self = .time  // t
            default: return nil
            }
        case 2:
            switch UInt16(key[0]) &<< 8 | UInt16(key[1]) {
            case 0x626E: self = .baseName  // bn
            case 0x6274: self = .baseTime  // bt
            case 0x6275: self = .baseUnit  // bu
            case 0x6276: self = .baseValue  // bv
            case 0x6273: self = .baseSum  // bs
            case 0x7673: self = .stringValue  // vs
            case 0x7662: self = .boolValue  // vb
            case 0x7664: self = .dataValue  // vd
            case 0x7574: self = .updateTime  // ut
            default: return nil
            }
        case 4:
            // bver
            if key[0] == 0x62 && key[1] == 0x76 && key[2] == 0x65 && key[3] == 0x72 {
                self = .baseVersion
            } else {
                return nil
            }
        default:
            return nil
        }
    }

    /// What the field holds.
    var kind: SenMLFieldKind {
        switch self {
        case .baseName, .name, .baseUnit, .unit, .stringValue: return .text
        case .baseTime, .time, .baseValue, .value, .baseSum, .sum, .updateTime: return .number
        case .baseVersion: return .version
        case .boolValue: return .boolean
        case .dataValue: return .data
        }
    }
}
