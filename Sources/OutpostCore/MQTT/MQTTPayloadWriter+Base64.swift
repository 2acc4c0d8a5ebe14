extension MQTTPayloadWriter {
    /// The base64url alphabet (RFC 4648 §5), the JSON form of a SenML data value (RFC 8428 §5).
    static let base64URLAlphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

    /// Writes `bytes` as base64url without padding (RFC 8428 §5: `vd` in SenML-JSON).
    /// - Complexity: O(bytes).
    static func base64URL(_ bytes: UnsafeRawBufferPointer, out: inout TextWriter) {
        let alphabet = base64URLAlphabet.utf8Start
        var i = 0
        // Three bytes make four characters; the tail makes two or three.
        for _ in 0..<(bytes.count / 3) {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.byte(alphabet[Int(n >> 18 & 63)])
            out.byte(alphabet[Int(n >> 12 & 63)])
            out.byte(alphabet[Int(n >> 6 & 63)])
            out.byte(alphabet[Int(n & 63)])
            i += 3
        }
        let left = bytes.count - i
        if left == 1 {
            let n = UInt32(bytes[i]) << 16
            out.byte(alphabet[Int(n >> 18 & 63)])
            out.byte(alphabet[Int(n >> 12 & 63)])
        } else if left == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.byte(alphabet[Int(n >> 18 & 63)])
            out.byte(alphabet[Int(n >> 12 & 63)])
            out.byte(alphabet[Int(n >> 6 & 63)])
        }
    }

    /// A CBOR byte string of the pack as a quoted base64url JSON string (definite length only: the
    /// encoder writes no other).
    static func quotedBase64URL(_ string: CBORString, pack: UnsafeRawBufferPointer, out: inout TextWriter) throws(Failure) {
        if string.chunked { throw .badPack }
        out.byte(0x22)
        base64URL(UnsafeRawBufferPointer(rebasing: pack[string.start..<string.end]), out: &out)
        out.byte(0x22)
    }
}
