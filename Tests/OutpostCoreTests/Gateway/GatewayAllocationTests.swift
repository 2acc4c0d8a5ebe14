import CMallocCounter
import OutpostCore
import OutpostProfiles
import XCTest

/// The whole tick allocates nothing in its steady state, in each scenario of `GatewayTickTests`:
/// acknowledged CON readings with a commit per tick, commits that fail (no space) and their
/// retransmissions, and appends the log refuses (the exchanges forgotten). Every malloc of the
/// process is counted while the gateway ticks; the schedule of datagrams is built beforehand.
final class GatewayAllocationTests: XCTestCase {
    /// Builds `ticks` ticks of `perTick` CON readings from 8 peers; with `retransmit`, each tick
    /// also carries the previous tick's datagrams again (answered from the duplicate cache, or
    /// processed afresh when forgotten). Returns the index in the inbound list each tick ends at.
    func schedule(_ h: GatewayHarness, ticks: Int, perTick: Int, retransmit: Bool) -> [Int] {
        var ends: [Int] = []
        h.network.inbound.reserveCapacity(ticks * perTick * 2)
        var previous: [([UInt8], Endpoint)] = []
        var mid: UInt16 = 1
        for _ in 0..<ticks {
            var current: [([UInt8], Endpoint)] = []
            for j in 0..<perTick {
                let peer = GatewayHarness.peer(1 + j % 8)
                current.append((GatewayHarness.reading(Int(mid % 500), mid: mid), peer))
                mid &+= 1
            }
            if retransmit { for (bytes, peer) in previous { h.network.post(bytes, from: peer) } }
            for (bytes, peer) in current { h.network.post(bytes, from: peer) }
            previous = current
            ends.append(h.network.inbound.count)
        }
        return ends
    }

    /// Runs the schedule, counting mallocs after `warmUp` ticks; `fault(tick)` sets the disk's
    /// condition before each tick. Returns the allocations counted.
    func run(_ h: GatewayHarness, ends: [Int], warmUp: Int, fault: (Int) -> Bool) -> UInt64 {
        h.network.recordSent = false
        h.disk.recording = false
        var counting = false
        // An index loop: iterating `enumerated()` allocates per step in a debug build.
        for tick in 0..<ends.count {
            let end = ends[tick]
            if tick == warmUp {
                malloc_counter_start()
                counting = true
            }
            h.disk.noSpace = fault(tick)
            h.network.deliverUpTo = end
            h.tick()
        }
        return counting ? malloc_counter_stop() : 0
    }

    func testAcknowledgedReadingsAllocateNothing() throws {
        let h = try GatewayHarness(durability: .sync, pageBytes: 512)
        let ends = schedule(h, ticks: 3_000, perTick: 4, retransmit: false)
        let allocations = run(h, ends: ends, warmUp: 200, fault: { _ in false })
        XCTAssertEqual(allocations, 0)
        XCTAssertGreaterThan(h.network.sentCount, 11_000, "the readings were answered")
        XCTAssertGreaterThan(h.gateway.store.store!.counters.syncs, 2_000)
    }

    func testFailedCommitsAndRetransmissionsAllocateNothing() throws {
        let h = try GatewayHarness(durability: .sync, pageBytes: 2048)
        let ends = schedule(h, ticks: 2_000, perTick: 3, retransmit: true)
        // Every third tick the disk has no space: its commit fails and its answers are withheld.
        let allocations = run(h, ends: ends, warmUp: 200, fault: { $0 % 3 == 1 })
        XCTAssertEqual(allocations, 0)
        XCTAssertGreaterThan(h.gateway.counters.withheldResponses, 1_000, "commits failed and withheld answers")
        XCTAssertGreaterThan(h.gateway.server.counters.duplicatesAnswered, 1_000, "retransmissions answered")
    }

    func testRefusedAppendsAndForgottenExchangesAllocateNothing() throws {
        // A small page: appends write mid-tick, so a tick without space refuses some of them.
        let h = try GatewayHarness(durability: .sync, pageBytes: 512)
        let ends = schedule(h, ticks: 2_000, perTick: 12, retransmit: true)
        let allocations = run(h, ends: ends, warmUp: 200, fault: { $0 % 4 == 1 })
        XCTAssertEqual(allocations, 0)
        XCTAssertGreaterThan(h.gateway.store.refusedAppends, 100, "appends were refused")
        XCTAssertGreaterThan(h.gateway.core.exchangesForgotten, 100, "exchanges were forgotten")
    }
}
