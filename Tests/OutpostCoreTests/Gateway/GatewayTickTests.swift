import OutpostCore
import OutpostProfiles
import XCTest

/// The whole tick over memory (`GatewayHarness`): a transport, a fake clock and the power-cut
/// device. The promise under test: an acknowledgement leaves only after the sync that covers its
/// reading, and every acknowledged reading is in the log exactly once, whatever the disk does.
final class GatewayTickTests: XCTestCase {
    /// Every 2.04 sent, with the value its message carried.
    func acknowledgements(_ h: GatewayHarness, values: [UInt16: Int]) -> [(sent: MemoryNetwork.Sent, value: Int)] {
        h.network.sent.compactMap { sent in
            let reply = Reply(sent.bytes)
            guard reply.code == .changed, let value = values[reply.messageID] else { return nil }
            return (sent, value)
        }
    }

    /// Messages of 1 to 4 CON readings per tick; returns message ID → value.
    func stream(_ h: GatewayHarness, ticks: Int, firstMID: UInt16 = 100) -> [UInt16: Int] {
        var values: [UInt16: Int] = [:]
        var mid = firstMID
        for tick in 0..<ticks {
            for j in 0..<(1 + tick % 4) {
                values[mid] = Int(mid)
                h.network.post(GatewayHarness.reading(Int(mid), mid: mid), from: GatewayHarness.peer(1 + j))
                mid += 1
            }
            h.tick()
        }
        return values
    }

    /// For each 2.04: rebuilds the disk as a power cut at that moment would leave it when nothing
    /// unsynced survives, recovers it, and counts the acknowledged value there.
    func acknowledgedBeforeTheirSync(_ h: GatewayHarness, values: [UInt16: Int]) throws -> [Int] {
        var early: [Int] = []
        for (sent, value) in acknowledgements(h, values: values) {
            let logged = try GatewayHarness.loggedValues(GatewayHarness.syncedImage(h.disk, events: sent.diskEvents))
            if logged.filter({ $0 == value }).count != 1 { early.append(value) }
        }
        return early
    }

    func testNoAcknowledgementLeavesBeforeTheSyncThatCoversItsReading() throws {
        let h = try GatewayHarness(durability: .sync)
        let values = stream(h, ticks: 12)
        XCTAssertEqual(acknowledgements(h, values: values).count, values.count, "every reading acknowledged")
        XCTAssertEqual(try acknowledgedBeforeTheirSync(h, values: values), [])
        // One sync per tick (and per segment roll), not one per reading.
        XCTAssertLessThan(h.disk.syncCount, values.count)
    }

    /// The check above has teeth: without syncs (`none`), acknowledgements leave before any sync.
    func testTheSyncCheckFindsAcknowledgementsWithoutSyncs() throws {
        let h = try GatewayHarness(durability: .none)
        let values = stream(h, ticks: 4)
        XCTAssertEqual(acknowledgements(h, values: values).count, values.count)
        XCTAssertEqual(try acknowledgedBeforeTheirSync(h, values: values).count, values.count)
    }

