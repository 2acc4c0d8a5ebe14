// libFuzzer target: the HTTP request parser and the connection state machine (see FuzzCoAP.swift
// for the build modes).
import OutpostCore

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzHTTPReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

/// A transport over the fuzz input: each receive hands out a chunk whose size comes from the
/// input, each send takes a number of bytes that also comes from it (partial writes, zero).
struct FuzzTransport: HTTPTransport {
    let input: UnsafeRawBufferPointer
    var at = 0
    var sends = 0
    var sentBytes = 0
    var closed = 0

    mutating func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if at >= input.count { return 0 }
        let chunk = min(input.count - at, buffer.count, Int(input[at] % 61) + 1)
        buffer.baseAddress!.copyMemory(from: input.baseAddress! + at, byteCount: chunk)
        at += chunk
        return chunk
    }

    mutating func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        sends += 1
        precondition(bytes.count > 0, "empty send")
        let n = min(bytes.count, (sends * 977) % 1500)
        sentBytes += n
        return n
    }

    mutating func close(_ fd: Int32) { closed += 1 }
    mutating func shutdownSend(_ fd: Int32) {}
}

let limits = HTTPLimits(targetBytes: 128, headBytes: 512, headerLines: 16, bodyBytes: 256)
let arenaBytes = 64 * 1024

/// Checks the parser's invariants on the input and on prefixes of it, then runs one connection
/// through the state machine on the input as its byte stream.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let whole = HTTPRequestParser.parse(input, limits: limits)
    if case .complete(let r) = whole {
        precondition(r.length <= size && r.bodyStart <= r.length, "request beyond its input")
        precondition(r.pathCount >= 1 && input[r.pathStart] == 0x2F, "path not in origin form")
        precondition(r.bodyCount <= limits.bodyBytes, "body over the limit")
        precondition(r.authorizationStart + r.authorizationCount <= r.bodyStart, "authorization outside the head")
        // The request alone parses the same.
        let again = HTTPRequestParser.parse(UnsafeRawBufferPointer(rebasing: input[0..<r.length]), limits: limits)
        precondition(again == whole, "request depends on the bytes after it")
    }
    // A refused prefix stays refused with more bytes (refusals never wait for more input).
    for k in 1..<8 where size > 0 {
        let cut = size * k / 8
        if case .failed = HTTPRequestParser.parse(UnsafeRawBufferPointer(rebasing: input[0..<cut]), limits: limits) {
            guard case .failed = whole else { preconditionFailure("a refused prefix was accepted later") }
        }
    }

    let arenaMemory = UnsafeMutableRawPointer.allocate(byteCount: arenaBytes, alignment: 64)
    defer { arenaMemory.deallocate() }
    var arena = Arena(base: arenaMemory, sizeBytes: arenaBytes)
    var server = HTTPServer(arena: &arena, capacity: 2, inputBytes: 512, outputBytes: 2048, eventStreams: 1)
    var transport = FuzzTransport(input: input)
    _ = server.accept(3, nowMs: 0, transport: &transport)
    var answered = 0
    var nowMs: Int64 = 0
    // Bounded: every pass either reads input, sends, or advances the clock past a timer.
    for _ in 0..<(4 * size + 64) {
        let c = server.connections[0]
        if c.phase == .free { break }
        nowMs += 50
        let wants = server.wants(0)
        if wants.read { server.readable(0, nowMs: nowMs, transport: &transport) }
        if server.connections[0].phase == .ready {
            var response = server.beginResponse(0)
            response.message(answered % 3 == 0 ? 200 : 404, "fuzz")
            server.finish(0, response, nowMs: nowMs)
            answered += 1
        }
        if server.connections[0].pendingOutput > 0 || server.wants(0).write { server.writable(0, nowMs: nowMs, transport: &transport) }
        server.expire(nowMs: nowMs, transport: &transport)
        let after = server.connections[0]
        precondition(after.phase == .free || after.inputCount <= server.inputBytes, "input beyond its buffer")
        precondition(after.outputStart <= after.outputEnd && after.outputEnd <= server.outputBytes, "output extents out of order")
    }
    precondition(server.counters.responses2xx + server.counters.responses4xx + server.counters.responses5xx >= UInt64(answered), "answers not counted")
    return 0
}
