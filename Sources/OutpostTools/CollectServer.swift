import Foundation
import Glibc
import OutpostCore

/// The upstream end of the uplink for development and tests (`outpost-tool collect`): a CoAP
/// server that takes SenML-CBOR batches (Block1 reassembled), deduplicates log records by
/// (node, log id, seq), appends one JSON line per new record, and acknowledges only after the lines are
/// written and flushed.
final class CollectServer {
    /// Counts for the live line and the summary.
    struct Counts: Equatable {
        var batches = 0
        var records = 0
        var duplicates = 0
        var refused = 0
        /// Datagrams dropped unanswered during an outage window.
        var dropped = 0
        /// Retransmitted requests answered from the cache.
        var retransmissions = 0
    }

    let socket: UDPSocket
    let out: TextSink
    /// Outage window in ms since start: datagrams are dropped silently, as on a cut link.
    let outage: Range<Int64>?
    let startMs: Int64
    private(set) var counts = Counts()
    /// (node, log id, seq) already written, keyed "node#logid": a log that was replaced restarts
    /// at sequence 1 under a new log id, and its records are new.
    var seen: [String: Set<UInt64>] = [:]
    /// Block1 bodies being reassembled, by peer and token.
    var partial: [String: [UInt8]] = [:]
    /// Answers by peer and message ID (RFC 7252 §4.5 deduplication), oldest first for eviction.
    var answers: [String: [UInt8]] = [:]
    var answerOrder: [String] = []
    static let answerCapacity = 4_096
    static let maxBodyBytes = 1 << 20
    var nextMessageID: UInt16 = 1
    /// Where image chunks are joined into files (`--images`), or nil.
    var images: CollectImages? = nil

    init(socket: UDPSocket, out: TextSink, outage: Range<Int64>?, startMs: Int64) {
        self.socket = socket
        self.out = out
        self.outage = outage
        self.startMs = startMs
    }

