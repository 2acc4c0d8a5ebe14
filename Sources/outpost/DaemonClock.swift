import CHAL
import OutpostCore

/// The gateway's clocks in the daemon: CHAL's wall clock and monotonic clock.
struct DaemonClock: GatewayClock {
    mutating func wallMs() -> Int64 { chal_wall_ms() }
    mutating func monotonicNs() -> Int64 { chal_monotonic_ns() }
}
