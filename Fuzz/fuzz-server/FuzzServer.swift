// libFuzzer target: the gateway as a state machine (see FuzzCoAP.swift for the build modes).
//
// The input is a script of steps: honest sensors posting CON and NON readings and retransmitting
// them, hostile sources sending random datagrams, readings under ever new sensor names, Block1
// starts that never finish, Observe registrations and status GETs, and clock moves of 1 ms to
// 250 s. Everything runs through the whole request path in process: `Gateway.tick` over an
// in-memory transport, the test profile's server and pipeline, and a log (reject-new) on an
// in-memory device. The invariants (the tables after every tick; the log, read back through a
// read-only open of the device, every 16th tick and at the end, since with reject-new nothing
// leaves it):
//
// - nothing traps (the sanitizers and the core's own preconditions);
// - every table stays within its profile capacity, every datagram within the datagram size, and
//   the send queue is empty between ticks;
// - every honest reading that was acknowledged (a 2.04 for its token left the gateway) is in the
//   durable log (datagrams reach the gateway within RFC 7252's MAX_LATENCY or are lost), and no honest reading is in it more than once, however often it was
//   retransmitted within RFC 7252's MAX_TRANSMIT_SPAN, as long as the duplicate ledger held every
//   exchange of EXCHANGE_LIFETIME (no live entry evicted: the profile's rated load was not
//   exceeded; above it a retransmission may be processed again, counted in
//   `duplicate_evictions`).
import OutpostCore
import OutpostProfiles

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzServerReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

typealias P = ProfileTest

/// The bytes of the in-memory log device.
final class ServerFuzzDisk {
    var bytes: [UInt8]
    init(size: Int) { bytes = [UInt8](repeating: 0, count: size) }
}

/// A `LogDevice` over `ServerFuzzDisk`: every write lands at once, syncs do nothing.
struct ServerFuzzDevice: LogDevice {
    let disk: ServerFuzzDisk
    var sizeBytes: Int64 { Int64(disk.bytes.count) }

    mutating func read(at offset: Int64, into buffer: UnsafeMutableRawBufferPointer) throws(LogIOError) {
        let start = Int(offset)
        precondition(start >= 0 && start + buffer.count <= disk.bytes.count, "read outside the device")
        disk.bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[start..<(start + buffer.count)])) }
    }

    mutating func write(at offset: Int64, from bytes: UnsafeRawBufferPointer) throws(LogIOError) {
        let start = Int(offset)
        precondition(start >= 0 && start + bytes.count <= disk.bytes.count, "write outside the device")
        disk.bytes.withUnsafeMutableBytes { UnsafeMutableRawBufferPointer(rebasing: $0[start..<(start + bytes.count)]).copyMemory(from: bytes) }
    }

    mutating func sync() throws(LogIOError) {}
}

/// The datagrams waiting for the gateway and the answers it sent. A datagram older than RFC
/// 7252's MAX_LATENCY (100 s) when the gateway gets to it is lost on the way (the protocol's
/// duplicate detection is sized for that bound, not for datagrams delayed without limit).
final class ServerFuzzNetwork {
    var inbound: [(bytes: [UInt8], peer: Endpoint, sentMs: Int64)] = []
    var next = 0
    var sent: [(bytes: [UInt8], peer: Endpoint)] = []
    var nowMs: Int64 = 0
    var lost = 0
    static let maxLatencyMs: Int64 = 100_000

    func post(_ bytes: [UInt8], from peer: Endpoint) { inbound.append((bytes, peer, nowMs)) }
}

/// The gateway's transport over `ServerFuzzNetwork`: one IPv4 channel.
struct ServerFuzzTransport: DatagramTransport {
    let network: ServerFuzzNetwork
    let buffers: UnsafeMutableRawBufferPointer
    let lengths: UnsafeMutableBufferPointer<Int>
    let peers: UnsafeMutableBufferPointer<Endpoint>
    let slotBytes: Int

    init(network: ServerFuzzNetwork, batch: Int, datagramBytes: Int) {
        self.network = network
        slotBytes = datagramBytes + 1
        buffers = UnsafeMutableRawBufferPointer.allocate(byteCount: batch * slotBytes, alignment: 16)
        lengths = UnsafeMutableBufferPointer.allocate(capacity: batch)
        peers = UnsafeMutableBufferPointer.allocate(capacity: batch)
    }

