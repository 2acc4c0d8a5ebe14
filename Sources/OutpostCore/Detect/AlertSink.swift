/// Where the alert engine puts the alerts it raises and clears.
public protocol AlertSink {
    /// True while `emit` may be called; time-driven checks stop (and resume next tick) when false.
    var hasRoom: Bool { get }
    /// Takes one event; only called while `hasRoom`.
    mutating func emit(_ event: AlertEvent)
}
