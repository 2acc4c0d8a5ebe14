import OutpostCore
import OutpostProfiles

/// The in-memory network of the gateway tests: datagrams waiting for the gateway, and what it
/// sent, each stamped with how far the disk had got (its event count and sync count) at that
/// moment, so a test can rebuild the disk as it was when an acknowledgement left.
final class MemoryNetwork {
    struct Sent {
        var bytes: [UInt8]
        var peer: Endpoint
        /// `SimDisk.events.count` and `syncCount` when the datagram left.
        var diskEvents: Int
        var diskSyncs: Int
    }

    var inbound: [(bytes: [UInt8], peer: Endpoint)] = []
    var nextInbound = 0
    /// Datagrams at and after this index are not delivered yet (a schedule built in advance).
    var deliverUpTo = Int.max
    var sent: [Sent] = []
    /// When false, only `sentCount` moves (the allocation tests: nothing is copied out).
    var recordSent = true
    var sentCount = 0
    let disk: SimDisk

    init(disk: SimDisk) { self.disk = disk }

    func post(_ datagram: [UInt8], from peer: Endpoint) { inbound.append((datagram, peer)) }

    var waiting: Int { min(inbound.count, deliverUpTo) - nextInbound }
}

/// The gateway's transport over `MemoryNetwork`: one channel (IPv4), received datagrams copied
/// into carved buffers as the UDP transport's kernel copy would.
struct MemoryTransport: DatagramTransport {
    let network: MemoryNetwork
    let buffers: UnsafeMutableRawBufferPointer
    let lengths: UnsafeMutableBufferPointer<Int>
    let peers: UnsafeMutableBufferPointer<Endpoint>
    let slotBytes: Int

    init(network: MemoryNetwork, batch: Int, datagramBytes: Int) {
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
    func isReadable(channel: Int) -> Bool { network.waiting > 0 }

    mutating func receive(channel: Int) -> Int {
        var n = 0
        while n < lengths.count && network.waiting > 0 {
            let datagram = network.inbound[network.nextInbound]
            network.nextInbound += 1
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
            network.sentCount += 1
            queue.counters.sent &+= 1
            if network.recordSent {
                network.sent.append(
                    MemoryNetwork.Sent(
                        bytes: Array(datagram.bytes), peer: datagram.peer, diskEvents: network.disk.events.count,
                        diskSyncs: network.disk.syncCount))
            }
        }
    }
}

/// No upstream: the uplink's link that never receives and cannot send.
struct NoLink: DatagramSink, DatagramReceiver {
    var hasRoom: Bool { false }
    mutating func send(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) {}
    var channelCount: Int { 1 }
    var receiveCapacity: Int { 0 }
    func channelKind(_ channel: Int) -> UInt8 { Endpoint.kindIPv4 }
    func isReadable(channel: Int) -> Bool { false }
    mutating func receive(channel: Int) -> Int { 0 }
    func received(_ index: Int) -> GatewayDatagram { preconditionFailure("nothing received") }
}

/// A clock the test moves.
struct FakeClock: GatewayClock {
    var nowMs: Int64
    var ns: Int64 = 0
    mutating func wallMs() -> Int64 { nowMs }
    mutating func monotonicNs() -> Int64 {
        ns += 1_000
        return ns
    }
}

/// A whole gateway over memory: the test profile's server, a log on a `SimDisk`, the in-memory
/// transport, no upstream, no attachment.
final class GatewayHarness {
    typealias TestGateway = Gateway<ProfileTest, PowerCutDevice, MemoryTransport, NoLink, NoAttachment>
    static let geometry = LogGeometry(segmentSizeBytes: 4096, segmentCount: 8)!
    static let startMs: Int64 = 1_767_225_600_000

    let disk: SimDisk
    let network: MemoryNetwork
    let memory: UnsafeMutableRawPointer
    let memoryBytes: Int
    var gateway: TestGateway
    var clock = FakeClock(nowMs: GatewayHarness.startMs)