    func deallocate() {
        buffers.deallocate()
        lengths.deallocate()
        peers.deallocate()
    }

    var channelCount: Int { 1 }
    var receiveCapacity: Int { lengths.count }
    func channelKind(_ channel: Int) -> UInt8 { Endpoint.kindIPv4 }
    func isReadable(channel: Int) -> Bool { network.next < network.inbound.count }

    mutating func receive(channel: Int) -> Int {
        var n = 0
        while n < lengths.count && network.next < network.inbound.count {
            let datagram = network.inbound[network.next]
            network.next += 1
            if network.nowMs - datagram.sentMs > ServerFuzzNetwork.maxLatencyMs {
                network.lost += 1
                continue
            }
            // Cut at capacity as the kernel would: the server sees an oversize datagram.
            let count = min(datagram.bytes.count, slotBytes)
            datagram.bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(rebasing: buffers[(n * slotBytes)..<(n * slotBytes + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<count]))
            }
            lengths[n] = count
            peers[n] = datagram.peer
            n += 1
        }
        return n
    }

    func received(_ index: Int) -> GatewayDatagram {
        GatewayDatagram(
            bytes: UnsafeRawBufferPointer(rebasing: buffers[(index * slotBytes)..<(index * slotBytes + lengths[index])]),
            peer: peers[index], truncated: lengths[index] == slotBytes)
    }

    mutating func send(_ queue: inout GatewaySendQueue) {
        for i in 0..<queue.count {
            let datagram = queue.datagram(i)
            if datagram.channel != 0 { continue }
            precondition(datagram.bytes.count <= P.maxDatagramBytes, "a datagram larger than the profile's datagram size")
            queue.counters.sent &+= 1
            network.sent.append((Array(datagram.bytes), datagram.peer))
        }
    }
}

/// No upstream.
struct ServerFuzzNoLink: DatagramSink, DatagramReceiver {
    var hasRoom: Bool { false }
    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) {}
    var channelCount: Int { 1 }
    var receiveCapacity: Int { 0 }
    func channelKind(_ channel: Int) -> UInt8 { Endpoint.kindIPv4 }
    func isReadable(channel: Int) -> Bool { false }
    mutating func receive(channel: Int) -> Int { 0 }
    func received(_ index: Int) -> GatewayDatagram { preconditionFailure("nothing received") }
}

/// Reads the input front to back; zeros once it is used up.
struct ServerFuzzInput {
    let bytes: UnsafeRawBufferPointer
    var at = 0
    mutating func byte() -> UInt8 {
        if at >= bytes.count { return 0 }
        at += 1
        return bytes[at - 1]
    }
    var remaining: Int { max(0, bytes.count - at) }
}

/// One honest reading as first sent: retransmissions repeat these bytes.
struct HonestMessage {
    var bytes: [UInt8]
    var peer: Endpoint
    var sensor: Int
    var value: Int
    var firstSentMs: Int64
    var acknowledged = false
}

let serverFuzzGeometry = LogGeometry(segmentSizeBytes: 4096, segmentCount: 8)!
let serverFuzzStartMs: Int64 = 1_767_225_600_000
/// Honest sensors (one per honest peer) and hostile peers.
let honestPeers = 3
let hostilePeers = 5
/// RFC 7252's MAX_TRANSMIT_SPAN: a sensor retransmits a CON message at most this long after
/// the first transmission.
let maxTransmitSpanMs: Int64 = 45_000

func fuzzPeer(_ n: Int) -> Endpoint {
    .ipv4(10, 0, 0, UInt8(truncatingIfNeeded: 1 + n), port: UInt16(truncatingIfNeeded: 40_000 + n))
}

/// The honest sensor names start with "q7-"; the hostile sources' random bytes never hold a
/// 'q' (it is replaced), so nothing they send can pass for an honest reading.
func honestName(_ sensor: Int) -> [UInt8] { Array("q7-\(sensor)".utf8) }

