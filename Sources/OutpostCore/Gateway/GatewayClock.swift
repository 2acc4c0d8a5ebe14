/// The gateway's two clocks: wall time for protocol timers and timestamps (milliseconds since the
/// Unix epoch), monotonic time for measuring a tick (nanoseconds from any origin).
public protocol GatewayClock {
    mutating func wallMs() -> Int64
    mutating func monotonicNs() -> Int64
}