    static func nowMs() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000 + Int64(time.tv_nsec) / 1_000_000
    }

    /// Serves until `shouldStop` returns true (checked at least every 100 ms); prints the counts to
    /// `progress` once a second when given.
    func run(progress: TextSink?, shouldStop: () -> Bool) throws(ToolError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        var lastReportMs = CollectServer.nowMs()
        // Runs until stopped; each pass waits at most 100 ms.
        while !shouldStop() {
            if let (size, peer) = socket.receive(into: buffer, timeoutMs: 100) {
                let bytes = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<size]))
                if let answer = try handle(bytes, from: peer, nowMs: CollectServer.nowMs()) {
                    socket.send(answer, to: peer)
                }
            }
            let now = CollectServer.nowMs()
            if let progress, now - lastReportMs >= 1_000 {
                lastReportMs = now
                progress.write("collect: " + summary + "\n")
                try progress.flush()
            }
        }
    }

    var summary: String {
        "batches \(counts.batches), records \(counts.records), duplicates \(counts.duplicates), refused \(counts.refused), dropped \(counts.dropped), retransmissions \(counts.retransmissions)"
            + (images.map { ", images \($0.completed), images aborted \($0.aborted)" } ?? "")
    }

    /// Handles one datagram; returns the answer to send, or nil.
    func handle(_ bytes: [UInt8], from peer: UDPAddress, nowMs: Int64) throws(ToolError) -> [UInt8]? {
        if let outage, outage.contains(nowMs - startMs) {
            counts.dropped += 1
            return nil
        }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 8)
        defer { copy.deallocate() }
        copy.copyBytes(from: bytes)
        let raw = UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(copy)[0..<bytes.count])
        guard let message = try? CoAPMessage(parsing: raw) else {
                // A CON that does not parse gets RST when at least its header is readable.
                if raw.count >= 4, raw[0] >> 6 == 1, (raw[0] >> 4) & 3 == 0 {
                    return CollectServer.empty(.reset, messageID: UInt16(raw[2]) << 8 | UInt16(raw[3]))
                }
                return nil
            }
            switch message.type {
            case .acknowledgement, .reset: return nil
            case .nonConfirmable, .confirmable:
                if message.code == .empty {
                    return message.type == .confirmable ? CollectServer.empty(.reset, messageID: message.messageID) : nil
                }
            }
            let key = "\(peer)#\(message.messageID)"
            if message.type == .confirmable, let cached = answers[key] {
                counts.retransmissions += 1
                return cached
            }
            let answer = try respond(message, peer: peer)
            if message.type == .confirmable {
                answers[key] = answer
                answerOrder.append(key)
                if answerOrder.count > CollectServer.answerCapacity {
                    answers[answerOrder.removeFirst()] = nil
                }
                return answer
            }
            return nil
    }

    func respond(_ message: CoAPMessage, peer: UDPAddress) throws(ToolError) -> [UInt8] {
        let type: CoAPType = message.type == .confirmable ? .acknowledgement : .nonConfirmable
        let messageID = message.type == .confirmable ? message.messageID : takeMessageID()
        let token = message.token
        let answer = { (code: CoAPCode, block1: CoAPBlock?, diagnostic: String) -> [UInt8] in
            if code.codeClass != 2 { self.counts.refused += 1 }
            return CollectServer.message(type, code, messageID: messageID, token: token, block1: block1, payload: Array(diagnostic.utf8))
        }
        if message.code != .post { return answer(.methodNotAllowed, nil, "") }
        if message.contentFormat != CoAPContentFormat.senmlCBOR { return answer(.unsupportedContentFormat, nil, "SenML-CBOR (112) only") }
        let block: CoAPBlock?
        do { block = try message.block1() } catch { return answer(.badRequest, nil, "bad Block1") }
        var body = Array(message.payload)
        if let block {
            let key = "\(peer)#" + (0..<message.token.count).map { String(message.token[$0]) }.joined(separator: ".")
            var collected = block.number == 0 ? [] : (partial[key] ?? [])
            if block.offsetBytes != collected.count {
                partial[key] = nil
                return answer(.requestEntityIncomplete, nil, "")
            }
            collected += body
            if collected.count > CollectServer.maxBodyBytes {
                partial[key] = nil
                return answer(.requestEntityTooLarge, nil, "")
            }
            if block.more {
                partial[key] = collected
                return answer(.continue, block, "")
            }
            partial[key] = nil
            body = collected
        }
        let records: [CollectPack.LogRecord]
        do {
            records = try CollectPack.decode(body)
        } catch {
            return answer(.badRequest, block, error.reason)
        }
        counts.batches += 1
        for record in records {
            if seen[record.node + "#" + String(record.logID), default: []].insert(record.sequence).inserted {
                out.write(CollectPack.jsonLine(record) + "\n")
                try images?.take(record)
                counts.records += 1
            } else {
                counts.duplicates += 1
            }
        }
        // The 2.04 means "written": flush before answering.
        try out.flush()
        return answer(.changed, block.map { CoAPBlock(number: $0.number, more: false, sizeExponent: $0.sizeExponent) }, "")
    }

    func takeMessageID() -> UInt16 {
        nextMessageID &+= 1
        return nextMessageID
    }

    static func empty(_ type: CoAPType, messageID: UInt16) -> [UInt8] {
        message(type, .empty, messageID: messageID, token: CoAPToken(), block1: nil, payload: [])
    }

    static func message(_ type: CoAPType, _ code: CoAPCode, messageID: UInt16, token: CoAPToken, block1: CoAPBlock?, payload: [UInt8]) -> [UInt8] {
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 + payload.count, alignment: 8)
        defer { raw.deallocate() }
        guard var writer = try? CoAPMessageWriter(buffer: raw, type: type, code: code, messageID: messageID, token: token) else {
            preconditionFailure("an answer fits its buffer")
        }
        if let block1 { _ = try? writer.appendOption(.block1, uint: block1.value) }
        let body = UnsafeMutableRawBufferPointer.allocate(byteCount: max(payload.count, 1), alignment: 8)
        defer { body.deallocate() }
        body.copyBytes(from: payload)
        _ = try? writer.appendPayload(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(body)[0..<payload.count]))
        return Array(writer.message)
    }
}
