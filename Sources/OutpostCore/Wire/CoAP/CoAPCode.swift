/// A CoAP method or response code (RFC 7252 §3, §12.1): a 3-bit class and a 5-bit detail,
/// written `c.dd` (for example 2.05 Content is class 2, detail 5).
public struct CoAPCode: RawRepresentable, BitwiseCopyable, Sendable, Equatable {
    /// The code byte as on the wire.
    public var rawValue: UInt8

    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The code `codeClass.detail`.
    public init(codeClass: UInt8, detail: UInt8) {
        precondition(codeClass < 8 && detail < 32, "CoAP code class is 3 bits, detail 5 bits")
        rawValue = codeClass &<< 5 | detail
    }

    /// The class: 0 request (or empty), 2 success, 4 client error, 5 server error.
    public var codeClass: UInt8 { rawValue &>> 5 }
    /// The detail within the class.
    public var detail: UInt8 { rawValue & 0x1F }
    /// True for 0.01 ... 0.31 (a method).
    public var isRequest: Bool { codeClass == 0 && detail != 0 }
    /// True for 2.xx, 4.xx and 5.xx.
    public var isResponse: Bool { codeClass == 2 || codeClass == 4 || codeClass == 5 }

    /// 0.00: an empty message (ACK or RST without content, or a CON ping).
    public static let empty = CoAPCode(rawValue: 0x00)
    public static let get = CoAPCode(rawValue: 0x01)
    public static let post = CoAPCode(rawValue: 0x02)
    public static let put = CoAPCode(rawValue: 0x03)
    public static let delete = CoAPCode(rawValue: 0x04)

    public static let created = CoAPCode(rawValue: 0x41)  // 2.01
    public static let deleted = CoAPCode(rawValue: 0x42)  // 2.02
    public static let valid = CoAPCode(rawValue: 0x43)  // 2.03
    public static let changed = CoAPCode(rawValue: 0x44)  // 2.04
    public static let content = CoAPCode(rawValue: 0x45)  // 2.05
    public static let `continue` = CoAPCode(rawValue: 0x5F)  // 2.31 (RFC 7959)

    public static let badRequest = CoAPCode(rawValue: 0x80)  // 4.00
    public static let unauthorized = CoAPCode(rawValue: 0x81)  // 4.01
    public static let badOption = CoAPCode(rawValue: 0x82)  // 4.02
    public static let forbidden = CoAPCode(rawValue: 0x83)  // 4.03
    public static let notFound = CoAPCode(rawValue: 0x84)  // 4.04
    public static let methodNotAllowed = CoAPCode(rawValue: 0x85)  // 4.05
    public static let notAcceptable = CoAPCode(rawValue: 0x86)  // 4.06
    public static let requestEntityIncomplete = CoAPCode(rawValue: 0x88)  // 4.08 (RFC 7959)
    public static let preconditionFailed = CoAPCode(rawValue: 0x8C)  // 4.12
    public static let requestEntityTooLarge = CoAPCode(rawValue: 0x8D)  // 4.13
    public static let unsupportedContentFormat = CoAPCode(rawValue: 0x8F)  // 4.15

    public static let internalServerError = CoAPCode(rawValue: 0xA0)  // 5.00
    public static let notImplemented = CoAPCode(rawValue: 0xA1)  // 5.01
    public static let serviceUnavailable = CoAPCode(rawValue: 0xA3)  // 5.03
    public static let proxyingNotSupported = CoAPCode(rawValue: 0xA5)  // 5.05
}