/// A CoAP request: header, token, options (number, value) in increasing order, payload.
func coap(confirmable: Bool, code: UInt8, mid: UInt16, token: [UInt8], options: [(Int, [UInt8])], payload: [UInt8]) -> [UInt8] {
    var m: [UInt8] = [(confirmable ? 0x40 : 0x50) | UInt8(token.count), code, UInt8(mid >> 8), UInt8(mid & 0xFF)]
    m += token
    var last = 0
    for (number, value) in options {
        let delta = number - last
        last = number
        func nibble(_ v: Int) -> (UInt8, [UInt8]) { v < 13 ? (UInt8(v), []) : (13, [UInt8(v - 13)]) }
        let (d, dx) = nibble(delta)
        let (l, lx) = nibble(value.count)
        m.append(d << 4 | l)
        m += dx + lx + value
    }
    if !payload.isEmpty { m += [0xFF] + payload }
    return m
}

let uriReadings: (Int, [UInt8]) = (11, Array("readings".utf8))
let contentJSON: (Int, [UInt8]) = (12, [110])

func readingPayload(name: [UInt8], hundredths: Int) -> [UInt8] {
    let whole = 20 + hundredths / 100
    let fraction = hundredths % 100
    return Array("[{\"bn\":\"".utf8) + name + Array("/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":\(whole).\(fraction < 10 ? "0" : "")\(fraction)}]".utf8)
}

