import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest
import Foundation

/// A sink that counts datagrams without keeping them (the recording sink allocates).
struct CountingSink: DatagramSink {
    var count = 0
    var bytes = 0
    var hasRoom: Bool { true }
    mutating func send(_ datagram: UnsafeRawBufferPointer, to peer: Endpoint) {
        count += 1
        bytes += datagram.count
    }
}

/// Proves the server's steady state allocates nothing: ≥ 100 000 datagrams (single readings and
/// packs, CON and NON, JSON and CBOR, retransmissions, GETs with Block2, Observe notifications)
/// through `handle`, `drainOutbox` and `tick` with every malloc of the process counted.
final class ServerAllocationTests: XCTestCase {
    static let datagramCount = 100_000

    /// All datagrams, built before counting: bytes back to back, with (start, end, peer) each.
    struct Workload {
        var bytes: [UInt8] = []
        var spans: [(start: Int, end: Int, peer: Int)] = []

        mutating func add(_ datagram: [UInt8], peer: Int) {
            spans.append((bytes.count, bytes.count + datagram.count, peer))
            bytes += datagram
        }
    }

    func workload(sensors: Int, packSize: Int) -> Workload {
        var w = Workload()
        w.bytes.reserveCapacity(Self.datagramCount * 200)
        var random = ReadingSource(seed: 11)
        var mid: UInt16 = 0
        var i = 0
        while w.spans.count < Self.datagramCount {
            i += 1
            mid &+= 1
            let peer = Int(random.next() % 200)
            let sensor = "sensor-\(Int(random.next() % UInt64(sensors)))"
            let celsius = random.next() % 50 == 0 ? 95.0 : 20 + Double(random.next() % 100) / 10
            let type: CoAPType = i % 2 == 0 ? .confirmable : .nonConfirmable
            switch i % 10 {
            case 0, 1, 2, 3:
                w.add(Request.post(Request.temperature(sensor, celsius), type, mid: mid, token: [UInt8(i & 0xFF)]), peer: peer)
            case 4, 5:
                let records = (0..<packSize).map { k in
                    "{\"bn\":\"sensor-\((i + k) % sensors)/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":2\(k % 10).5},{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":4\(k % 10)}"
                }
                w.add(Request.post("[" + records.joined(separator: ",") + "]", type, mid: mid), peer: peer)
            case 6, 7:
                let pack = Request.cborPack((0..<packSize).map { k in ("sensor-\((i + k) % sensors)", 20 + Double(k)) })
                w.add(Request.make(type, .post, mid: mid, path: "readings", options: [Request.uint(.contentFormat, 112)], payload: pack), peer: peer)
            case 8:
                // A retransmission of the previous datagram (same peer and message ID).
                let last = w.spans[w.spans.count - 1]
                w.add(Array(w.bytes[last.start..<last.end]), peer: last.peer)
            default:
                let paths = ["health", "sensors", "sensors/sensor-1", "alerts", "metrics", ".well-known/core"]
                let accept: [(UInt16, [UInt8])] = i % 3 == 0 ? [Request.uint(.accept, 60)] : []
                let path = paths[Int(random.next() % UInt64(paths.count))]
                w.add(Request.make(type, .get, mid: mid, path: path, options: path == "metrics" || path.hasPrefix(".") ? [] : accept), peer: peer)
            }
        }
        return w
    }

    func run<P: Profile>(_ profile: P.Type, sensors: Int, packSize: Int) -> (allocations: UInt64, readings: UInt64, notifications: Int) {
        let h = ServerHarness<P>()
        let w = workload(sensors: sensors, packSize: packSize)
        let peers = (0..<200).map { ServerHarness<P>.peer($0) }
        var sink = CountingSink()
        var consumer = DiscardingOutboxConsumer()
        // Warm-up: one of everything outside the count (lazy globals, the observer).
        _ = h.send(Request.make(mid: 60_000, path: "alerts", options: [Request.uint(.observe, 0)]), from: peers[0])
        _ = h.send(Request.make(mid: 60_001, path: "alerts", options: [Request.uint(.observe, 0), Request.uint(.accept, 60)]), from: peers[1])
        for k in 0..<20 { _ = h.send(Array(w.bytes[w.spans[k].start..<w.spans[k].end]), from: peers[w.spans[k].peer]) }
        // One of each GET: the first window summary and the first rendering run one-time lazy
        // initialisations of the host runtime (8 allocations each, never again; measured).
        _ = h.send(Request.post(Request.temperature("sensor-1", 21), mid: 60_099), from: peers[2])
        for (n, path) in ["health", "sensors", "sensors/sensor-1", "alerts", "metrics", ".well-known/core"].enumerated() {
            _ = h.send(Request.make(mid: UInt16(60_100 + n), path: path), from: peers[2])
        }
        h.server.tick(nowMs: h.nowMs, into: &sink)

        var nowMs = h.nowMs
        let response = h.response
        let debug = ProcessInfo.processInfo.environment["SERVER_ALLOC_DEBUG"] != nil
        malloc_counter_start()
        w.bytes.withUnsafeBytes { all in
            for k in 0..<w.spans.count {
                let span = w.spans[k]
                let datagram = UnsafeRawBufferPointer(rebasing: all[span.start..<span.end])
                if h.server.outboxNeedsDrain { h.server.drainOutbox(into: &consumer) }
                _ = h.server.handle(datagram: datagram, from: peers[span.peer], nowMs: nowMs, response: response)
                if debug {
                    let n = malloc_counter_stop()
                    if n > 0 { print("alloc at \(k): \(n): \(String(decoding: datagram.prefix(80), as: UTF8.self))") }
                    malloc_counter_start()
                }
                nowMs += 20
                if k % P.batchSize == 0 {
                    h.server.tick(nowMs: nowMs, into: &sink, consumer: &consumer)
                    h.server.recordTickLatency(ns: UInt64(k % 1000) * 1000)
                }
            }
        }
        let allocations = malloc_counter_stop()
        return (allocations, h.server.pipeline.counters.readingsAccepted, sink.count)
    }

    func testMediumServerAllocatesNothing() {
        let result = run(ProfileMedium.self, sensors: 80, packSize: 10)
        print("server allocations medium: \(result.allocations) over \(Self.datagramCount) datagrams; readings \(result.readings), notifications \(result.notifications)")
        XCTAssertEqual(result.allocations, 0)
        XCTAssertGreaterThan(result.readings, UInt64(Self.datagramCount))
        XCTAssertGreaterThan(result.notifications, 0)
    }

    func testTestProfileServerAllocatesNothing() {
        let result = run(ProfileTest.self, sensors: 6, packSize: 4)
        print("server allocations test: \(result.allocations) over \(Self.datagramCount) datagrams; readings \(result.readings), notifications \(result.notifications)")
        XCTAssertEqual(result.allocations, 0)
        XCTAssertGreaterThan(result.readings, UInt64(Self.datagramCount / 2))
    }
}