    func testAFailedCommitWithholdsTheTickAndTheRetransmissionIsAnsweredOnceACommitSucceeds() throws {
        // A page as large as a tick's records: nothing is written before the commit.
        let h = try GatewayHarness(durability: .sync, pageBytes: 2048)
        h.network.post(GatewayHarness.reading(1, mid: 1), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertEqual(acknowledgements(h, values: [1: 1]).count, 1)

        // The commit meets a full disk: the 2.04 is withheld, the GET's 2.05 still leaves.
        h.disk.noSpace = true
        h.network.post(GatewayHarness.reading(2, mid: 2), from: GatewayHarness.peer(1))
        h.network.post(Request.make(.confirmable, .get, mid: 3, path: "health"), from: GatewayHarness.peer(2))
        h.tick()
        let replies = h.network.sent.map { Reply($0.bytes) }
        XCTAssertFalse(replies.contains { $0.messageID == 2 }, "no answer to a reading whose commit failed")
        XCTAssertTrue(replies.contains { $0.messageID == 3 && $0.code == .content }, "a GET acknowledges nothing: answered")
        XCTAssertEqual(h.gateway.counters.withheldResponses, 1)
        XCTAssertEqual(h.gateway.store.withheldTicks, 1)

        // Still full: the retransmission is withheld again.
        h.network.post(GatewayHarness.reading(2, mid: 2), from: GatewayHarness.peer(1))
        h.tick()
        XCTAssertFalse(h.network.sent.map { Reply($0.bytes) }.contains { $0.messageID == 2 })

        // Space again: the next retransmission is answered, after the commit that wrote it.
        h.disk.noSpace = false
        h.network.post(GatewayHarness.reading(2, mid: 2), from: GatewayHarness.peer(1))
        h.tick()
        let acks = acknowledgements(h, values: [1: 1, 2: 2])
        XCTAssertEqual(acks.map(\.value), [1, 2])
        XCTAssertEqual(try acknowledgedBeforeTheirSync(h, values: [1: 1, 2: 2]), [])
        XCTAssertEqual(try GatewayHarness.loggedValues(h.disk.bytes).sorted(), [1, 2], "each reading stored once")
    }

    /// A request whose reading the log refused (the page could not be written: no space) was
    /// answered 2.04 by the server; the tick withholds it, and the server must forget it so its
    /// retransmission is processed afresh instead of being answered 2.04 from the duplicate cache
    /// without the reading ever being stored.
    func testARequestWhoseReadingTheLogRefusedIsProcessedAfreshWhenRetransmitted() throws {
        let h = try GatewayHarness(durability: .sync, pageBytes: 512)
        h.disk.noSpace = true
        // More readings than the 512-byte page holds: an append in the middle of the tick has to
        // write the page out and is refused; the requests after it are refused 5.03 (no room).
        var pending: [UInt16: Int] = [:]
        for k in 1...24 {
            pending[UInt16(k)] = k
            h.network.post(GatewayHarness.reading(k, mid: UInt16(k)), from: GatewayHarness.peer(1))
        }
        h.tick()
        XCTAssertGreaterThan(h.gateway.store.refusedAppends, 0, "the scenario needs a refused append")
        XCTAssertGreaterThan(h.gateway.core.exchangesForgotten, 0)
        XCTAssertEqual(acknowledgements(h, values: pending).count, 0, "nothing of the tick acknowledged")
        h.disk.noSpace = false

        // The sensors: no answer → the same message again; 5.03 → the reading again, new message.
        var values = pending
        var nextMID: UInt16 = 1000
        var seen = h.network.sent.count
        for _ in 0..<20 {
            var answered: Set<Int> = []
            for sent in h.network.sent[seen...] {
                let reply = Reply(sent.bytes)
                guard let value = values[reply.messageID] else { continue }
                answered.insert(value)
                if reply.code == .serviceUnavailable {
                    pending[reply.messageID] = nil
                    values[nextMID] = value
                    pending[nextMID] = value
                    nextMID += 1
                } else {
                    XCTAssertEqual(reply.code, .changed)
                    pending[reply.messageID] = nil
                }
            }
            seen = h.network.sent.count
            if pending.isEmpty { break }
            for (mid, value) in pending.sorted(by: { $0.key < $1.key }) {
                h.network.post(GatewayHarness.reading(value, mid: mid), from: GatewayHarness.peer(1))
            }
            h.tick()
        }
        XCTAssertTrue(pending.isEmpty, "every reading acknowledged in the end")
        let acknowledged = Set(acknowledgements(h, values: values).map(\.value))
        XCTAssertEqual(acknowledged, Set(1...24))
        let logged = try GatewayHarness.loggedValues(h.disk.bytes)
        for value in 1...24 {
            XCTAssertEqual(logged.filter { $0 == value }.count, 1, "reading \(value) acknowledged but stored \(logged.filter { $0 == value }.count) times")
        }
        XCTAssertEqual(try acknowledgedBeforeTheirSync(h, values: values), [])
    }

    /// Power cut at every write of a stream of CON exchanges (nothing unsynced survives, all of it,
    /// or a seeded mix), then recovery: every reading acknowledged before the cut is there once.
    func testPowerCutAtEveryWriteKeepsEveryAcknowledgedReadingExactlyOnce() throws {
        let h = try GatewayHarness(durability: .sync, pageBytes: 512)
        let values = stream(h, ticks: 16)
        let acks = acknowledgements(h, values: values)
        XCTAssertEqual(acks.count, values.count)
        let writes = h.disk.writeEventIndices
        XCTAssertGreaterThan(writes.count, 10)
        var checked = 0
        for (n, event) in writes.enumerated() {
            guard case .write(_, let data, _, _) = h.disk.events[event] else { continue }
            for survival in SimDisk.Survival.allCases {
                let (image, _, _) = h.disk.imageAfterCut(event: event, bytes: data.count / 2, survival: survival, seed: UInt64(n))
                let logged = try GatewayHarness.loggedValues(image)
                for (sent, value) in acks where sent.diskEvents <= event {
                    XCTAssertEqual(
                        logged.filter { $0 == value }.count, 1,
                        "cut at write \(n) (\(survival)): acknowledged reading \(value) stored \(logged.filter { $0 == value }.count) times")
                    checked += 1
                }
                XCTAssertEqual(logged.count, Set(logged).count, "cut at write \(n) (\(survival)): a reading stored twice")
            }
        }
        XCTAssertGreaterThan(checked, values.count, "cuts after acknowledgements were checked")
    }
}