/// Counts of honest readings in the durable log, by (sensor, value): what a power cut right now
/// would leave, read through a read-only open of the device with its own arena.
func honestReadingsInLog(_ disk: ServerFuzzDisk, _ arena: UnsafeMutableRawBufferPointer) -> [Int: Int] {
    var region = Arena(base: arena.baseAddress!, sizeBytes: arena.count)
    guard var store = try? LogStore(
        device: ServerFuzzDevice(disk: disk), arena: &region, geometry: serverFuzzGeometry, pageBytes: 512, policy: .rejectNew,
        formatIfBlank: false, readOnly: true)
    else { preconditionFailure("the log does not open read-only") }
    var counts: [Int: Int] = [:]
    var reader = LogReader(from: 1)
    var record = LogRecord()
    var records = 0
    while (try? store.read(&reader, into: &record, through: store.lastWrittenSequence)) == true {
        records += 1
        precondition(records < 100_000, "the reader does not end")
        guard record.type == .reading else { continue }
        guard let payload = record.withPayload({ LogReadingPayload(decoding: $0, timestampMs: record.timestampMs) }) else {
            preconditionFailure("a reading record that does not decode")
        }
        var name: [UInt8] = []
        for i in 0..<Int(payload.name.count) { name.append(payload.name[i]) }
        guard name.count > 3, name[0] == UInt8(ascii: "q"), let t = payload.reading.features[.temperature] else { continue }
        guard let sensor = Int(String(decoding: name[3...], as: UTF8.self)) else { continue }
        let hundredths = (Int(t) + 5) / 10 - 2000
        counts[sensor << 20 | hundredths, default: 0] += 1
    }
    return counts
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    var input = ServerFuzzInput(bytes: UnsafeRawBufferPointer(start: data, count: size))
    let disk = ServerFuzzDisk(size: Int(serverFuzzGeometry.fileSizeBytes))
    let network = ServerFuzzNetwork()
    let memoryBytes = Server<P>.arenaBytes(after: 0)
        + LogStore<ServerFuzzDevice>.arenaBytes(after: 0, geometry: serverFuzzGeometry, pageBytes: 512) + 256 * 1024
    let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: memoryBytes, alignment: 64)
    let checkArena = UnsafeMutableRawBufferPointer.allocate(
        byteCount: LogStore<ServerFuzzDevice>.arenaBytes(after: 0, geometry: serverFuzzGeometry, pageBytes: 512) + 4096, alignment: 64)
    defer {
        memory.deallocate()
        checkArena.deallocate()
    }
    var arena = Arena(base: memory.baseAddress!, sizeBytes: memoryBytes)
    let server = Server<P>(
        arena: &arena, identity: ServerIdentity(nodeId: SensorName("node-1"), profile: P.name, startMs: serverFuzzStartMs))
    var store = GatewayStore<ServerFuzzDevice, ServerFuzzNoLink>(link: ServerFuzzNoLink())
    store.enabled = true
    store.durability = .sync
    store.policy = .rejectNew
    store.reserveRecords = P.packReadingCapacity * GatewayStore<ServerFuzzDevice, ServerFuzzNoLink>.recordsPerReading
    guard let log = try? LogStore(
        device: ServerFuzzDevice(disk: disk), arena: &arena, geometry: serverFuzzGeometry, pageBytes: 512, policy: .rejectNew,
        formatIfBlank: true, syncMode: .ordered, formatLogID: 0x5EED)
    else { preconditionFailure("format failed") }
    store.attach(log, nowMs: serverFuzzStartMs)
    let transport = ServerFuzzTransport(network: network, batch: P.batchSize, datagramBytes: P.maxDatagramBytes)
    defer { transport.deallocate() }
    var gateway = Gateway<P, ServerFuzzDevice, ServerFuzzTransport, ServerFuzzNoLink, NoAttachment>(
        server: server, store: store, transport: transport, attachment: NoAttachment(), sendLimit: 512, arena: &arena)
    gateway.warmUp(nowMs: serverFuzzStartMs)

    var nowMs = serverFuzzStartMs
    network.nowMs = nowMs
    var honest: [HonestMessage] = []
    var byToken: [[UInt8]: Int] = [:]
    var nextValue = [Int](repeating: 0, count: honestPeers)
    var nextMID = [UInt16](repeating: 0x1000, count: honestPeers + hostilePeers)
    var hostileNames = 0
    let clockSteps: [Int64] = [1, 10, 100, 1_000, 5_000, 30_000, 250_000, 0]

    var ticks = 0
    func tickAndCheck(advanceMs: Int64, final: Bool = false) {
        nowMs += advanceMs
        network.nowMs = nowMs
        let sentBefore = network.sent.count
        gateway.tick(nowMs: nowMs)
        precondition(gateway.send.count == 0, "the send queue holds datagrams after the tick")
        let s = gateway.server
        precondition(s.pipeline.sensors.count <= P.sensorCapacity, "sensor table over capacity")
        precondition(s.duplicates.count <= s.duplicates.capacity, "duplicate cache over capacity")
        precondition(s.ledger.count <= s.ledger.capacity, "duplicate ledger over capacity")
        precondition(s.observers.count <= s.observers.capacity, "observer table over capacity")
        precondition(s.block1.busyCount <= P.block1SlotCount, "Block1 slots over capacity")
        precondition(s.snapshots.liveCount(nowMs: nowMs) <= s.snapshots.capacity, "Block2 snapshots over capacity")
        precondition(network.next <= network.inbound.count)
        // A tick takes at most its batches; whatever waits is taken by the following ticks.
        for i in sentBefore..<network.sent.count {
            let answer = network.sent[i].bytes
            guard answer.count >= 4, answer[1] == 0x44 else { continue }
            let tokenLength = Int(answer[0] & 0x0F)
            guard tokenLength <= 8, answer.count >= 4 + tokenLength else { continue }
            if let index = byToken[Array(answer[4..<(4 + tokenLength)])], honest[index].peer == network.sent[i].peer {
                honest[index].acknowledged = true
            }
        }
        // The log is read back (a read-only open: a recovery scan) every 16th tick and at the
        // end: with reject-new nothing leaves it, so what these checks find stays found.
        ticks += 1
        if ticks % 16 != 0 && !final { return }
        let counts = honestReadingsInLog(disk, checkArena)
        // Above the profile's rated load the duplicate ledger drops live entries (counted), and a
        // retransmission of such a request is processed again (DuplicateLedger): only then may a
        // reading be in the log twice.
        let ledgerCovered = gateway.server.ledger.evictedEarly == 0
        for count in counts.values { precondition(count == 1 || !ledgerCovered, "an honest reading is in the log more than once") }
        for message in honest where message.acknowledged {
            let count = counts[message.sensor << 20 | message.value] ?? 0
            precondition(count >= 1, "an acknowledged reading is not in the log")
        }
    }

    var steps = 0
    while input.remaining > 0 && steps < 600 {
        steps += 1
        let op = input.byte()
        let arg = input.byte()
        switch op % 10 {
        case 0, 1:
            // An honest CON (or NON) reading, new.
            let sensor = Int(arg) % honestPeers
            let value = nextValue[sensor]
            nextValue[sensor] += 1
            if value >= 8_000 { break }
            let mid = nextMID[sensor]
            nextMID[sensor] &+= 1
            let token: [UInt8] = [0x51, UInt8(sensor), UInt8(value >> 8), UInt8(value & 0xFF)]
            let bytes = coap(
                confirmable: op % 10 == 0 || arg & 0x80 == 0, code: 0x02, mid: mid, token: token,
                options: [uriReadings, contentJSON], payload: readingPayload(name: honestName(sensor), hundredths: value))
            byToken[token] = honest.count
            honest.append(HonestMessage(bytes: bytes, peer: fuzzPeer(sensor), sensor: sensor, value: value, firstSentMs: nowMs))
            network.post(bytes, from: fuzzPeer(sensor))
        case 2:
            // A retransmission of a recent honest message (within MAX_TRANSMIT_SPAN).
            if honest.isEmpty { break }
            let index = honest.count - 1 - Int(arg) % min(honest.count, 32)
            if nowMs - honest[index].firstSentMs > maxTransmitSpanMs { break }
            network.post(honest[index].bytes, from: honest[index].peer)
        case 3, 4:
            // The clock moves and the gateway ticks.
            tickAndCheck(advanceMs: clockSteps[Int(arg) % clockSteps.count] * Int64(1 + Int(arg) / 64))
        case 5:
            // Random bytes from a hostile source.
            let peer = honestPeers + Int(arg) % hostilePeers
            var bytes: [UInt8] = []
            let length = Int(input.byte()) % (P.maxDatagramBytes + 8)
            for _ in 0..<min(length, input.remaining) {
                let b = input.byte()
                bytes.append(b == UInt8(ascii: "q") ? UInt8(ascii: "Q") : b)
            }
            network.post(bytes, from: fuzzPeer(peer))
        case 6:
            // A valid reading under a new sensor name from a hostile source.
            let peer = honestPeers + Int(arg) % hostilePeers
            hostileNames += 1
            let mid = nextMID[peer]
            nextMID[peer] &+= 1
            network.post(
                coap(
                    confirmable: arg & 0x80 != 0, code: 0x02, mid: mid, token: [UInt8(hostileNames & 0xFF)],
                    options: [uriReadings, contentJSON], payload: readingPayload(name: Array("x\(hostileNames)".utf8), hundredths: Int(arg))),
                from: fuzzPeer(peer))
        case 7:
            // A Block1 start that never finishes (hostile), 64-byte blocks.
            let peer = honestPeers + Int(arg) % hostilePeers
            let mid = nextMID[peer]
            nextMID[peer] &+= 1
            let payload = [UInt8](repeating: UInt8(ascii: " "), count: 64)
            network.post(
                coap(
                    confirmable: true, code: 0x02, mid: mid, token: [0xB1, arg],
                    options: [uriReadings, contentJSON, (27, [0x0A])], payload: [UInt8(ascii: "[")] + payload.dropLast()),
                from: fuzzPeer(peer))
        case 8:
            // An Observe registration (or deregistration) on /alerts, from any source.
            let peer = Int(arg) % (honestPeers + hostilePeers)
            let mid = nextMID[peer]
            nextMID[peer] &+= 1
            let deregister = arg & 0x40 != 0
            network.post(
                coap(
                    confirmable: arg & 0x80 != 0, code: 0x01, mid: mid, token: [0x0B, arg],
                    options: [(6, deregister ? [1] : []), (11, Array("alerts".utf8))], payload: []),
                from: fuzzPeer(peer))
        default:
            // A status GET (/health, /metrics, /alerts), some with Block2, from any source.
            let peer = Int(arg) % (honestPeers + hostilePeers)
            let mid = nextMID[peer]
            nextMID[peer] &+= 1
            let paths: [[UInt8]] = [Array("health".utf8), Array("metrics".utf8), Array("alerts".utf8)]
            var options: [(Int, [UInt8])] = [(11, paths[Int(arg >> 2) % 3])]
            // Block2 (option 23), block number from the argument, 64-byte blocks.
            if arg & 0x02 != 0 { options.append((23, [UInt8((arg >> 4) << 4 | 0x02)])) }
            network.post(
                coap(confirmable: arg & 0x01 != 0, code: 0x01, mid: mid, token: [0x6E, arg], options: options, payload: []),
                from: fuzzPeer(peer))
        }
    }
    // Whatever is still queued is taken by further ticks.
    var drain = 0
    while network.next < network.inbound.count && drain < 1_000 {
        drain += 1
        tickAndCheck(advanceMs: 10)
    }
    tickAndCheck(advanceMs: 200, final: true)
    return 0
}
