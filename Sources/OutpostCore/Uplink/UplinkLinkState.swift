/// The upstream link as `/health` shows it.
public enum UplinkLinkState: UInt8, BitwiseCopyable, Sendable {
    /// The last exchange was answered (or none failed yet).
    case up = 0
    /// The last exchange failed; a batch is being retried after a backoff.
    case down = 1
    /// Waiting out a backoff (after a failure, a refusal, or a 5.03's Max-Age).
    case backoff = 2

    /// Lower-case name for `/health`.
    public var name: StaticString {
        switch self {
        case .up: return "up"
        case .down: return "down"
        case .backoff: return "backoff"
        }
    }
}
