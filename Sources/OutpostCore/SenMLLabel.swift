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

    /// The label named by JSON key `key`, or nil for an unregistered one.
    init?(json key: SenMLText) {
        if key.count == 1 {
            switch key[0] {
            case 0x6E: self = .name  // n
            case 0x75: self = .unit  // u
            case 0x76: self = .value  // v
            case 0x73: self = .sum  // s
            case 0x74: self = .time  // t
            default: return nil
            }
            return
        }
        if key.equals("bn") { self = .baseName; return }
        if key.equals("bt") { self = .baseTime; return }
        if key.equals("bu") { self = .baseUnit; return }
        if key.equals("bv") { self = .baseValue; return }
        if key.equals("bs") { self = .baseSum; return }
        if key.equals("bver") { self = .baseVersion; return }
        if key.equals("vs") { self = .stringValue; return }
        if key.equals("vb") { self = .boolValue; return }
        if key.equals("vd") { self = .dataValue; return }
        if key.equals("ut") { self = .updateTime; return }
        return nil
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
