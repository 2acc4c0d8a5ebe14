import Foundation
import OutpostCore
import XCTest

/// `--mqtt-batch`: runs of records of one topic as one SenML pack in one QoS 1 PUBLISH, the cursor
/// moved only by the run's PUBACK, the same run re-sent with DUP after a reconnect, alerts alone.
/// (An extension: it shares the client tests' memory link and helpers.)
extension MQTTClientTests {
    func packs(_ packets: [SentPacket]) -> [[[String: Any]]] {
        packets.map { try! JSONSerialization.jsonObject(with: Data($0.payload)) as! [[String: Any]] }
    }

    func seqs(_ pack: [[String: Any]]) -> [Int] { pack.map { $0["seq"] as! Int } }

    func testBatchRunsOfNRecordsInOnePublishAndTheCursorMovesAtTheirPuback() {
        var client = makeClient {
            $0.window = 2
            $0.batchRecords = 4
        }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        source.uplinkLogID = 9
        for i in 0..<10 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1000)) }
        let early = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        let sent = (early + takeSent(link)).filter { $0.topic == "outpost/gw1/readings" }
        XCTAssertEqual(sent.count, 2, "two window slots: two runs in flight")
        let p = packs(sent)
        XCTAssertEqual(p.map(seqs), [[1, 2, 3, 4], [5, 6, 7, 8]])
        XCTAssertEqual(p[0][0]["bn"] as? String, "gw1/", "the pack names the node once, for every record")
        XCTAssertEqual(p[0][0]["lid"] as? Int, 9)
        XCTAssertNil(client.takeCursorUpdate(), "nothing acknowledged yet")
        // The second run's PUBACK alone moves nothing: the first is still open.
        link.toRead += puback(sent[1].packetID)
        client.tick(nowMs: 20, source: &source, link: &l, commands: &sink)
        XCTAssertNil(client.takeCursorUpdate())
        link.toRead += puback(sent[0].packetID)
        client.tick(nowMs: 30, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 8)
        let last = takeSent(link).filter { $0.topic == "outpost/gw1/readings" }
        XCTAssertEqual(packs(last).map(seqs), [[9, 10]], "the rest: a shorter run")
        link.toRead += puback(last[0].packetID)
        client.tick(nowMs: 40, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 10)
        XCTAssertEqual(client.counters.acked, 3)
        XCTAssertEqual(client.counters.recordsAcked, 10)
        XCTAssertEqual(client.health(nowMs: 40, lastSequence: 10).counters.recordsForwarded, 10)
    }

    func testBatchARunIsResentWholeWithDupAfterAReconnect() {
        var client = makeClient {
            $0.window = 2
            $0.batchRecords = 3
        }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        for i in 0..<6 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1000)) }
        let early = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        let first = (early + takeSent(link)).filter { $0.topic.hasSuffix("/readings") }
        XCTAssertEqual(packs(first).map(seqs), [[1, 2, 3], [4, 5, 6]])
        link.toRead += puback(first[0].packetID)
        client.tick(nowMs: 20, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 3)
        link.closeOnRead = true
        client.tick(nowMs: 30, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.phase, .down)
        let retryAt = client.wakeDeadlineMs(nowMs: 30)!
        link.closeOnRead = false
        _ = takeSent(link)
        client.tick(nowMs: retryAt, source: &source, link: &l, commands: &sink)
        link.toRead += [0x20, 2, 1, 0]
        client.tick(nowMs: retryAt + 1, source: &source, link: &l, commands: &sink)
        let again = takeSent(link).filter { $0.topic.hasSuffix("/readings") }
        XCTAssertEqual(again.count, 1)
        XCTAssertTrue(again[0].dup, "re-sent with DUP")
        XCTAssertEqual(again[0].packetID, first[1].packetID, "with its packet id")
        XCTAssertEqual(again[0].payload, first[1].payload, "the same records, read again from the log")
        XCTAssertNil(client.takeCursorUpdate(), "not before its PUBACK")
        link.toRead += puback(again[0].packetID)
        client.tick(nowMs: retryAt + 2, source: &source, link: &l, commands: &sink)
        XCTAssertEqual(client.takeCursorUpdate(), 6)
        XCTAssertEqual(client.counters.resent, 1)
    }

    func testBatchAlertsTravelAloneAndTopicsNeverMix() {
        var client = makeClient {
            $0.window = 8
            $0.batchRecords = 8
        }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        for i in 0..<3 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i))) }
        source.append(TestRecords.alert())
        for i in 3..<5 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i))) }
        var pending = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        var published: [(String, [Int])] = []
        for step in 0..<6 {
            client.tick(nowMs: 10 + Int64(step), source: &source, link: &l, commands: &sink)
            pending += takeSent(link)
            for p in pending where p.topic.hasSuffix("/readings") || p.topic.hasSuffix("/alerts") {
                let pack = try! JSONSerialization.jsonObject(with: Data(p.payload)) as! [[String: Any]]
                published.append((String(p.topic.split(separator: "/").last!), seqs(pack)))
                link.toRead += puback(p.packetID)
            }
            pending = []
        }
        XCTAssertEqual(published.first?.0, "alerts", "alerts first")
        XCTAssertEqual(published.filter { $0.0 == "alerts" }.map(\.1).count, 1, "the alert once, alone")
        XCTAssertEqual(published.filter { $0.0 == "readings" }.flatMap(\.1), [1, 2, 3, 5, 6], "every reading once, in order")
        XCTAssertEqual(client.cursor, 6)
    }

    func testBatchInfluxRunIsOneLinePerRecord() {
        var client = makeClient {
            $0.batchRecords = 5
            $0.format = .influx
        }
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        for i in 0..<5 { source.append(TestRecords.reading(timestampMs: TestRecords.startMs + Int64(i) * 1000)) }
        let early = connect(&client, link, source: &source, at: 0)
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 10, source: &source, link: &l, commands: &sink)
        let sent = (early + takeSent(link)).filter { $0.topic.hasSuffix("/readings") }
        XCTAssertEqual(sent.count, 1)
        let lines = String(decoding: sent[0].payload, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        XCTAssertTrue(lines.allSatisfy { $0.hasPrefix("outpost,node=gw1,") }, "\(lines)")
        XCTAssertEqual(lines.map { $0.components(separatedBy: "seq=")[1].prefix { $0.isNumber } }, ["1", "2", "3", "4", "5"])
    }
}

