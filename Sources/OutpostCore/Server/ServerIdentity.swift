/// What the daemon knows about itself, reported by `GET /health`.
public struct ServerIdentity: BitwiseCopyable, Sendable {
    /// The node's name (`--node-id`).
    public var nodeId: SensorName
    /// The build's profile name (`Profile.name`).
    public var profile: StaticString
    /// Daemon version text.
    public var version: StaticString
    /// Start time of the daemon, in ms since the Unix epoch (uptime is counted from it).
    public var startMs: Int64

    public init(nodeId: SensorName, profile: StaticString, version: StaticString = "0.1.0", startMs: Int64) {
        self.nodeId = nodeId
        self.profile = profile
        self.version = version
        self.startMs = startMs
    }
}
