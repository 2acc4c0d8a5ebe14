import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest
import Foundation

/// A transport over memory: what each connection will read, what it wrote, how much it takes
/// per send (partial writes), which were closed or shut.
final class HTTPMemoryTransport: HTTPTransport {
    var incoming: [Int32: [UInt8]] = [:]
    /// How much of `incoming` was read (an offset, so reading allocates nothing).
    var readOffset: [Int32: Int] = [:]
    var outgoing: [Int32: [UInt8]] = [:]
    var peerClosed: Set<Int32> = []
    var closed: [Int32] = []
    var shut: Set<Int32> = []
    var sendLimit = Int.max
    /// When set, sends are only counted (the allocation test: appending to `outgoing` may
    /// allocate in the test's own dictionary).
    var countOnly = false
    var sentBytes = 0
    var sentHeads = 0

    func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let offset = readOffset[fd] ?? 0
        let available = (incoming[fd]?.count ?? 0) - offset
        if available <= 0 { return peerClosed.contains(fd) ? 0 : HTTPTransportResult.wouldBlock }
        let n = min(buffer.count, available)
        incoming[fd]!.withUnsafeBytes { all in
            for i in 0..<n { buffer[i] = all[offset + i] }
        }
        readOffset[fd] = offset + n
        return n
    }

    func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        let n = min(sendLimit, bytes.count)
        if countOnly {
            sentBytes += n
            // "HTTP/1.1 " starts every answer; answers go out whole (no send limit here).
            if n >= 9 && bytes[0] == 0x48 && bytes[4] == 0x2F && bytes[8] == 0x20 { sentHeads += 1 }
            return n
        }
        if outgoing[fd] == nil { outgoing[fd] = [] }
        outgoing[fd]!.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<n]))
        return n
    }

    func close(_ fd: Int32) { closed.append(fd) }
    func shutdownSend(_ fd: Int32) { shut.insert(fd) }

    func hasInput(_ fd: Int32) -> Bool { (incoming[fd]?.count ?? 0) > (readOffset[fd] ?? 0) }

    func feed(_ fd: Int32, _ bytes: [UInt8]) {
        incoming[fd] = bytes
        readOffset[fd] = 0
    }

    func text(_ fd: Int32) -> String { String(decoding: outgoing[fd] ?? [], as: UTF8.self) }
}

/// Wraps the class so the server's generic transport parameter is a struct holding it.
struct TransportBox: HTTPTransport {
    let t: HTTPMemoryTransport
    mutating func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int { t.receive(fd, into: buffer) }
    mutating func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int { t.send(fd, bytes) }
    mutating func close(_ fd: Int32) { t.close(fd) }
    mutating func shutdownSend(_ fd: Int32) { t.shutdownSend(fd) }
}

/// The connection state machine with the real endpoints (`Server.serveHTTP`) over memory.
final class HTTPServerTests: XCTestCase {
    var memory: UnsafeMutableRawPointer!
    var http: HTTPServer!
    var site: HTTPSite!
    var h: ServerHarness<ProfileTest>!
    let t = HTTPMemoryTransport()
    lazy var box = TransportBox(t: t)
    let page: StaticString = "<!doctype html><title>x</title>"

    override func setUp() {
        h = ServerHarness<ProfileTest>()
        let bytes = 256 * 1024
        memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        var arena = Arena(base: memory, sizeBytes: bytes)
        http = HTTPServer(arena: &arena, capacity: 4, inputBytes: 1024, outputBytes: 16 * 1024, eventStreams: 2)
        site = HTTPSite(dashboard: UnsafeRawBufferPointer(start: page.utf8Start, count: page.utf8CodeUnitCount))
        site.ready = true
    }

    override func tearDown() { memory.deallocate() }

    /// One loop pass: read every connection with input, answer, write, run the timers.
    /// `committed` false plays a tick whose log commit failed.
    func pass(nowMs: Int64 = 1_000, committed: Bool = true) {
        for slot in 0..<http.capacity {
            let fd = http.connections[slot].fd
            if fd >= 0 && (t.hasInput(fd) || t.peerClosed.contains(fd)) { http.readable(slot, nowMs: nowMs, transport: &box) }
        }
        h.server.serveHTTP(&http, site: &site, nowMs: nowMs, answerWrites: committed)
        for slot in 0..<http.capacity where http.connections[slot].pendingOutput > 0 {
            http.writable(slot, nowMs: nowMs, transport: &box)
        }
        http.expire(nowMs: nowMs, transport: &box)
    }

    func connect(_ fd: Int32, _ text: String = "", nowMs: Int64 = 1_000) {
        XCTAssertNotNil(http.accept(fd, nowMs: nowMs, transport: &box))
        t.feed(fd, Array(text.utf8))
    }

