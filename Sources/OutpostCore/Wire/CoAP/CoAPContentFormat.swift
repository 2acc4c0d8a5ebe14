/// Content-Format numbers (RFC 7252 §12.3, RFC 8428 §12.3) the runtime produces or accepts.
public enum CoAPContentFormat {
    /// text/plain; charset=utf-8 (diagnostic payloads).
    public static let textPlain: UInt16 = 0
    /// application/link-format (RFC 6690, `/.well-known/core`).
    public static let linkFormat: UInt16 = 40
    /// application/octet-stream (commands of no declared type).
    public static let octetStream: UInt16 = 42
    /// application/json.
    public static let json: UInt16 = 50
    /// application/cbor.
    public static let cbor: UInt16 = 60
    /// application/senml+json.
    public static let senmlJSON: UInt16 = 110
    /// application/senml+cbor.
    public static let senmlCBOR: UInt16 = 112
}
