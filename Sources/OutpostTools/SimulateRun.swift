import Foundation
import Glibc
import OutpostCore

/// The live simulator behind `outpost-tool simulate`: the `gen` model's sensors send their
/// readings at the configured rate, CON with RFC 7252 retransmission (ACK_TIMEOUT 2 s × [1, 1.5],
/// doubling, MAX_RETRANSMIT 4) or NON, and the run is summarised in counts and ACK latencies.
final class SimulateRun {
    struct Options {
        var target: SimulateLink.Target
        var generator = GeneratorOptions()
        var format: SimulatePayload.Format = .senmlJSON
        var confirmable = true
        /// Send No-Response = 2 (RFC 7967): success answers are declined (a CON gets an empty ACK).
        var noResponse = false
        /// How long to wait for outstanding CONs after the last reading (seconds).
        var drainS: Double = 10
        var labelsPath: String? = nil
    }

    /// Counts of a run.
    struct Counts: Equatable {
        var sent = 0
        var acknowledged = 0
        var retransmitted = 0
        var timedOut = 0
        /// Answers other than 2.xx (or RST).
        var rejected = 0
    }

    /// One CON exchange waiting for its ACK.
    struct Pending {
        var sensor: Int
        var message: [UInt8]
        var firstSentNs: UInt64
        var deadlineNs: UInt64
        var timeoutNs: UInt64
        var transmissions: Int
    }

    let options: Options
    let link: SimulateLink
    var sensors: [SimulatedSensor] = []
    var ids: [String] = []
    private(set) var counts = Counts()
    var pending: [UInt32: Pending] = [:]
    var latenciesUs: [UInt64] = []
    var random: Xoshiro256StarStar
    var nextMessageID: [UInt16]

    init(options: Options) throws(ToolError) {
        self.options = options
        link = try SimulateLink(target: options.target, sensors: options.generator.sensors)
        random = Xoshiro256StarStar(seed: options.generator.seed, stream: 0xC0A9)
        let generator = SensorGenerator(options: options.generator)
        nextMessageID = []
        for number in 1...options.generator.sensors {
            sensors.append(SimulatedSensor(number: number, options: options.generator))
            ids.append(generator.sensorID(number))
            nextMessageID.append(UInt16(truncatingIfNeeded: random.next()))
        }
    }

