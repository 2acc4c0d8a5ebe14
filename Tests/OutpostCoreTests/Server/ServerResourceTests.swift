import Foundation
import OutpostCore
import OutpostProfiles
import XCTest

/// A profile with a small body scratch and many sensors, so `/sensors` must be truncated.
enum ServerTinyBodyProfile: Profile {
    typealias Outbox = Ring<64, OutboxEvent>
    static let name: StaticString = "tiny-body"
    static let sensorSlotCount = 128
    static let batchSize = 8
    static let windows = WindowSet.short
    static var rules: ThresholdRules { ReferenceRules.standard }
    static var modelBytes: UnsafeRawBufferPointer? { nil }
    static let footprintLimitBytes = 4 * 1024 * 1024
    static let arenaBytes = 262_144
    static var logGeometry: LogGeometry { LogGeometry.test }
    static let maxDatagramBytes = 512
    static let packReadingCapacity = 8
    static let responseBodyBytes = 2048
}

/// The resources: shapes in JSON and CBOR, Block2 delivery, truncation, link format, metrics.
final class ServerResourceTests: XCTestCase {
    func object(_ payload: [UInt8]) throws -> [String: Any] {
        try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(payload)) as? [String: Any], String(decoding: payload, as: UTF8.self))
    }

    /// GETs `path` block by block (Block2 with `exponent`) and returns the reassembled body and the replies.
    func fetch<P: Profile>(_ h: ServerHarness<P>, _ path: String, exponent: UInt8? = nil, accept: UInt32? = nil) throws -> ([UInt8], [Reply]) {
        var body: [UInt8] = []
        var replies: [Reply] = []
        var number: UInt32 = 0
        var size: UInt32 = 0
        for mid in 1...200 {
            var options: [(UInt16, [UInt8])] = []
            if let accept { options.append(Request.uint(.accept, accept)) }
            if number > 0 || exponent != nil {
                let szx = exponent.map { UInt32($0) } ?? (size == 0 ? 6 : UInt32(size.trailingZeroBitCount - 4))
                options.append(Request.uint(.block2, number << 4 | szx))
            }
            let reply = try XCTUnwrap(h.exchange(Request.make(mid: UInt16(mid), path: path, options: options)))
            XCTAssertEqual(reply.code, .content)
            replies.append(reply)
            body += reply.payload
            guard let block = reply.uint(.block2) else { return (body, replies) }
            XCTAssertEqual(block >> 4, number)
            size = 16 << (block & 7)
            if block & 8 == 0 { return (body, replies) }
            number += 1
        }
        XCTFail("too many blocks")
        return (body, replies)
    }

    func post<P: Profile>(_ h: ServerHarness<P>, sensors: Int) {
        for i in 0..<sensors {
            let pack = "[{\"bn\":\"sensor-\(i)/\",\"n\":\"temperature\",\"u\":\"Cel\",\"v\":2\(i % 10).25},"
                + "{\"n\":\"humidity\",\"u\":\"%RH\",\"v\":45},{\"n\":\"battery\",\"u\":\"%EL\",\"v\":80.5},"
                + "{\"n\":\"lat\",\"u\":\"lat\",\"v\":46.5197},{\"n\":\"lon\",\"u\":\"lon\",\"v\":6.6323}]"
            XCTAssertEqual(h.exchange(Request.post(pack, mid: UInt16(truncatingIfNeeded: 30_000 + i)), from: ServerHarness<P>.peer(500))?.code, .changed)
            if i % 4 == 3 { h.tick(advanceMs: 10) }
        }
    }

    func testSensorDetailJSONWithValuesWindowsAndAlerts() throws {
        let h = ServerHarness<ProfileTest>()
        post(h, sensors: 2)
        h.tick(advanceMs: 1_000)
        let reply = try XCTUnwrap(h.exchange(Request.make(path: "sensors/sensor-1")))
        XCTAssertEqual(reply.code, .content)
        let (body, _) = try fetch(h, "sensors/sensor-1")
        let sensor = try object(body)
        XCTAssertEqual(sensor["id"] as? String, "sensor-1")
        XCTAssertEqual(sensor["online"] as? Bool, true)
        XCTAssertEqual(sensor["status"] as? String, "normal")
        let values = try XCTUnwrap(sensor["values"] as? [String: Any])
        XCTAssertEqual(values["temperature"] as? Double, 21.25)
        XCTAssertEqual(values["humidity"] as? Double, 45)
        XCTAssertEqual(sensor["battery"] as? Double, 80.5)
        let location = try XCTUnwrap(sensor["location"] as? [String: Any])
        XCTAssertEqual(location["lat"] as? Double ?? 0, 46.5197, accuracy: 1e-7)
        let windows = try XCTUnwrap(sensor["windows"] as? [[String: Any]])
        XCTAssertEqual(windows.count, ProfileTest.windows.count)
        XCTAssertEqual(windows.first?["window_s"] as? Int, 60)
        XCTAssertEqual(windows.first?["readings"] as? Int, 1)
        let features = try XCTUnwrap(windows.first?["features"] as? [String: Any])
        XCTAssertEqual((features["temperature"] as? [String: Any])?["mean"] as? Double, 21.25)
        XCTAssertEqual(sensor["alerts"] as? [String], [])
    }

    func testSensorDetailCBORDecodes() throws {
        let h = ServerHarness<ProfileTest>()
        post(h, sensors: 1)
        let (body, replies) = try fetch(h, "sensors/sensor-0", accept: 60)
        XCTAssertEqual(replies.first?.uint(.contentFormat), 60)
        // Walk the whole item with the core's reader: it must be one well-formed map, nothing after.
        var items = 0
        body.withUnsafeBytes { raw in
            var reader = CBORReader(raw, maxDepth: 8)
            guard let first = try? reader.read() else { return XCTFail("not CBOR") }
            XCTAssertEqual(first, .map(count: nil))
            do { try reader.skip(first) } catch { XCTFail("malformed CBOR: \(error)") }
            XCTAssertTrue(reader.isAtEnd)
            items = 1
        }
        XCTAssertEqual(items, 1)
        XCTAssertTrue(body.count > 100)
    }

    func testLargeSensorsListComesInBlock2WithETagAndSize2() throws {
        let h = ServerHarness<ProfileMedium>()
        post(h, sensors: 40)
        let (body, replies) = try fetch(h, "sensors")
        XCTAssertGreaterThan(replies.count, 1, "more than one datagram's worth")
        XCTAssertEqual(replies.first?.uint(.size2), UInt32(body.count))
        let tags = Set(replies.compactMap { $0.options.first { $0.number == CoAPOptionNumber.eTag.rawValue }?.value })
        XCTAssertEqual(tags.count, 1, "one ETag for all blocks of an unchanged body")
        let list = try object(body)
        XCTAssertEqual(list["count"] as? Int, 40)
        XCTAssertEqual((list["sensors"] as? [Any])?.count, 40)
        XCTAssertEqual(list["truncated"] as? Bool, false)
        // Client-chosen smaller blocks give the same body.
        let (small, smallReplies) = try fetch(h, "sensors", exponent: 2)
        XCTAssertEqual(small, body)
        XCTAssertTrue(smallReplies.dropLast().allSatisfy { $0.payload.count == 64 })
        // A block past the end is refused.
        let beyond = Request.make(mid: 900, path: "sensors", options: [Request.uint(.block2, 500 << 4 | 6)])
        XCTAssertEqual(h.exchange(beyond)?.code, .badOption)
        // A larger block than fits is answered with a smaller one at the same offset.
        let tooBig = try XCTUnwrap(h.exchange(Request.make(mid: 901, path: "sensors", options: [Request.uint(.block2, 1 << 4 | 6)])))
        let block = try XCTUnwrap(tooBig.uint(.block2))
        XCTAssertEqual(16 << (block & 7) * (block >> 4), 1024, "same offset, smaller size")
    }

    func testSensorsListIsTruncatedWhenTheBodyScratchIsFull() throws {
        let h = ServerHarness<ServerTinyBodyProfile>()
        post(h, sensors: 60)
        let (body, _) = try fetch(h, "sensors")
        let list = try object(body)
        XCTAssertEqual(list["count"] as? Int, 60)
        XCTAssertEqual(list["truncated"] as? Bool, true)
        let shown = try XCTUnwrap(list["sensors"] as? [Any]).count
        XCTAssertGreaterThan(shown, 5)
        XCTAssertLessThan(shown, 60)
        XCTAssertLessThanOrEqual(body.count, ServerTinyBodyProfile.responseBodyBytes)
        let (cbor, _) = try fetch(h, "sensors", accept: 60)
        cbor.withUnsafeBytes { raw in
            var reader = CBORReader(raw, maxDepth: 8)
            guard let first = try? reader.read() else { return XCTFail("not CBOR") }
            do { try reader.skip(first) } catch { XCTFail("malformed CBOR: \(error)") }
            XCTAssertTrue(reader.isAtEnd, "truncated CBOR is still one closed item")
        }
    }

    func testAlertsListNewestFirst() throws {
        let h = ServerHarness<ProfileTest>()
        XCTAssertEqual(h.exchange(Request.post(Request.temperature("hot", 95), mid: 5_000))?.code, .changed)
        h.tick(advanceMs: 1_000)
        let (body, _) = try fetch(h, "alerts")
        let alerts = try object(body)
        let list = try XCTUnwrap(alerts["alerts"] as? [[String: Any]])
        XCTAssertEqual(UInt64(list.count), h.server.pipeline.counters.alertsRaised)
        XCTAssertEqual(alerts["sequence"] as? Int, list.count)
        XCTAssertEqual(list.first?["seq"] as? Int, list.count - 1)
        XCTAssertEqual(list.first?["sensor"] as? String, "hot")
        XCTAssertGreaterThan(alerts["active"] as? Int ?? 0, 0)
        let critical = try XCTUnwrap(list.first { $0["kind"] as? String == "critical" })
        XCTAssertEqual(critical["value"] as? Double, 95)
        XCTAssertEqual(critical["feature"] as? String, "temperature")
    }

    func testWellKnownCoreLinkFormat() throws {
        let h = ServerHarness<ProfileTest>()
        post(h, sensors: 1)
        let reply = try XCTUnwrap(h.exchange(Request.make(path: ".well-known/core")))
        XCTAssertEqual(reply.uint(.contentFormat), 40)
        let links = reply.text.split(separator: ",").map(String.init)
        for path in ["</readings>", "</health>", "</sensors>", "</alerts>", "</metrics>", "</sensors/sensor-0>"] {
            XCTAssertTrue(links.contains { $0.hasPrefix(path + ";") }, path)
        }
        let alerts = try XCTUnwrap(links.first { $0.hasPrefix("</alerts>") })
        XCTAssertTrue(alerts.contains(";obs"))
        XCTAssertTrue(alerts.contains("rt=\"outpost.alerts\""))
        XCTAssertTrue(alerts.contains("ct=\"50 60\""))
        XCTAssertTrue(alerts.contains("if=\"core.rp\""))
    }

    func testMetricsPrometheusText() throws {
        let h = ServerHarness<ProfileMedium>()
        post(h, sensors: 3)
        _ = h.send(Request.post(Request.temperature("sensor-0", 21), mid: 30_000), from: ServerHarness<ProfileMedium>.peer(500))
        _ = h.send([0x49, 0x01, 0x00, 0x05])
        h.server.recordTickLatency(ns: 7_000)
        h.server.recordTickLatency(ns: 300_000)
        h.server.recordTickLatency(ns: 9_000_000_000)
        let (body, replies) = try fetch(h, "metrics")
        XCTAssertEqual(replies.first?.uint(.contentFormat), 0)
        let text = String(decoding: body, as: UTF8.self)
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") {
            if line.hasPrefix("#") {
                XCTAssertTrue(line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE "), String(line))
                continue
            }
            let parts = line.split(separator: " ")
            XCTAssertEqual(parts.count, 2, String(line))
            samples[String(parts[0])] = Double(parts[1])
        }
        XCTAssertEqual(samples["outpost_readings_total"], 3)
        XCTAssertEqual(samples["outpost_duplicates_total{action=\"answered\"}"], 1)
        XCTAssertEqual(samples["outpost_drops_total{reason=\"format_error\"}"], 1)
        XCTAssertEqual(samples["outpost_sensors"], 3)
        XCTAssertEqual(samples["outpost_tick_latency_seconds_bucket{le=\"0.000010000\"}"], 1)
        XCTAssertEqual(samples["outpost_tick_latency_seconds_bucket{le=\"0.000500000\"}"], 2)
        XCTAssertEqual(samples["outpost_tick_latency_seconds_bucket{le=\"+Inf\"}"], 3)
        XCTAssertEqual(samples["outpost_tick_latency_seconds_count"], 3)
        XCTAssertEqual(samples["outpost_tick_latency_seconds_sum"] ?? 0, 9.000307, accuracy: 1e-9)
        XCTAssertNotNil(samples["outpost_alerts_total{event=\"raised\"}"])
        XCTAssertNotNil(samples["outpost_anomalies_total"])
    }

    func testMetricsFitEveryProfilesBody() {
        func check<P: Profile>(_ profile: P.Type) {
            let h = ServerHarness<P>()
            let reply = h.exchange(Request.make(mid: 1, path: "metrics", options: [Request.uint(.block2, 6)]))
            XCTAssertEqual(reply?.code, .content, "\(P.name)")
            XCTAssertEqual(h.server.counters.bodiesTruncated, 0)
            let size = reply?.uint(.size2) ?? 0
            XCTAssertGreaterThan(size, 2_000)
            XCTAssertLessThan(Int(size), P.responseBodyBytes, "\(P.name) metrics do not fit")
        }
        check(ProfileLow.self)
        check(ProfileMedium.self)
        check(ProfileHigh.self)
        check(ProfileTest.self)
    }

    func testHealthCountersMove() throws {
        let h = ServerHarness<ProfileTest>(startMs: 1_000_000)
        h.nowMs += 65_000
        post(h, sensors: 2)
        let reply = try XCTUnwrap(h.exchange(Request.make(mid: 7, path: "health")))
        let health = try object(reply.payload)
        XCTAssertEqual(health["uptime_s"] as? Int, 65)
        XCTAssertEqual(health["sensors"] as? Int, 2)
        let counters = try XCTUnwrap(health["counters"] as? [String: Any])
        XCTAssertEqual(counters["readings_accepted"] as? Int, 2)
        XCTAssertEqual(counters["packs_accepted"] as? Int, 2)
        XCTAssertEqual(counters["requests"] as? Int, 3)
    }

    func testFootprintsFitTheProfiles() {
        func check<P: Profile>(_ profile: P.Type) {
            let footprint = Server<P>.footprintBytes
            print("server footprint \(P.name): \(footprint) bytes (pipeline \(Pipeline<P>.footprintBytes))")
            XCTAssertLessThanOrEqual(footprint, P.footprintLimitBytes + P.duplicateEntryCount * 200 + P.responseBodyBytes + P.block1SlotCount * P.block1SlotBytes + 16 * 1024, "\(P.name)")
            // The arena accounting holds: init carves no more than arenaBytes says.
            let h = ServerHarness<P>()
            XCTAssertEqual(h.arenaBytes, Server<P>.arenaBytes(after: 0))
        }
        check(ProfileLow.self)
        check(ProfileMedium.self)
        check(ProfileHigh.self)
        check(ProfileTest.self)
    }
}
