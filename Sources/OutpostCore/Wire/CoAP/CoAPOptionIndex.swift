/// Where the first option of each registered number sits in a parsed message, filled in by the
/// one validating pass of `CoAPMessage(parsing:)`.
///
/// Why: a request is asked for a dozen options (Proxy-Uri, If-Match, Block1, Observe, Accept,
/// No-Response, ...), almost all absent, and each question used to walk every option again. With
/// the index an absent option costs one bit test and a present one a table read.
struct CoAPOptionIndex: BitwiseCopyable {
    /// Bit `slot` set: an option of that slot's number is present.
    private(set) var presentMask: UInt32 = 0
    /// First value of each present slot: start in the low 16 bits, end in the high 16 bits.
    private var firstValue = InlineArray<20, UInt32>(repeating: 0)
    /// False for a message longer than 65 535 bytes, whose offsets do not fit: look-ups then scan.
    private(set) var complete = true

    /// The slot of a registered option number, or nil for an unregistered one.
    /// - Complexity: O(1)
    @inline(__always)
    static func slot(_ number: UInt32) -> Int? {
        switch number {
        case 1: return 0  // If-Match
        case 3: return 1  // Uri-Host
        case 4: return 2  // ETag
        case 5: return 3  // If-None-Match
        case 6: return 4  // Observe
        case 7: return 5  // Uri-Port
        case 8: return 6  // Location-Path
        case 11: return 7  // Uri-Path
        case 12: return 8  // Content-Format
        case 14: return 9  // Max-Age
        case 15: return 10  // Uri-Query
        case 17: return 11  // Accept
        case 20: return 12  // Location-Query
        case 23: return 13  // Block2
        case 27: return 14  // Block1
        case 28: return 15  // Size2
        case 35: return 16  // Proxy-Uri
        case 39: return 17  // Proxy-Scheme
        case 60: return 18  // Size1
        case 258: return 19  // No-Response
        default: return nil
        }
    }

    /// Notes an option met by the parsing pass (only its first occurrence is kept).
    /// - Complexity: O(1)
    @inline(__always)
    mutating func note(number: UInt32, valueStart: Int, valueEnd: Int) {
        guard let slot = CoAPOptionIndex.slot(number) else { return }
        let bit = UInt32(1) &<< UInt32(truncatingIfNeeded: slot)
        if presentMask & bit != 0 { return }
        if valueEnd > 0xFFFF {
            complete = false
            return
        }
        precondition(valueStart >= 0 && valueStart <= valueEnd, "option value range")
        presentMask |= bit
        firstValue[slot] = UInt32(truncatingIfNeeded: valueStart) | UInt32(truncatingIfNeeded: valueEnd) &<< 16
    }

    /// What the index knows of `number`: `.absent`, `.first(start, end)` of its first value, or
    /// `.unknown` (unregistered number or incomplete index: scan the options).
    /// - Complexity: O(1)
    @inline(__always)
    func lookUp(_ number: CoAPOptionNumber) -> Entry {
        guard complete, let slot = CoAPOptionIndex.slot(UInt32(number.rawValue)) else { return .unknown }
        if presentMask & (UInt32(1) &<< UInt32(truncatingIfNeeded: slot)) == 0 { return .absent }
        let packed = firstValue[slot]
        return .first(start: Int(packed & 0xFFFF), end: Int(packed &>> 16))
    }

    enum Entry {
        case absent
        case first(start: Int, end: Int)
        case unknown
    }
}
