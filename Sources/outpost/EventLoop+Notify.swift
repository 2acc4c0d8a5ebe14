import CHAL
import OutpostCore

// The service manager's view of the loop (ServiceNotifier): the status line it shows
// (`systemctl status outpost`) and the notifications at start, reload, state changes and stop.

extension EventLoop {
    /// `READY=1` with the status line: called once the "outpost: ready" line is written, and
    /// after a reload.
    mutating func notifyReady() { notifyStatus(head: "READY=1\n") }

    /// `STATUS=` with the state as it is now (`head` empty: a state change), after `head`.
    mutating func notifyStatus(head: StaticString = "") {
        // A copy, so the status writer reads the loop while the notifier's buffer is written.
        var notifier = self.notifier
        defer { self.notifier = notifier }
        if !notifier.begin(head) { return }
        writeServiceStatus(&notifier.writer)
        notifier.flush()
    }

    /// `STOPPING=1` with why: called when the loop ended, before anything is closed.
    mutating func notifyStopping() {
        if !notifier.begin("STOPPING=1\n") { return }
        if store.failure != 0 {
            notifier.writer.text("stopping: the log failed (fail-stop)")
        } else {
            notifier.writer.text(stopSignal == CHAL_SIGINT ? "stopping (SIGINT)" : "stopping (SIGTERM)")
        }
        notifier.flush()
    }

    /// The status line: what serves, the log's condition, the uplink, and whether readings are refused.
    /// For example `serving 1 listener(s), 3 sensors; log ready; uplink up; accepting readings`.
    func writeServiceStatus(_ writer: inout TextWriter) {
        writer.text("serving ")
        writer.integer(sockets.count.wide)
        writer.text(" listener(s), ")
        writer.integer(server.pipeline.sensors.count.wide)
        writer.text(" sensors; log ")
        switch logCondition {
        case .none: writer.text("off")
        case .unavailable: writer.text("unavailable (retrying)")
        case .ready: writer.text("ready")
        case .full: writer.text("full")
        case .noSpace: writer.text("out of space")
        case .failed: writer.text("failed")
        case .readOnly: writer.text("read-only")
        }
        if store.uplinkSettings != nil {
            writer.text(store.uplink?.state == .up ? "; uplink up" : "; uplink down (retrying)")
        }
        writer.text(store.enabled && store.refusing ? "; refusing readings" : "; accepting readings")
    }
}
