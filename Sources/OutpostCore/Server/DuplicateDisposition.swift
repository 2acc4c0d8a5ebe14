/// What the server does with a request it has seen before (RFC 7252 §4.5).
public enum DuplicateDisposition: UInt8, BitwiseCopyable, Sendable {
    /// Answer with the cached response bytes (every CON response that fits the cache).
    case cached = 0
    /// Process again: the response was too large to cache and the request is safe (a GET).
    case reprocess = 1
    /// Drop silently (a NON request: its readings were taken the first time).
    case drop = 2
}
