// libFuzzer target: the MQTT 3.1.1 packet codec (see FuzzCoAP.swift for the build modes).
import OutpostCore

#if !OUTPOST_FUZZING
import FuzzReplay

@main
struct FuzzMQTTReplay {
    static func main() { FuzzReplay.run(CommandLine.arguments, fuzz) }
}
#endif

/// Frames the input as a stream of packets (as the client reads a TCP stream) and decodes each
/// one. Every range a decoded packet reports must lie inside its frame; a PUBLISH that decodes
/// is written again from its fields and must give the same bytes back when its remaining length
/// was minimal (the writer always writes the minimal encoding).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let echo = UnsafeMutableRawBufferPointer.allocate(byteCount: size + 8, alignment: 1)
    defer { echo.deallocate() }
    var at = 0
    // Each pass consumes one frame of at least two bytes, or stops.
    while at < size {
        let rest = UnsafeRawBufferPointer(rebasing: input[at..<size])
        let length: Int?
        do { length = try MQTTReader.frameLength(rest) } catch { break }
        guard let length, length <= rest.count else { break }
        precondition(length >= 2, "a frame has at least two bytes")
        let frame = UnsafeRawBufferPointer(rebasing: rest[0..<length])
        at += length
        let packet: MQTTPacket
        do { packet = try MQTTReader.decode(frame) } catch { continue }
        precondition(packet.frameBytes == length, "frame size")
        precondition(packet.topicStart + packet.topicCount <= length, "topic inside the frame")
        precondition(packet.payloadStart + packet.payloadCount <= length, "payload inside the frame")
        guard packet.type == .publish else { continue }
        let topic = UnsafeRawBufferPointer(rebasing: frame[packet.topicStart..<(packet.topicStart + packet.topicCount)])
        let payload = UnsafeRawBufferPointer(rebasing: frame[packet.payloadStart..<(packet.payloadStart + packet.payloadCount)])
        let written: Int
        do {
            written = try MQTTWriter.publish(
                topic: topic, payload: payload, qos: packet.qos, dup: packet.dup, retain: packet.retain, packetID: packet.packetID,
                into: echo)
        } catch {
            preconditionFailure("a decoded PUBLISH must fit its own size")
        }
        var headerBytes = 2
        while frame[headerBytes - 1] & 0x80 != 0 { headerBytes += 1 }
        let remaining = length - headerBytes
        precondition(written == 1 + MQTTWriter.remainingLengthBytes(remaining) + remaining, "PUBLISH echo uses the minimal length")
        if headerBytes == 1 + MQTTWriter.remainingLengthBytes(remaining) {
            precondition(written == length, "PUBLISH echo size")
            for i in 0..<length { precondition(echo[i] == frame[i], "PUBLISH echo differs") }
        }
    }
    return 0
}
