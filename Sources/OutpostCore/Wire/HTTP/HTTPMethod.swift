/// The request methods the HTTP server tells apart (docs/HTTP.md). Any other token is `other`:
/// well-formed, but no resource allows it (405).
public enum HTTPMethod: UInt8, BitwiseCopyable, Sendable, Equatable {
    case get
    case head
    case post
    case other
}