    static func monotonicNs() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    static func wallMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1_000) }

    /// Key of an exchange: the sensor (its own endpoint) and message ID; on a serial line all
    /// sensors share one endpoint, so message IDs are drawn from sensor 0's counter there.
    func key(sensor: Int, messageID: UInt16) -> UInt32 {
        (link.isSerial ? 0 : UInt32(sensor) << 16) | UInt32(messageID)
    }

    /// Runs the whole simulation; progress lines go to `progress` once a second.
    func run(progress: TextSink, shouldStop: () -> Bool = { false }) throws(ToolError) {
        let labels = try options.labelsPath.map { (path) throws(ToolError) in try TextSink.file(path) }
        labels?.write(SensorGenerator.columns.joined(separator: ",") + "\n")
        let steps = options.generator.stepCount
        let intervalNs = UInt64(options.generator.intervalMs) * 1_000_000
        let start = SimulateRun.monotonicNs()
        var lastReport = start
        var step = 0
        var line: [UInt8] = []
        // Bounded by the steps plus the drain time; each pass waits at most 20 ms.
        while !shouldStop() {
            let now = SimulateRun.monotonicNs()
            while step < steps && now >= start + UInt64(step) * intervalNs {
                let timestampMs = SimulateRun.wallMs()
                for index in sensors.indices {
                    let reading = sensors[index].read(atMs: timestampMs, options: options.generator)
                    send(index, reading: reading, timestampMs: timestampMs, nowNs: now)
                    if let labels {
                        line.removeAll(keepingCapacity: true)
                        appendLabel(&line, index: index, timestampMs: timestampMs, reading: reading)
                        labels.write(bytes: line)
                    }
                }
                step += 1
            }
            retransmit(nowNs: now)
            if step >= steps && (pending.isEmpty || now >= start + UInt64(steps) * intervalNs + UInt64(options.drainS * 1e9)) { break }
            for (index, bytes) in link.receive(timeoutMs: 20) { handle(bytes, sensor: index, nowNs: SimulateRun.monotonicNs()) }
            if now - lastReport >= 1_000_000_000 {
                lastReport = now
                progress.write("simulate: " + progressLine + "\n")
                try progress.flush()
            }
        }
        counts.timedOut += pending.count
        pending.removeAll()
        try labels?.close()
    }

    func send(_ index: Int, reading: SimulatedSensor.Reading, timestampMs: Int64, nowNs: UInt64) {
        let payload = SimulatePayload.pack(
            sensor: ids[index], timestampMs: timestampMs, reading: reading, latitude: sensors[index].latitudeDeg,
            longitude: sensors[index].longitudeDeg, format: options.format)
        let idIndex = link.isSerial ? 0 : index
        nextMessageID[idIndex] &+= 1
        let messageID = nextMessageID[idIndex]
        let message = SimulatePayload.request(
            confirmable: options.confirmable, messageID: messageID, token: random.next(), payload: payload, format: options.format,
            noResponse: options.noResponse)
        link.send(message, sensor: index)
        counts.sent += 1
        if options.confirmable {
            let timeoutNs = 2_000_000_000 + random.next() % 1_000_000_001
            pending[key(sensor: index, messageID: messageID)] = Pending(
                sensor: index, message: message, firstSentNs: nowNs, deadlineNs: nowNs + timeoutNs, timeoutNs: timeoutNs, transmissions: 1)
        }
    }

    func retransmit(nowNs: UInt64) {
        for (key, exchange) in pending where nowNs >= exchange.deadlineNs {
            if exchange.transmissions > 4 {
                pending[key] = nil
                counts.timedOut += 1
                continue
            }
            var next = exchange
            next.transmissions += 1
            next.timeoutNs *= 2
            next.deadlineNs = nowNs + next.timeoutNs
            pending[key] = next
            link.send(exchange.message, sensor: exchange.sensor)
            counts.retransmitted += 1
        }
    }

    func handle(_ bytes: [UInt8], sensor index: Int, nowNs: UInt64) {
        let parsed: (CoAPType, CoAPCode, UInt16)? = bytes.withUnsafeBytes { raw in
            (try? CoAPMessage(parsing: raw)).map { ($0.type, $0.code, $0.messageID) }
        }
        guard let (type, code, messageID) = parsed, type == .acknowledgement || type == .reset else { return }
        let exchangeKey = key(sensor: max(index, 0), messageID: messageID)
        guard let exchange = pending.removeValue(forKey: exchangeKey) else { return }
        // With No-Response the daemon's success answer to a CON is an empty ACK.
        let success = code.codeClass == 2 || (options.noResponse && type == .acknowledgement && code == .empty)
        if type == .reset || !success {
            counts.rejected += 1
            return
        }
        counts.acknowledged += 1
        latenciesUs.append((nowNs - exchange.firstSentNs) / 1_000)
    }

    /// The `q` quantile (0...1) of the ACK latencies in µs, or nil without any.
    func latencyUs(quantile q: Double) -> UInt64? {
        if latenciesUs.isEmpty { return nil }
        let sorted = latenciesUs.sorted()
        let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))
        return sorted[index]
    }

    var progressLine: String {
        let p50 = latencyUs(quantile: 0.5).map { "\($0)" } ?? "-"
        let p99 = latencyUs(quantile: 0.99).map { "\($0)" } ?? "-"
        return "sent \(counts.sent), acknowledged \(counts.acknowledged), retransmitted \(counts.retransmitted), timed out \(counts.timedOut), rejected \(counts.rejected), latency p50 \(p50) us, p99 \(p99) us"
    }

    /// The `gen` CSV row of a sent reading (docs/CSV_FORMAT.md).
    func appendLabel(_ line: inout [UInt8], index: Int, timestampMs: Int64, reading: SimulatedSensor.Reading) {
        sensors[index].appendCSVRow(reading, id: Array(ids[index].utf8), timestampMs: timestampMs, to: &line)
    }
}
