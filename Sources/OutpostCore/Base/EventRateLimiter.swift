/// Bounds how many lines one kind of event writes: at most `perWindow` lines per `windowMs` for
/// each of `slots` kinds; the rest are counted and reported as one "suppressed N" line when the
/// window ends. A flapping uplink or a refusing log thus cannot flood the journal, and nothing is
/// hidden without saying so.
public struct EventRateLimiter<let slots: Int> {
    public let perWindow: Int32
    public let windowMs: Int64
    var windowStartMs: InlineArray<slots, Int64>
    var written: InlineArray<slots, Int32>
    var suppressed: InlineArray<slots, UInt64>

    public init(perWindow: Int32, windowMs: Int64) {
        precondition(perWindow >= 1 && windowMs >= 1, "a window lets at least one line through")
        self.perWindow = perWindow
        self.windowMs = windowMs
        windowStartMs = InlineArray(repeating: Int64.min)
        written = InlineArray(repeating: 0)
        suppressed = InlineArray(repeating: 0)
    }

    /// Ends the window of `slot` when it ran out (or the clock went back) and returns how many
    /// lines it suppressed (0: none, or the window is still open). Call before `admit` and from
    /// time to time, so a suppressed count is reported even when the event stops.
    public mutating func roll(_ slot: Int, nowMs: Int64) -> UInt64 {
        let start = windowStartMs[slot]
        if start == Int64.min { return 0 }
        if nowMs >= start && nowMs - start < windowMs { return 0 }
        let count = suppressed[slot]
        windowStartMs[slot] = Int64.min
        written[slot] = 0
        suppressed[slot] = 0
        return count
    }

    /// True when a line of `slot` may be written now (it is counted); false when it is suppressed
    /// (counted for the next `roll`).
    public mutating func admit(_ slot: Int, nowMs: Int64) -> Bool {
        if windowStartMs[slot] == Int64.min { windowStartMs[slot] = nowMs }
        if written[slot] < perWindow {
            written[slot] += 1
            return true
        }
        suppressed[slot] &+= 1
        return false
    }

    /// Lines suppressed so far in the open window of `slot`.
    public func pending(_ slot: Int) -> UInt64 { suppressed[slot] }
}