/// The host's part of the health message (sensors, open alerts) and its early publication.
extension MQTTClientTests {
    func testHealthCarriesTheHostDetailAndIsPublishedSoonOnAChange() throws {
        var client = makeClient()
        let link = MemoryLinkState()
        var source = UplinkMemorySource(records: records)
        var out = client.healthDetailWriter
        out.text("\"sensor_count\":1,\"sensors\":[\"s1\"],\"sensors_omitted\":0")
        client.setHealthDetail(out, nowMs: 0)
        XCTAssertFalse(client.healthDetailWanted(nowMs: 500), "at most once a second")
        XCTAssertTrue(client.healthDetailWanted(nowMs: 1_000))
        let early = connect(&client, link, source: &source, at: 0)
        let health = try XCTUnwrap(early.first { $0.topic == "outpost/gw1/health" })
        XCTAssertTrue(health.retain)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(health.payload)) as? [String: Any])
        XCTAssertEqual(object["sensors"] as? [String], ["s1"])
        XCTAssertEqual(object["node"] as? String, "gw1")
        // Not due again for 10 s, unless the host saw a change.
        var l = MemoryLink(state: link)
        var sink = KeptCommands()
        client.tick(nowMs: 2_000, source: &source, link: &l, commands: &sink)
        XCTAssertFalse(takeSent(link).contains { $0.topic == "outpost/gw1/health" })
        client.publishHealthSoon(nowMs: 2_000)
        client.tick(nowMs: 2_001, source: &source, link: &l, commands: &sink)
        XCTAssertTrue(takeSent(link).contains { $0.topic == "outpost/gw1/health" })
        // A detail that does not fit is dropped whole: the message stays valid JSON.
        var big = client.healthDetailWriter
        for _ in 0..<1_000 { big.text("\"x\":1234567,") }
        client.setHealthDetail(big, nowMs: 3_000)
        client.publishHealthSoon(nowMs: 3_000)
        client.tick(nowMs: 3_001, source: &source, link: &l, commands: &sink)
        let plain = try XCTUnwrap(takeSent(link).first { $0.topic == "outpost/gw1/health" })
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(plain.payload)) as? [String: Any])
        XCTAssertNil(parsed["sensors"])
    }
}
