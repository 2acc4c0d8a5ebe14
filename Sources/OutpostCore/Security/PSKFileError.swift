/// Why a key file (`--psk-file`, docs/SECURITY.md) was refused: the line and what is wrong with it.
public struct PSKFileError: Error, Equatable {
    /// What is wrong.
    public enum Reason: UInt8, Equatable, Sendable {
        case missingField
        case badIdentity
        case identityTooLong
        case duplicateIdentity
        case badKey
        case keyLength
        case noPatterns
        case badPattern
        case patternsTooLong
        case tooManyIdentities
        case lineTooLong
    }

    /// 1-based line number.
    public let line: Int
    public let reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    /// The reason as a sentence fragment (after `FILE:LINE: `).
    public var text: StaticString {
        switch reason {
        case .missingField: return "wants IDENTITY:KEY-HEX:PATTERN[,PATTERN...]"
        case .badIdentity: return "the identity must be 1 to 64 printable ASCII bytes without ':', '#' or space"
        case .identityTooLong: return "the identity is longer than 64 bytes"
        case .duplicateIdentity: return "this identity was already given on an earlier line"
        case .badKey: return "the key must be hexadecimal digits (two per byte)"
        case .keyLength: return "the key must be 16 to 64 bytes (32 to 128 hex digits)"
        case .noPatterns: return "no sensor patterns: give a name or a prefix ending in '*'"
        case .badPattern: return "a pattern is a sensor name (1 to 32 printable bytes, no quote or backslash) or a prefix ending in '*'"
        case .patternsTooLong: return "the patterns of one identity are longer than 380 bytes"
        case .tooManyIdentities: return "more identities than the key table holds"
        case .lineTooLong: return "the line is longer than 1024 bytes"
        }
    }
}