    func testAnswersKeepAliveAndPipelinedRequests() {
        connect(5, "GET /ready HTTP/1.1\r\n\r\nGET /health HTTP/1.1\r\n\r\n")
        pass()
        pass()
        let out = t.text(5)
        XCTAssertTrue(out.hasPrefix("HTTP/1.1 200 OK\r\n"), out)
        XCTAssertTrue(out.contains("{\"ready\":true}\n"))
        XCTAssertTrue(out.contains("\"status\":\"ok\""), "the second request was answered after the first")
        XCTAssertEqual(http.connections[0].phase, .reading)
        XCTAssertEqual(http.connections[0].requests, 2)
    }

    func testPartialWritesDeliverTheWholeAnswer() {
        t.sendLimit = 7
        connect(5, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        for _ in 0..<40 { pass() }
        let out = t.text(5)
        XCTAssertTrue(out.hasSuffix("\r\n\r\n<!doctype html><title>x</title>"), out)
        XCTAssertTrue(out.contains("Content-Length: \(page.utf8CodeUnitCount)\r\n"))
        XCTAssertTrue(t.shut.contains(5), "closing: the send side is shut after the answer")
        t.peerClosed.insert(5)
        pass()
        XCTAssertEqual(t.closed, [5])
    }

    func testParseErrorIsAnsweredAndClosed() {
        connect(5, "GET / HTTP/9.9\r\n\r\n")
        pass()
        XCTAssertTrue(t.text(5).hasPrefix("HTTP/1.1 505 HTTP Version Not Supported\r\n"))
        XCTAssertTrue(t.text(5).contains("Connection: close"))
        XCTAssertEqual(http.connections[0].phase, .closing)
        pass(nowMs: 1_000 + http.lingerMs)
        XCTAssertEqual(t.closed, [5], "closed after the linger time")
        XCTAssertEqual(http.counters.malformed, 1)
    }

    func testHeaderTimeoutAndIdleTimeout() {
        connect(5, "GET /health HTTP/1.1\r\nX: ")
        connect(6)
        pass(nowMs: 1_000)
        pass(nowMs: 1_000 + http.headerTimeoutMs - 1)
        XCTAssertTrue(t.closed.isEmpty)
        pass(nowMs: 1_000 + http.headerTimeoutMs)
        XCTAssertTrue(t.text(5).hasPrefix("HTTP/1.1 408 "), t.text(5))
        XCTAssertEqual(http.counters.headerTimeouts, 1)
        pass(nowMs: 1_000 + http.idleTimeoutMs)
        XCTAssertTrue(t.closed.contains(6))
        XCTAssertEqual(http.counters.idleTimeouts, 1)
    }

    func testFullTableEvictsTheOldestSlowClient() {
        for fd in Int32(10)..<14 { connect(fd, "GET / HTTP/1.1\r\nX-Slow: ", nowMs: 1_000 + Int64(fd)) }
        pass()
        XCTAssertNotNil(http.accept(20, nowMs: 2_000, transport: &box))
        t.feed(20, Array("GET /ready HTTP/1.1\r\n\r\n".utf8))
        pass(nowMs: 2_000)
        XCTAssertEqual(t.closed, [10], "the oldest partial request made room")
        XCTAssertTrue(t.text(20).hasPrefix("HTTP/1.1 200 OK"))
        XCTAssertEqual(http.counters.evicted, 1)
    }

    func testEventStreamGetsAlertsAndASlowStreamIsDropped() {
        connect(5, "GET /api/events HTTP/1.1\r\n\r\n")
        pass()
        XCTAssertTrue(t.text(5).contains("Content-Type: text/event-stream"))
        XCTAssertEqual(http.connections[0].phase, .streaming)
        _ = h.send(Request.post(Request.temperature("hot-1", 95), mid: 101))
        _ = h.tick()
        pass()
        XCTAssertTrue(t.text(5).contains("event: alert\ndata: {\"seq\":0,\"event\":\"raised\""), t.text(5))
        // A client that reads nothing: its output stalls and it is dropped, nobody waits.
        t.sendLimit = 0
        _ = h.send(Request.post(Request.temperature("hot-2", 95), mid: 102))
        _ = h.tick()
        pass(nowMs: 2_000)
        pass(nowMs: 2_000 + http.stallTimeoutMs)
        XCTAssertTrue(t.closed.contains(5), "\(http.connections[0]) \(h.server.alertHistory.total)")
        XCTAssertEqual(http.counters.slowClients, 1)
    }

    func testCommandTokenAndQueueBounds() {
        _ = h.send(Request.post(Request.temperature("valve", 20)))
        XCTAssertTrue(site.setToken(UnsafeRawBufferPointer(start: ("  abc\n" as StaticString).utf8Start, count: 6)))
        let good = "POST /api/sensors/valve/command HTTP/1.1\r\nAuthorization: Bearer abc\r\nContent-Length: 2\r\n\r\non"
        let bad = "POST /api/sensors/valve/command HTTP/1.1\r\nAuthorization: Bearer abd\r\nContent-Length: 2\r\n\r\non"
        let limit = Server<ProfileTest>.commandsPerSensor
        connect(5, bad + String(repeating: good, count: limit + 1))
        for _ in 0..<(limit + 4) { pass() }
        let statuses = t.text(5).components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        XCTAssertEqual(statuses, ["401"] + Array(repeating: "202", count: limit) + ["503"])
        XCTAssertTrue(t.text(5).contains("\"command\":1,\"content_format\":42,\"pending\":1"), t.text(5))
        XCTAssertEqual(h.server.commands.count, limit)
        let slot = try! XCTUnwrap(h.server.commands.oldest(sensorIndex: 0))
        XCTAssertEqual(h.server.commands.command(at: slot).id, 1)
        XCTAssertEqual(Array(h.server.commands.payload(at: slot)), Array("on".utf8))
    }

    /// A command's 202 acknowledges it: in ticks that did not commit the POST waits unanswered
    /// (and is not queued), while GETs on other connections are answered; the first tick that
    /// commits queues and answers it.
    func testCommandWaitsForACommittedTickWhileGetsAreAnswered() {
        _ = h.send(Request.post(Request.temperature("valve", 20)))
        XCTAssertTrue(site.setToken(UnsafeRawBufferPointer(start: ("abc" as StaticString).utf8Start, count: 3)))
        connect(5, "POST /api/sensors/valve/command HTTP/1.1\r\nAuthorization: Bearer abc\r\nContent-Length: 2\r\n\r\non")
        connect(6, "GET /ready HTTP/1.1\r\n\r\n")
        pass(committed: false)
        pass(nowMs: 1_010, committed: false)
        XCTAssertEqual(t.text(5), "", "no answer to the command before a commit")
        XCTAssertEqual(h.server.commands.count, 0, "not queued before a commit")
        XCTAssertTrue(t.text(6).hasPrefix("HTTP/1.1 200 OK\r\n"), t.text(6))
        pass(nowMs: 1_020, committed: true)
        XCTAssertTrue(t.text(5).hasPrefix("HTTP/1.1 202 "), t.text(5))
        XCTAssertEqual(h.server.commands.count, 1)
    }

    func testMetricsAndAPIAllocateNothing() {
        for i in 0..<6 { _ = h.send(Request.post(Request.temperature("s-\(i)", 20 + Double(i)), mid: UInt16(200 + i))) }
        let requests = ["/metrics", "/health", "/api/sensors", "/api/sensors/s-1", "/api/alerts", "/", "/ready", "/nope"]
        let text = requests.map { "GET \($0) HTTP/1.1\r\n\r\n" }.joined()
        // Warm-up outside the count (first renderings set up the host runtime's lazy state).
        connect(5, text)
        for _ in 0..<12 { pass() }
        XCTAssertTrue(t.text(5).contains("outpost_sensor_value{sensor=\"s-1\",quantity=\"temperature\"} 21.000"), t.text(5))
        let input = Array(text.utf8)
        t.countOnly = true
        let debug = ProcessInfo.processInfo.environment["HTTP_ALLOC_DEBUG"] != nil
        var steps: [UInt64] = [0, 0, 0]
        malloc_counter_start()
        var allocations: UInt64 = 0
        for _ in 0..<50 {
            let n = malloc_counter_stop()
            allocations += n
            t.feed(5, input)
            malloc_counter_start()
            for slot in 0..<http.capacity where http.connections[slot].fd == 5 {
                for _ in 0..<requests.count {
                    http.readable(slot, nowMs: 1_000, transport: &box)
                    if debug { steps[0] += malloc_counter_stop(); malloc_counter_start() }
                    h.server.serveHTTP(&http, site: &site, nowMs: 1_000)
                    if debug { steps[1] += malloc_counter_stop(); malloc_counter_start() }
                    http.writable(slot, nowMs: 1_000, transport: &box)
                    if debug { steps[2] += malloc_counter_stop(); malloc_counter_start() }
                }
            }
        }
        allocations += malloc_counter_stop()
        if debug { print("allocations by step (read, serve, write):", steps) }
        XCTAssertEqual(http.connections[0].requests, UInt32(requests.count * 51))
        XCTAssertEqual(t.sentHeads, requests.count * 50, "every request answered while counting")
        XCTAssertGreaterThan(t.sentBytes, 50 * 4000, "with their bodies")
        XCTAssertEqual(allocations, 0)
    }
}
