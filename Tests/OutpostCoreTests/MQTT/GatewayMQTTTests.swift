import OutpostCore
import OutpostProfiles
import XCTest

/// An attachment that is the MQTT upstream: the client over the in-process broker, run in the
/// gateway's upstream turn through `GatewayStore.tickMQTT`, as the daemon's `DaemonMQTT` does.
struct MQTTTestAttachment: GatewayAttachment {
    var client: MQTTClient
    var link: FixedBrokerLink
    var commands = MQTTCommandCounter()
    /// Every turn checks that nothing published lies beyond what the log made durable.
    var turns = 0
    var publishedBeyondDurable = 0

    mutating func receive<Handler: GatewayRequestHandler>(nowMs: Int64, handler: inout Handler) -> Int { 0 }
    mutating func deliver(_ bytes: UnsafeRawBufferPointer, to peer: Endpoint) -> Bool { false }
    mutating func endOfTick(committed: Bool) -> Int { 0 }
    mutating func afterTick(nowMs: Int64) {}
    func wakeDeadlineMs(nowMs: Int64) -> Int64? { client.wakeDeadlineMs(nowMs: nowMs) }

    mutating func upstreamTurn<D: LogDevice, L: DatagramSink & DatagramReceiver>(nowMs: Int64, store: inout GatewayStore<D, L>) {
        turns += 1
        store.tickMQTT(&client, link: &link, commands: &commands, nowMs: nowMs)
        if let log = store.store, client.cursor > log.durableSequence { publishedBeyondDurable += 1 }
    }
}

/// The MQTT upstream as a seam of the core tick: readings posted over CoAP reach the broker in
/// log order, only once durable; the cursor moves on PUBACK and is persisted by the log's commit;
/// a connection cut mid-stream is followed by DUP re-sends and nothing is skipped.
final class GatewayMQTTTests: XCTestCase {
    typealias MQTTGateway = Gateway<ProfileTest, PowerCutDevice, MemoryTransport, NoLink, MQTTTestAttachment>

    func testReadingsReachTheBrokerAndTheCursorIsPersistedByTheCommit() throws {
        let geometry = GatewayHarness.geometry
        let disk = SimDisk(sizeBytes: Int(geometry.fileSizeBytes))
        let network = MemoryNetwork(disk: disk)
        let prefix: StaticString = "outpost"
        let id: StaticString = "node-1"
        let settings = MQTTSettings(
            nodeId: SensorName("node-1"), clientID: UnsafeRawBufferPointer(start: id.utf8Start, count: id.utf8CodeUnitCount),
            prefix: UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        let bytes = Server<ProfileTest>.arenaBytes(after: 0) + LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512)
            + MQTTClient.arenaBytes(after: 0, settings: settings) + 256 * 1024
        let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { memory.deallocate() }
        let linkMemory = UnsafeMutableRawBufferPointer.allocate(byteCount: 262_144, alignment: 16)
        defer { linkMemory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: bytes)
        let server = Server<ProfileTest>(
            arena: &arena, identity: ServerIdentity(nodeId: SensorName("node-1"), profile: ProfileTest.name, startMs: GatewayHarness.startMs))
        var store = GatewayStore<PowerCutDevice, NoLink>(link: NoLink())
        store.enabled = true
        store.durability = .sync
        store.reserveRecords = ProfileTest.packReadingCapacity * GatewayStore<PowerCutDevice, NoLink>.recordsPerReading
        let log = try LogStore(
            device: PowerCutDevice(disk), arena: &arena, geometry: geometry, pageBytes: 512, policy: .dropOldest, formatIfBlank: true,
            syncMode: .ordered)
        store.attach(log, nowMs: GatewayHarness.startMs)
        let client = MQTTClient(arena: &arena, settings: settings, cursor: log.cursor, nowMs: GatewayHarness.startMs)
        var link = FixedBrokerLink(memory: linkMemory)
        link.cutAt = 20
        let transport = MemoryTransport(network: network, batch: ProfileTest.batchSize, datagramBytes: ProfileTest.maxDatagramBytes)
        defer { transport.deallocate() }
        var gateway = MQTTGateway(
            server: server, store: store, transport: transport, attachment: MQTTTestAttachment(client: client, link: link), sendLimit: 512,
            arena: &arena)
        var clock = FakeClock(nowMs: GatewayHarness.startMs)

        let readings = 60
        for k in 0..<readings {
            network.post(GatewayHarness.reading(k, mid: UInt16(k + 1)), from: GatewayHarness.peer(1))
            clock.nowMs += 10
            gateway.tick(clock: &clock)
        }
        // Drain: the cut's reconnect comes within the probe interval (1-2 s).
        for _ in 0..<400 where gateway.attachment.client.cursor < UInt64(readings) {
            clock.nowMs += 20
            gateway.tick(clock: &clock)
        }
        clock.nowMs += 20
        gateway.tick(clock: &clock)  // the commit after the last PUBACK persists the cursor

        let a = gateway.attachment
        XCTAssertEqual(a.client.cursor, UInt64(readings), "every reading acknowledged by the broker")
        XCTAssertEqual(a.publishedBeyondDurable, 0, "the cursor never passed the durable records")
        XCTAssertGreaterThan(a.link.dupPublishes, 0, "the cut made the client re-send with DUP")
        XCTAssertGreaterThanOrEqual(a.link.publishes, readings)
        XCTAssertEqual(gateway.store.store!.cursor, UInt64(readings), "the log's cursor follows the PUBACKs")

        // The cursor is in the log on disk: a recovery of what was written finds it.
        let reopened = SimDisk(bytes: disk.bytes)
        let buffer = LogArenaBuffer(sizeBytes: LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: geometry, pageBytes: 512) + 4096)
        var reopenArena = buffer.arena()
        let recovered = try LogStore(
            device: PowerCutDevice(reopened), arena: &reopenArena, geometry: geometry, pageBytes: 512, policy: .dropOldest,
            formatIfBlank: false)
        XCTAssertEqual(recovered.cursor, UInt64(readings), "the persisted forward cursor")
    }
}
