import CMallocCounter
import OutpostCore
import XCTest

/// An in-process broker behind an `MQTTLink`, on fixed buffers (no heap): it frames what the
/// client writes, answers CONNECT, SUBSCRIBE, PINGREQ and every QoS 1 PUBLISH, and can cut the
/// connection once to make the client reconnect and re-send.
struct FixedBrokerLink: MQTTLink {
    let fromClient: UnsafeMutableRawBufferPointer
    var fromCount = 0
    let toClient: UnsafeMutableRawBufferPointer
    var toStart = 0
    var toEnd = 0
    var isOpen = false
    var publishes = 0
    var dupPublishes = 0
    /// Cut the connection when this many publishes were seen (0: never).
    var cutAt = 0

    init(memory: UnsafeMutableRawBufferPointer) {
        precondition(memory.count >= 2 * 131_072)
        fromClient = UnsafeMutableRawBufferPointer(rebasing: memory[0..<131_072])
        toClient = UnsafeMutableRawBufferPointer(rebasing: memory[131_072..<262_144])
    }

    mutating func open() -> Int32 {
        fromCount = 0
        toStart = 0
        toEnd = 0
        isOpen = true
        return 0
    }

    mutating func progress() -> Int32 { 0 }

    mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if !isOpen { return -104 }
        if cutAt > 0 && publishes >= cutAt {
            cutAt = 0
            isOpen = false
            return 0
        }
        if toStart == toEnd { return MQTTLinkResult.wouldBlock }
        let n = min(buffer.count, toEnd - toStart)
        buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: toClient[toStart..<(toStart + n)]))
        toStart += n
        if toStart == toEnd {
            toStart = 0
            toEnd = 0
        }
        return n
    }

    mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        if !isOpen { return -32 }
        UnsafeMutableRawBufferPointer(rebasing: fromClient[fromCount..<(fromCount + bytes.count)]).copyMemory(from: bytes)
        fromCount += bytes.count
        var at = 0
        while at < fromCount {
            let rest = UnsafeRawBufferPointer(rebasing: fromClient[at..<fromCount])
            guard let length = (try? MQTTReader.frameLength(rest)) ?? nil, length <= rest.count else { break }
            let frame = UnsafeRawBufferPointer(rebasing: rest[0..<length])
            answer(frame)
            at += length
        }
        let left = fromCount - at
        if left > 0 && at > 0 {
            UnsafeMutableRawBufferPointer(rebasing: fromClient[0..<left]).copyMemory(from: UnsafeRawBufferPointer(rebasing: fromClient[at..<fromCount]))
        }
        fromCount = left
        return bytes.count
    }

    mutating func answer(_ frame: UnsafeRawBufferPointer) {
        let out = UnsafeMutableRawBufferPointer(rebasing: toClient[toEnd...])
        switch frame[0] &>> 4 {
        case 1: toEnd += try! MQTTWriter.connack(sessionPresent: true, returnCode: 0, into: out)
        case 8: toEnd += try! MQTTWriter.suback(packetID: UInt16(frame[2]) &<< 8 | UInt16(frame[3]), code: 1, into: out)
        case 12: toEnd += try! MQTTWriter.pingresp(into: out)
        case 3:
            let packet = try! MQTTReader.decode(frame)
            if packet.qos == 1 { toEnd += try! MQTTWriter.puback(packetID: packet.packetID, into: out) }
            publishes += 1
            if packet.dup { dupPublishes += 1 }
        default: break
        }
    }

    mutating func close() { isOpen = false }
}

/// The MQTT client forwards ≥ 100 000 records (readings, alerts, summaries) in each payload format
/// through an in-process broker that cuts the connection once, with every malloc counted.
final class MQTTAllocationTests: XCTestCase {
    func run(format: MQTTPayloadFormat, records total: Int) -> (allocations: Int, cursor: UInt64, dups: Int) {
        let prefix: StaticString = "outpost"
        let id: StaticString = "node-1"
        var settings = MQTTSettings(
            nodeId: SensorName("node-1"), clientID: UnsafeRawBufferPointer(start: id.utf8Start, count: id.utf8CodeUnitCount),
            prefix: UnsafeRawBufferPointer(start: prefix.utf8Start, count: prefix.utf8CodeUnitCount))
        settings.format = format
        let arenaBytes = MQTTClient.arenaBytes(after: 0, settings: settings)
        let memory = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
        defer { memory.deallocate() }
        var arena = Arena(base: memory, sizeBytes: arenaBytes)
        var nowMs = TestRecords.startMs
        var client = MQTTClient(arena: &arena, settings: settings, cursor: 0, nowMs: nowMs)
        let ring = UnsafeMutableBufferPointer<LogRecord>.allocate(capacity: 2_048)
        ring.initialize(repeating: LogRecord())
        defer { ring.deallocate() }
        var source = UplinkMemorySource(records: ring)
        source.uplinkLogID = 42
        let linkMemory = UnsafeMutableRawBufferPointer.allocate(byteCount: 262_144, alignment: 16)
        defer { linkMemory.deallocate() }
        var link = FixedBrokerLink(memory: linkMemory)
        var commands = MQTTCommandCounter()
        let kinds = [TestRecords.reading(), TestRecords.alert(), TestRecords.summary(), TestRecords.reading(features: [(.humidity, 40_123)])]
        var appended = 0
        var allocations = 0
        // Warm-up outside the count (generic metadata of a host build), then counted.
        for phase in 0..<2 {
            let goal = phase == 0 ? 200 : 200 + total
            if phase == 1 {
                link.cutAt = link.publishes + total / 2
                malloc_counter_start()
            }
            // Bounded: each tick publishes or acknowledges records; the cap catches a stall.
            for _ in 0..<(4 * total + 100_000) {
                if Int(truncatingIfNeeded: client.cursor) >= goal { break }
                while appended < goal && source.uplinkLastSequence - client.cursor < 1_500 {
                    source.append(kinds[appended % kinds.count])
                    appended += 1
                }
                nowMs += 5
                client.tick(nowMs: nowMs, source: &source, link: &link, commands: &commands)
            }
            if phase == 1 { allocations = Int(malloc_counter_stop()) }
        }
        return (allocations, client.cursor, link.dupPublishes)
    }

    func testForwardingAllocatesNothingInEveryFormat() {
        for format in [MQTTPayloadFormat.senmlJSON, .senmlCBOR, .influx] {
            let result = run(format: format, records: format == .senmlJSON ? 100_000 : 20_000)
            XCTAssertEqual(result.cursor, UInt64(200 + (format == .senmlJSON ? 100_000 : 20_000)), "\(format)")
            XCTAssertGreaterThan(result.dups, 0, "the cut made the client re-send with DUP (\(format))")
            XCTAssertEqual(result.allocations, 0, "\(format)")
        }
    }
}
