/// The fields of one SenML record as read from JSON or CBOR, before base fields are applied.
/// Numbers are in micro-units (value × 10⁶, times in microseconds).
struct SenMLRecord {
    /// Offset of the record in the payload (for errors about the record as a whole).
    let offsetBytes: Int
    var seenLabels: UInt16 = 0

    var baseName: SenMLText? = nil
    var name: SenMLText? = nil
    var nameOffsetBytes = 0
    var baseTimeMicro: Int64? = nil
    var timeMicro: Int64? = nil
    var timeOffsetBytes = 0
    var baseValueMicro: Int64? = nil
    var valueMicro: Int64? = nil
    var valueOffsetBytes = 0
    var baseUnit: SenMLText? = nil
    var baseUnitOffsetBytes = 0
    var unit: SenMLText? = nil
    var unitOffsetBytes = 0
    /// vs, vb, vd or s present: the record has a value, but not one the runtime reads.
    var hasOtherValue = false

    init(offsetBytes: Int) {
        self.offsetBytes = offsetBytes
        nameOffsetBytes = offsetBytes
    }

    /// Records `label` as seen; a second occurrence in one record is an error (JSON and CBOR maps
    /// with repeated keys are ambiguous).
    mutating func markSeen(_ label: SenMLLabel, at offset: Int) throws(SenMLError) {
        if seenLabels & label.bit != 0 { throw SenMLError(.duplicateLabel, at: offset) }
        seenLabels |= label.bit
    }

    /// Stores a text field.
    mutating func setText(_ label: SenMLLabel, _ text: SenMLText, at offset: Int) throws(SenMLError) {
        switch label {
        case .baseName:
            if text.overflowed { throw SenMLError(.nameTooLong, at: offset) }
            baseName = text
            nameOffsetBytes = offset
        case .name:
            if text.overflowed { throw SenMLError(.nameTooLong, at: offset) }
            name = text
            nameOffsetBytes = offset
        case .baseUnit:
            baseUnit = text
            baseUnitOffsetBytes = offset
        case .unit:
            unit = text
            unitOffsetBytes = offset
        case .stringValue:
            hasOtherValue = true
        default:
            preconditionFailure("not a text label")
        }
    }

    /// Stores a numeric field given in micro-units.
    mutating func setNumber(_ label: SenMLLabel, micro: Int64, at offset: Int) {
        switch label {
        case .baseTime: baseTimeMicro = micro
        case .time:
            timeMicro = micro
            timeOffsetBytes = offset
        case .baseValue: baseValueMicro = micro
        case .value:
            valueMicro = micro
            valueOffsetBytes = offset
        case .sum: hasOtherValue = true
        case .baseSum, .updateTime: break  // validated as numbers, not used
        default: preconditionFailure("not a numeric label")
        }
    }

    /// Checks `bver` (RFC 8428 §4.4): an integer version this decoder understands (≤ 10).
    static func checkVersion(micro: Int64, at offset: Int) throws(SenMLError) {
        if micro < 0 || micro > 10_000_000 || micro % 1_000_000 != 0 { throw SenMLError(.badVersion, at: offset) }
    }
}
