import CHAL
import OutpostCore

/// The user-space cost of one CoAP datagram through `Server<P>.handle`, without sockets: the
/// bench flood's single-reading NON POSTs (SenML-JSON, 64 sensors, a fresh message ID each, the
/// same bytes `coap_load` sends), the outbox drained between batches as the daemon's loop does.
/// The UDP figures of `scripts/bench-udp.sh` add the kernel's receive and send on top of this.
enum ServerBench {
    static func run<P: Profile>(_: P.Type, datagramCount: Int, repetitions: Int, into report: inout BenchReport) {
        precondition(datagramCount > 0 && repetitions > 0, "bench sizes")
        // Built before the clock starts: every datagram of one run, back to back.
        var datagrams: [[UInt8]] = []
        datagrams.reserveCapacity(datagramCount)
        for i in 0..<datagramCount {
            let tenths = 200 + (i * 7) % 80
            let sensor = i % 64 < 10 ? "0\(i % 64)" : "\(i % 64)"
            let pack = "[{\"bn\":\"load-\(sensor):\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":\(tenths / 10).\(tenths % 10)}]"
            datagrams.append(request(messageID: UInt16(truncatingIfNeeded: i), token: UInt16(truncatingIfNeeded: i &* 40_503), payload: Array(pack.utf8)))
        }
        let arenaBytes = Server<P>.arenaBytes(after: 0)
        let arenaBase = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
        defer { arenaBase.deallocate() }
        let response = UnsafeMutableRawBufferPointer.allocate(byteCount: P.maxDatagramBytes, alignment: 16)
        defer { response.deallocate() }
        let peer = Endpoint.ipv4(127, 0, 0, 1, port: 40_000)
        var bestNs = Int64.max
        var answered = 0
        for _ in 0..<repetitions {
            var arena = Arena(base: arenaBase, sizeBytes: arenaBytes)
            var server = Server<P>(arena: &arena, identity: ServerIdentity(nodeId: SensorName("bench"), profile: P.name, startMs: 1_767_225_600_000))
            var consumer = DiscardingOutboxConsumer()
            answered = 0
            let nowMs: Int64 = 1_767_225_600_000
            let startNs = chal_monotonic_ns()
            for (i, datagram) in datagrams.enumerated() {
                let length = datagram.withUnsafeBytes { server.handle(datagram: $0, from: peer, nowMs: nowMs, response: response) }
                if length > 0 { answered += 1 }
                if i % P.batchSize == P.batchSize - 1 { server.drainOutbox(into: &consumer) }
            }
            bestNs = min(bestNs, chal_monotonic_ns() - startNs)
            precondition(server.pipeline.counters.readingsAccepted == UInt64(datagramCount), "every bench reading is taken")
        }
        precondition(answered == datagramCount, "every datagram is answered")
        note("server \(P.name): \(datagramCount) single-reading NON datagrams, best of \(repetitions)")
        report.add("server_ns_per_datagram_single_" + String(describing: P.name), Double(bestNs) / Double(datagramCount))
    }

    /// A NON POST /readings with Content-Format 110, as `coap_load` builds it.
    static func request(messageID: UInt16, token: UInt16, payload: [UInt8]) -> [UInt8] {
        var bytes: [UInt8] = [0x52, 0x02, UInt8(messageID >> 8), UInt8(messageID & 0xFF), UInt8(token >> 8), UInt8(token & 0xFF)]
        bytes += [0xB8] + Array("readings".utf8) + [0x11, 110, 0xFF]
        return bytes + payload
    }
}
