import OutpostCore
import OutpostProfiles
import XCTest

/// Offline detection runs on the gateway's clock: a sensor's own timestamps (years off, because it
/// has no real-time clock or uploads an old buffer) never make the offline alert flap.
final class ServerClockTests: XCTestCase {
    /// Records every outbox event with its sensor's name (tests only: it allocates).
    struct RecordingConsumer: OutboxConsumer {
        var alerts: [(sensor: String, event: AlertEvent)] = []
        var readings = 0
        mutating func consume(_ event: OutboxEvent, sensor: SensorName) {
            switch event {
            case .reading: readings += 1
            case .alert(let alert): alerts.append((String(decoding: (0..<Int(sensor.count)).map { sensor[$0] }, as: UTF8.self), alert))
            }
        }
    }

    typealias H = ServerHarness<ProfileMedium>

    func runTicks(_ h: H, _ consumer: inout RecordingConsumer, seconds: Int) {
        for _ in 0..<seconds * 10 {
            h.nowMs += 100
            h.server.tick(nowMs: h.nowMs, into: &h.sink, consumer: &consumer)
            h.sink.sent.removeAll()
        }
    }

    func testSkewedTimestampsRaiseNoOfflineAlertsWhileSensorsKeepSending() throws {
        let h = H()
        var consumer = RecordingConsumer()
        // Four sensors stamp readings eleven years in the past, four two years in the future.
        let yearS: Int64 = 365 * 86_400
        let gatewayS = h.nowMs / 1_000
        let offsetsS: [Int64] = [-11 * yearS, -11 * yearS - 5, -11 * yearS + 777, -11 * yearS, 2 * yearS, 2 * yearS + 1, 2 * yearS, 2 * yearS + 60]
        var mid: UInt16 = 1
        var sent = 0
        // 30 minutes, a reading from every sensor every 10 s (offline after 5 minutes of silence).
        for step in 0..<180 {
            for sensor in 0..<8 {
                let t = gatewayS + offsetsS[sensor] + Int64(step) * 10
                let pack = "[{\"bn\":\"clk\(sensor)/\",\"bt\":\(t),\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21.5}]"
                XCTAssertEqual(h.exchange(Request.post(pack, mid: mid), from: H.peer(sensor))?.code, .changed)
                mid &+= 1
                sent += 1
            }
            runTicks(h, &consumer, seconds: 10)
        }
        XCTAssertEqual(consumer.readings, sent)
        XCTAssertEqual(consumer.alerts.count, 0, "no alert while every sensor keeps sending: \(consumer.alerts.prefix(4))")
        XCTAssertEqual(h.server.pipeline.counters.clockSkew, UInt64(sent), "every reading was more than an hour off")
        for sensor in 0..<8 { XCTAssertFalse(h.server.pipeline.alerts.isActive(.offline, sensor: sensor)) }

        // Real silence: six minutes without readings gives exactly one offline alert per sensor ...
        runTicks(h, &consumer, seconds: 360)
        XCTAssertEqual(consumer.alerts.count, 8)
        XCTAssertTrue(consumer.alerts.allSatisfy { $0.event.kind == .offline && $0.event.raised })
        XCTAssertEqual(Set(consumer.alerts.map(\.sensor)).count, 8)
        for alert in consumer.alerts {
            XCTAssertGreaterThanOrEqual(alert.event.value, 300, "silence measured on the gateway's clock")
            XCTAssertLessThanOrEqual(alert.event.value, 302)
        }
        // ... and the next reading of each clears it once.
        for sensor in 0..<8 {
            let t = gatewayS + offsetsS[sensor] + 5_000
            let pack = "[{\"bn\":\"clk\(sensor)/\",\"bt\":\(t),\"n\":\"temperature\",\"u\":\"Cel\",\"v\":21.5}]"
            XCTAssertEqual(h.exchange(Request.post(pack, mid: mid), from: H.peer(sensor))?.code, .changed)
            mid &+= 1
        }
        runTicks(h, &consumer, seconds: 60)
        XCTAssertEqual(consumer.alerts.count, 16)
        let cleared = consumer.alerts.suffix(8)
        XCTAssertTrue(cleared.allSatisfy { $0.event.kind == .offline && !$0.event.raised })
        XCTAssertEqual(Set(cleared.map(\.sensor)).count, 8)
        XCTAssertEqual(h.server.pipeline.counters.alertsRaised, 8)
        XCTAssertEqual(h.server.pipeline.counters.alertsCleared, 8)
    }

    func testTimestampsNearTheGatewayClockAreNotSkew() throws {
        let h = H()
        let nowS = h.nowMs / 1_000
        // 59 minutes behind and ahead: within the bound (a buffer uploaded after a short outage).
        for (i, offset) in [-3_540, 3_540, 0].enumerated() {
            let pack = "[{\"bn\":\"near/\",\"bt\":\(nowS + Int64(offset)),\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20}]"
            XCTAssertEqual(h.exchange(Request.post(pack, mid: UInt16(i + 1)))?.code, .changed)
        }
        XCTAssertEqual(h.server.pipeline.counters.clockSkew, 0)
        let far = "[{\"bn\":\"near/\",\"bt\":\(nowS - 3_601),\"n\":\"temperature\",\"u\":\"Cel\",\"v\":20}]"
        XCTAssertEqual(h.exchange(Request.post(far, mid: 9))?.code, .changed)
        XCTAssertEqual(h.server.pipeline.counters.clockSkew, 1)
        XCTAssertEqual(h.server.pipeline.counters.readingsAccepted, 4, "skewed readings are kept as sent")
        // Shown in /health and /metrics.
        let health = try XCTUnwrap(h.exchange(Request.make(mid: 20, path: "health")))
        XCTAssertTrue(health.text.contains("\"clock_skew\":1"), health.text)
        var metrics = [UInt8]()
        var block: UInt32 = 0
        for _ in 0..<8 {
            let reply = try XCTUnwrap(h.exchange(Request.make(mid: 21 + UInt16(block), path: "metrics", options: block == 0 ? [] : [Request.uint(.block2, block << 4 | 6)])))
            metrics += reply.payload
            guard let b2 = reply.uint(.block2), b2 & 8 != 0 else { break }
            block = (b2 >> 4) + 1
        }
        XCTAssertTrue(String(decoding: metrics, as: UTF8.self).contains("outpost_clock_skew_total 1\n"))
    }
}
