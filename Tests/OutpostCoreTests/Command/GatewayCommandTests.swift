import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest

/// Commands through the whole gateway with a log: their records, recovery after a restart (a
/// command committed before the crash is pending again, a delivered or expired one is not), and
/// a steady state of commands queued and delivered that allocates nothing.
final class GatewayCommandTests: XCTestCase {
    static let valve = SensorName("valve")

    func enqueue(_ h: GatewayHarness, _ text: String) -> SensorCommandEnqueueResult {
        Array(text.utf8).withUnsafeBytes {
            h.gateway.server.enqueueCommand(sensor: GatewayCommandTests.valve, payload: $0, contentFormat: 0, origin: .http, nowMs: h.clock.nowMs)
        }
    }

    static func confirm(_ id: UInt32, mid: UInt16) -> [UInt8] {
        Request.make(.confirmable, .post, mid: mid, token: [UInt8(truncatingIfNeeded: mid)], path: "commands/valve", payload: Array(String(id).utf8))
    }

    /// A fresh server restored from the disk image `image`, as the daemon does at start-up.
    final class Restarted {
        let buffer: LogArenaBuffer
        var server: Server<ProfileTest>
        var records: [LogRecord] = []

        init(_ image: [UInt8]) throws {
            buffer = LogArenaBuffer(
                sizeBytes: Server<ProfileTest>.arenaBytes(after: 0)
                    + LogStore<PowerCutDevice>.arenaBytes(after: 0, geometry: GatewayHarness.geometry, pageBytes: 512) + 8192)
            var arena = buffer.arena()
            server = Server<ProfileTest>(
                arena: &arena, identity: ServerIdentity(nodeId: SensorName("node-1"), profile: ProfileTest.name, startMs: GatewayHarness.startMs))
            var log = try LogStore(
                device: PowerCutDevice(SimDisk(bytes: image)), arena: &arena, geometry: GatewayHarness.geometry, pageBytes: 512,
                policy: .dropOldest, formatIfBlank: false)
            records = try readAll(&log)
            var store = GatewayStore<PowerCutDevice, NoLink>(link: NoLink())
            store.enabled = true
            store.attach(log, nowMs: GatewayHarness.startMs + 100_000)
            XCTAssertTrue(store.restore(into: &server, nowMs: GatewayHarness.startMs + 100_000))
        }
    }

    func testRecordsAndRecoveryAcrossARestart() throws {
        let h = try GatewayHarness(durability: .sync)
        h.network.post(GatewayHarness.reading(1, mid: 1), from: GatewayHarness.peer(1))
        h.network.post(Request.post(Request.temperature("valve", 20), mid: 2), from: GatewayHarness.peer(2))
        h.tick()
        XCTAssertEqual(enqueue(h, "open").id, 1)
        XCTAssertEqual(enqueue(h, "close").id, 2)
        XCTAssertEqual(enqueue(h, "vent").id, 3)
        XCTAssertFalse(h.gateway.server.commands.command(at: h.gateway.server.commands.oldest(sensorIndex: 1)!).logged)
        XCTAssertTrue(h.gateway.core.commitCommands(nowMs: h.clock.nowMs), "the HTTP path commits at once")
        XCTAssertEqual(h.gateway.store.store!.durableSequence, h.gateway.store.store!.lastWrittenSequence)
        // Delivered by a POST of its id, then expired: both recorded.
        h.network.post(GatewayCommandTests.confirm(1, mid: 3), from: GatewayHarness.peer(2))
        h.tick()
        XCTAssertEqual(h.network.sent.last.map { Reply($0.bytes).code }, .changed)
        let slot = h.gateway.server.commands.slot(id: 2)!
        XCTAssertTrue(h.gateway.server.commands.finish(slot: slot, kind: .expired, via: .none, nowMs: h.clock.nowMs))
        h.tick()

        let restarted = try Restarted(h.disk.bytes)
        let types = restarted.records.map { $0.type }.filter { $0.isCommand }
        XCTAssertEqual(types, [.command, .command, .command, .commandDelivered, .commandExpired])
        for type in types {
            for mode in [UplinkForwardMode.raw, .summaries, .alerts] {
                XCTAssertFalse(mode.forwards(type), "command records never go upstream")
            }
        }
        let accepted = try XCTUnwrap(restarted.records.first { $0.type == .command }?.command)
        XCTAssertEqual(accepted.id, 1)
        XCTAssertEqual(accepted.origin, .http)
        XCTAssertEqual(accepted.bytesCount, 4)
        var server = restarted.server
        XCTAssertEqual(server.commands.count, 1, "only the command still pending comes back")
        let pending = try XCTUnwrap(server.commands.oldest(sensorIndex: server.pipeline.sensors.find(GatewayCommandTests.valve)!))
        XCTAssertEqual(server.commands.command(at: pending).id, 3)
        XCTAssertEqual(Array(server.commands.payload(at: pending)), Array("vent".utf8))
        XCTAssertTrue(server.commands.command(at: pending).logged)
        let next = Array("x".utf8).withUnsafeBytes {
            server.enqueueCommand(sensor: GatewayCommandTests.valve, payload: $0, contentFormat: 0, origin: .mqtt, nowMs: 0)
        }
        XCTAssertEqual(next.id, 4, "ids continue after the log's")
    }

