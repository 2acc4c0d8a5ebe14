import CHAL
import OutpostCore

/// The daemon's HTTP side (`--http`, docs/HTTP.md): the listening socket, the core's connection
/// table and the endpoints' context, carved at start-up. Without `--http` it is inert (no socket,
/// nothing carved).
///
/// The low profile's build leaves HTTP out (`DaemonHTTP.available`): its aarch64 firmware must
/// stay within 256 KiB, and the server, the endpoints and the page take about 70 KiB. The
/// methods' bodies are compiled out there, so the linker drops the core's HTTP code too.
struct DaemonHTTP {
    /// Most connections accepted per tick (the rest wait in the kernel's queue for the next one).
    static var acceptsPerTick: Int { 32 }
    /// Pending connections the kernel queues before the loop accepts them.
    static var backlog: Int32 { 128 }

    /// Whether this build serves HTTP.
    #if OUTPOST_PROFILE_LOW
    static var available: Bool { false }
    #else
    static var available: Bool { true }
    #endif

    var listenFd: Int32 = -1
    var bound = chal_address()
    var server: HTTPServer? = nil
    var site: HTTPSite? = nil
    var transport = ChalHTTPTransport()
    /// The poll entries the loop gives it (the listener first, then one per slot), carved once.
    var entries = UnsafeMutableBufferPointer<chal_pollfd>(start: nil, count: 0)
    /// Whether the last tick committed (`DaemonAttachment.endOfTick`): until one does, requests
    /// that change state (a command's POST) wait, as their answer acknowledges them.
    var committed = true

    var enabled: Bool { server != nil }
    /// Poll entries: the listener and one per connection slot.
    var pollCount: Int { server.map { 1 + $0.capacity } ?? 0 }

    init() {}

    /// Carves the connection table for profile `P` and opens the listener (the command queue is
    /// the server's, shared with every front end).
    /// Returns 0 or the listener's negative errno.
    mutating func open<P: Profile>(_ profile: P.Type, address: chal_address, arena: inout Arena) -> Int32 {
        #if OUTPOST_PROFILE_LOW
        return CHAL_EINVAL
        #else
        var a = address
        let fd = chal_tcp_listen(&a, DaemonHTTP.backlog)
        if fd < 0 { return fd }
        listenFd = fd
        if chal_tcp_local_address(fd, &bound) != 0 { bound = address }
        server = HTTPServer(
            arena: &arena, capacity: P.httpConnectionCount, inputBytes: P.httpRequestBytes, outputBytes: P.httpResponseBytes,
            eventStreams: P.httpEventStreamCount)
        let page = UnsafeRawBufferPointer(start: chal_dashboard_bytes(), count: chal_dashboard_size().narrow)
        site = HTTPSite(dashboard: page)
        return 0
        #endif
    }

    /// Fills the poll entries `entries` (the listener first, then the slots).
    func preparePoll() {
        #if !OUTPOST_PROFILE_LOW
        guard let server else { return }
        let input = Int16(truncatingIfNeeded: CHAL_POLL_IN)
        let output = Int16(truncatingIfNeeded: CHAL_POLL_OUT)
        entries[0] = chal_pollfd(fd: listenFd, events: input, revents: 0)
        for slot in 0..<server.capacity {
            let wants = server.wants(slot)
            let events = (wants.read ? input : 0) | (wants.write ? output : 0)
            entries[1 + slot] = chal_pollfd(fd: events == 0 ? -1 : server.connections[slot].fd, events: events, revents: 0)
        }
        #endif
    }

    /// Accepts new connections and reads the ready ones (the requests are answered later in the
    /// tick, by `serve`).
    /// - Complexity: O(acceptsPerTick × capacity + capacity × input buffer)
    mutating func receive(nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        if server == nil { return }
        let inputReady = Int16(truncatingIfNeeded: CHAL_POLL_IN | CHAL_POLL_ERR | CHAL_POLL_HUP)
        let outputReady = Int16(truncatingIfNeeded: CHAL_POLL_OUT | CHAL_POLL_ERR | CHAL_POLL_HUP)
        if entries[0].revents & Int16(truncatingIfNeeded: CHAL_POLL_IN) != 0 {
            for _ in 0..<DaemonHTTP.acceptsPerTick {
                let fd = chal_tcp_accept(listenFd, nil)
                if fd < 0 { break }
                _ = server!.accept(fd, nowMs: nowMs, transport: &transport)
            }
        }
        for slot in 0..<server!.capacity {
            let revents = entries[1 + slot].revents
            if revents == 0 || entries[1 + slot].fd != server!.connections[slot].fd { continue }
            if revents & outputReady != 0 { server!.writable(slot, nowMs: nowMs, transport: &transport) }
            if revents & inputReady != 0 { server!.readable(slot, nowMs: nowMs, transport: &transport) }
        }
        #endif
    }

    /// Answers the parsed requests and feeds the event streams (written by `writePending`, after
    /// the loop committed the commands the answers acknowledge).
    /// - Complexity: O(capacity × answer size)
    mutating func serve<P: Profile>(_ core: inout Server<P>, ready: Bool, nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        if server == nil { return }
        site!.ready = ready
        core.serveHTTP(&server!, site: &site!, nowMs: nowMs, answerWrites: committed)
        #endif
    }

    /// Writes what the answers left pending and runs the timers (the gateway's `afterTick`). Only
    /// after a tick that committed: an answer left pending because the commit of the commands it
    /// acknowledges failed (`EventLoop.runTick`) leaves once a commit covers them.
    /// - Complexity: O(capacity)
    mutating func afterTick(nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        if server == nil { return }
        if committed { writePending(nowMs: nowMs) }
        server!.expire(nowMs: nowMs, transport: &transport)
        #endif
    }

    /// The next HTTP timer: none finer than the loop's tick interval is needed (the header, idle
    /// and stall timeouts are seconds long, and `afterTick` runs them every tick).
    func wakeDeadlineMs(nowMs: Int64) -> Int64? { nil }

    /// Writes what the answers left pending (after `serve`, once the commands it queued are
    /// committed: the loop calls it then).
    mutating func writePending(nowMs: Int64) {
        #if !OUTPOST_PROFILE_LOW
        if server == nil { return }
        for slot in 0..<server!.capacity where server!.connections[slot].pendingOutput > 0 {
            server!.writable(slot, nowMs: nowMs, transport: &transport)
        }
        #endif
    }

    /// Closes the connections and the listener.
    mutating func close() {
        #if !OUTPOST_PROFILE_LOW
        if server != nil { server!.closeAll(transport: &transport) }
        if listenFd >= 0 { _ = chal_close(listenFd) }
        listenFd = -1
        #endif
    }
}
