import CHAL
import OutpostCore

/// Tells a service manager (systemd, `Type=notify`) how the daemon is doing, through CHAL's
/// notify datagrams: `READY=1` once it serves, `STATUS=` on each state change, `WATCHDOG=1` from
/// the loop at half the watchdog period, `RELOADING=1` / `READY=1` around a SIGHUP reload and
/// `STOPPING=1` at shutdown. Inert (every call returns at once) when `$NOTIFY_SOCKET` is unset.
///
/// The watchdog ping comes from the loop after each tick, never from a timer of its own: a loop
/// that is stuck stops pinging, and the manager restarts the daemon (`WatchdogSec=`).
struct ServiceNotifier {
    /// Bytes of one notification: the STATUS line is the longest, well under this.
    static let messageBytes = 256

    /// False when `$NOTIFY_SOCKET` is unset (or its socket could not be made).
    private(set) var enabled = false
    /// The watchdog ping period (half of `$WATCHDOG_USEC`), 0 without a watchdog.
    private(set) var pingIntervalNs: Int64 = 0
    private var nextPingNs: Int64 = 0
    /// Pings sent, and notifications the socket refused (a manager that went away).
    private(set) var pings: UInt64 = 0
    private(set) var sendErrors: UInt64 = 0
    /// The message being built (carved from the arena at start-up).
    var writer: TextWriter

    /// Inert notifier with no buffer (before start-up, and in the self-test paths).
    init() {
        writer = TextWriter(buffer: UnsafeMutableRawBufferPointer(start: nil, count: 0))
    }

    /// Opens the notification socket named by the environment and carves the message buffer.
    /// Returns the negative errno when `$NOTIFY_SOCKET` is set but unusable (the daemon says so and
    /// runs on without notifications).
    init(arena: inout Arena, nowNs: Int64) {
        writer = TextWriter(buffer: UnsafeMutableRawBufferPointer(arena.carve(ServiceNotifier.messageBytes, of: UInt8(0))))
        openError = chal_notify_open()
        enabled = openError == 1
        if openError == 1 { openError = 0 }
        let watchdogUs = chal_notify_watchdog_usec()
        if enabled && watchdogUs > 0 {
            // Half the period, as sd_notify's documentation advises: one late tick does not kill us.
            pingIntervalNs = watchdogUs &* 500
            nextPingNs = nowNs
        }
    }

    /// The negative errno of opening `$NOTIFY_SOCKET`, or 0.
    private(set) var openError: Int32 = 0

    /// Starts a notification: `head` then `STATUS=`; the caller writes the status line into
    /// `writer` and calls `flush()`, which sends it as one datagram. `head` is `READY=1\n` once
    /// start-up is over and after a reload, `STOPPING=1\n` at shutdown, empty on a state change.
    /// False (nothing to write) when notifications are off.
    mutating func begin(_ head: StaticString) -> Bool {
        guard enabled else { return false }
        writer.reset()
        writer.text(head)
        writer.text("STATUS=")
        return true
    }

    /// `RELOADING=1` before a configuration reload; `MONOTONIC_USEC` lets a `Type=notify-reload`
    /// manager match the reload with the `READY=1` that ends it.
    mutating func reloading(nowNs: Int64) {
        guard enabled else { return }
        writer.reset()
        writer.text("RELOADING=1\nMONOTONIC_USEC=")
        writer.integer(nowNs / 1000)
        writer.text("\nSTATUS=reloading the configuration")
        flush()
    }

    /// `WATCHDOG=1` when half the watchdog period passed since the last ping; called after every tick.
    mutating func tick(nowNs: Int64) {
        if pingIntervalNs == 0 || nowNs < nextPingNs { return }
        nextPingNs = nowNs &+ pingIntervalNs
        pings &+= 1
        guard enabled else { return }
        writer.reset()
        writer.text("WATCHDOG=1")
        flush()
    }

    /// Sends what the writer holds as one datagram.
    mutating func flush() {
        let bytes = writer.bytes
        if bytes.count == 0 || writer.overflowed { return }
        if chal_notify_send(bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count.wide) != 0 { sendErrors &+= 1 }
        writer.reset()
    }

    /// Closes the socket (at exit, after `stopping`).
    func close() {
        if enabled { chal_notify_close() }
    }
}
