/// A CoAP option number (RFC 7252 §5.4.6, §12.2), with the options of RFC 7252, RFC 7641
/// (Observe), RFC 7959 (Block1/Block2/Size1/Size2) and RFC 7967 (No-Response).
public struct CoAPOptionNumber: RawRepresentable, BitwiseCopyable, Sendable, Equatable, Comparable {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ifMatch = CoAPOptionNumber(rawValue: 1)
    public static let uriHost = CoAPOptionNumber(rawValue: 3)
    public static let eTag = CoAPOptionNumber(rawValue: 4)
    public static let ifNoneMatch = CoAPOptionNumber(rawValue: 5)
    public static let observe = CoAPOptionNumber(rawValue: 6)
    public static let uriPort = CoAPOptionNumber(rawValue: 7)
    public static let locationPath = CoAPOptionNumber(rawValue: 8)
    public static let uriPath = CoAPOptionNumber(rawValue: 11)
    public static let contentFormat = CoAPOptionNumber(rawValue: 12)
    public static let maxAge = CoAPOptionNumber(rawValue: 14)
    public static let uriQuery = CoAPOptionNumber(rawValue: 15)
    public static let accept = CoAPOptionNumber(rawValue: 17)
    public static let locationQuery = CoAPOptionNumber(rawValue: 20)
    public static let block2 = CoAPOptionNumber(rawValue: 23)
    public static let block1 = CoAPOptionNumber(rawValue: 27)
    public static let size2 = CoAPOptionNumber(rawValue: 28)
    public static let proxyUri = CoAPOptionNumber(rawValue: 35)
    public static let proxyScheme = CoAPOptionNumber(rawValue: 39)
    public static let size1 = CoAPOptionNumber(rawValue: 60)
    /// RFC 7967: the response classes the client does not want (elective, so never 4.02).
    public static let noResponse = CoAPOptionNumber(rawValue: 258)

    /// Odd numbers are critical: a recipient that does not understand one must reject the message.
    public var isCritical: Bool { rawValue & 1 == 1 }
    /// Bit 1 marks options a proxy must understand to forward the message.
    public var isUnsafe: Bool { rawValue & 2 == 2 }

    /// Value length limits and repeatability of the registered options, or nil for an option this
    /// codec does not know (RFC 7252 §5.10 table, RFC 7641 §2, RFC 7959 §2.1 and §4,
    /// RFC 7967 §2).
    public var format: (minBytes: Int, maxBytes: Int, repeatable: Bool)? {
        switch rawValue {
        case 1: return (0, 8, true)  // If-Match
        case 3: return (1, 255, false)  // Uri-Host
        case 4: return (1, 8, true)  // ETag
        case 5: return (0, 0, false)  // If-None-Match
        case 6: return (0, 3, false)  // Observe
        case 7: return (0, 2, false)  // Uri-Port
        case 8: return (0, 255, true)  // Location-Path
        case 11: return (0, 255, true)  // Uri-Path
        case 12: return (0, 2, false)  // Content-Format
        case 14: return (0, 4, false)  // Max-Age
        case 15: return (0, 255, true)  // Uri-Query
        case 17: return (0, 2, false)  // Accept
        case 20: return (0, 255, true)  // Location-Query
        case 23, 27: return (0, 3, false)  // Block2, Block1
        case 28, 60: return (0, 4, false)  // Size2, Size1
        case 35: return (1, 1034, false)  // Proxy-Uri
        case 39: return (1, 255, false)  // Proxy-Scheme
        case 258: return (0, 1, false)  // No-Response
        default: return nil
        }
    }

    public static func < (a: CoAPOptionNumber, b: CoAPOptionNumber) -> Bool { a.rawValue < b.rawValue }
}