    func testACommandNotCommittedIsNotRecovered() throws {
        let h = try GatewayHarness(durability: .sync)
        h.network.post(Request.post(Request.temperature("valve", 20), mid: 2), from: GatewayHarness.peer(2))
        h.tick()
        let synced = h.disk.syncCount
        XCTAssertEqual(enqueue(h, "open").outcome, .accepted)
        // A crash before the commit: the disk as the last sync left it.
        XCTAssertEqual(h.disk.syncCount, synced)
        let restarted = try Restarted(GatewayHarness.syncedImage(h.disk, events: h.disk.events.count))
        XCTAssertEqual(restarted.server.commands.count, 0)
    }

    func testCommandsQueuedAndDeliveredAllocateNothing() throws {
        let h = try GatewayHarness(durability: .sync)
        h.network.post(Request.post(Request.temperature("valve", 20), mid: 1), from: GatewayHarness.peer(2))
        h.tick()
        let ticks = 1_500
        h.network.inbound.reserveCapacity(ticks * 2 + 8)
        var ends: [Int] = []
        for i in 0..<ticks {
            // Command i + 1 is queued before tick i and confirmed in it (after the tick's first
            // admission logged it), with a reading alongside.
            h.network.post(GatewayHarness.reading(i % 400, mid: UInt16(truncatingIfNeeded: 10 + 2 * i)), from: GatewayHarness.peer(1))
            h.network.post(GatewayCommandTests.confirm(UInt32(i + 1), mid: UInt16(truncatingIfNeeded: 11 + 2 * i)), from: GatewayHarness.peer(2))
            ends.append(h.network.inbound.count)
        }
        h.network.recordSent = false
        h.disk.recording = false
        let payload = UnsafeMutableRawBufferPointer.allocate(byteCount: 4, alignment: 1)
        defer { payload.deallocate() }
        payload.copyBytes(from: Array("open".utf8))
        var counting = false
        for tick in 0..<ticks {
            if tick == 200 {
                malloc_counter_start()
                counting = true
            }
            let result = h.gateway.server.enqueueCommand(
                sensor: GatewayCommandTests.valve, payload: UnsafeRawBufferPointer(payload), contentFormat: 0, origin: .mqtt, nowMs: h.clock.nowMs)
            precondition(result.outcome == .accepted)
            h.network.deliverUpTo = ends[tick]
            h.tick()
        }
        let allocations = counting ? malloc_counter_stop() : 0
        XCTAssertEqual(allocations, 0)
        XCTAssertEqual(h.gateway.server.commands.counters.delivered, UInt64(ticks))
        XCTAssertEqual(h.gateway.server.commands.count, 0)
        XCTAssertEqual(h.gateway.server.commands.eventsLogged, h.gateway.server.commands.eventsTotal)
    }
}