    init(durability: Durability = .sync, pageBytes: Int = 512, policy: LogFullPolicy = .dropOldest) throws {
        disk = SimDisk(sizeBytes: Int(GatewayHarness.geometry.fileSizeBytes))
        network = MemoryNetwork(disk: disk)
        memoryBytes = Server<ProfileTest>.arenaBytes(after: 0)
            + LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: GatewayHarness.geometry, pageBytes: pageBytes) + 256 * 1024
        memory = UnsafeMutableRawPointer.allocate(byteCount: memoryBytes, alignment: 64)
        var arena = Arena(base: memory, sizeBytes: memoryBytes)
        let server = Server<ProfileTest>(
            arena: &arena, identity: ServerIdentity(nodeId: SensorName("node-1"), profile: ProfileTest.name, startMs: GatewayHarness.startMs))
        var store = GatewayStore<PowerCutDevice, NoLink>(link: NoLink())
        store.enabled = true
        store.durability = durability
        store.policy = policy
        store.reserveRecords = ProfileTest.packReadingCapacity * GatewayStore<PowerCutDevice, NoLink>.recordsPerReading
            + ProfileTest.packQuantityCapacity
        let log = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: GatewayHarness.geometry, pageBytes: pageBytes, policy: policy,
            formatIfBlank: true, syncMode: durability == .none ? .never : .ordered)
        store.attach(log, nowMs: GatewayHarness.startMs)
        let transport = MemoryTransport(network: network, batch: ProfileTest.batchSize, datagramBytes: ProfileTest.maxDatagramBytes)
        gateway = TestGateway(server: server, store: store, transport: transport, attachment: NoAttachment(), sendLimit: 512, arena: &arena)
        disk.startRecording()
    }

    deinit {
        gateway.transport.deallocate()
        memory.deallocate()
    }

    /// One tick, `advanceMs` after the last.
    @discardableResult
    func tick(advanceMs: Int64 = 10) -> Int {
        clock.nowMs += advanceMs
        return gateway.tick(clock: &clock)
    }

    /// Peer `n`.
    static func peer(_ n: Int) -> Endpoint { ServerHarness<ProfileTest>.peer(n) }

    /// A CON `POST /readings` of `sensor-1` at 20 °C plus `k` hundredths of a degree, as message
    /// `mid`: the value identifies the exchange in the log (`loggedValues` gives `k` back).
    static func reading(_ k: Int, mid: UInt16) -> [UInt8] {
        let celsius = Double(2000 + k) / 100
        return Request.post("[{\"bn\":\"sensor-1/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":\(celsius)}]", mid: mid, token: [UInt8(truncatingIfNeeded: mid)])
    }

    /// The temperature values (hundredths) of every reading in a log recovered from `image`.
    static func loggedValues(_ image: [UInt8]) throws -> [Int] {
        let disk = SimDisk(bytes: image)
        let buffer = LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512) + 4096)
        var arena = buffer.arena()
        var store = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .dropOldest, formatIfBlank: true)
        var values: [Int] = []
        for record in try readAll(&store) where record.type == .reading {
            let payload = record.withPayload { LogReadingPayload(decoding: $0, timestampMs: record.timestampMs) }
            if let t = payload?.reading.features[.temperature] { values.append(Int(t) / 10 - 2000) }  // milli-degrees
        }
        return values
    }

    /// The disk as a power cut right now would leave it if nothing since the last sync survived.
    static func syncedImage(_ disk: SimDisk, events count: Int) -> [UInt8] {
        var image = disk.baseImage
        var lastSync = -1
        for i in 0..<count { if case .sync = disk.events[i] { lastSync = i } }
        for i in 0..<max(0, lastSync) {
            guard case .write(let offset, let data, _, _) = disk.events[i] else { continue }
            for j in 0..<data.count { image[offset + j] = data[j] }
        }
        return image
    }
}
