/// Decodes MQTT 3.1.1 packets from a byte stream, without allocation: `frameLength` tells whether
/// a whole packet is buffered, `decode` checks it strictly and returns its fields as ranges.
///
/// Validation is that of a client: the packets a broker sends (CONNACK, PUBLISH, PUBACK, SUBACK,
/// UNSUBACK, PINGRESP) are checked field by field; the others are only framed and have their
/// flags checked (a client refuses them as unexpected).
public enum MQTTReader {
    /// Largest value of the remaining length (§2.2.3): four 7-bit groups.
    public static let maxRemainingLength = 268_435_455

    /// The size of the first packet in `bytes` (fixed header + remaining length), or nil when its
    /// header is not complete yet.
    /// - Throws: `.remainingLengthTooLong` for a fifth length byte.
    public static func frameLength(_ bytes: UnsafeRawBufferPointer) throws(MQTTError) -> Int? {
        if bytes.count < 2 { return nil }
        var value = 0
        var shift = 0
        // At most four length bytes follow the first byte.
        for i in 1...4 {
            if i >= bytes.count { return nil }
            let byte = bytes[i]
            value |= Int(byte & 0x7F) &<< shift
            if byte & 0x80 == 0 { return 1 + i + value }
            shift += 7
        }
        throw .remainingLengthTooLong
    }

    /// Decodes the one packet `frame` holds (exactly `frameLength` bytes).
    /// - Throws: the named rule the packet breaks.
    public static func decode(_ frame: UnsafeRawBufferPointer) throws(MQTTError) -> MQTTPacket {
        guard let length = try frameLength(frame), length == frame.count else { throw .badLength }
        let first = frame[0]
        guard let type = MQTTPacketType(rawValue: first &>> 4) else { throw .reservedPacketType }
        let flags = first & 0x0F
        var headerBytes = 2
        while frame[headerBytes - 1] & 0x80 != 0 { headerBytes += 1 }
        let body = headerBytes
        let remaining = frame.count - headerBytes
        var packet = MQTTPacket(type: type)
        packet.frameBytes = frame.count
        if type != .publish && flags != type.requiredFlags { throw .badFlags }
        switch type {
        case .connack:
            if remaining != 2 { throw .badLength }
            let ackFlags = frame[body]
            if ackFlags & 0xFE != 0 { throw .badConnack }
            packet.sessionPresent = ackFlags & 1 != 0
            packet.returnCode = frame[body + 1]
            if packet.returnCode > 5 { throw .badConnack }
            // A refused connection never has a session (§3.2.2.2).
            if packet.returnCode != 0 && packet.sessionPresent { throw .badConnack }
        case .publish:
            packet.dup = flags & 0x08 != 0
            packet.qos = (flags &>> 1) & 0x03
            packet.retain = flags & 0x01 != 0
            if packet.qos == 3 || (packet.qos == 0 && packet.dup) { throw .badFlags }
            if remaining < 2 { throw .truncatedString }
            let topicCount = Int(frame[body]) &<< 8 | Int(frame[body + 1])
            if 2 + topicCount > remaining { throw .truncatedString }
            packet.topicStart = body + 2
            packet.topicCount = topicCount
            try checkTopicName(UnsafeRawBufferPointer(rebasing: frame[packet.topicStart..<(packet.topicStart + topicCount)]))
            var at = packet.topicStart + topicCount
            if packet.qos > 0 {
                if at + 2 > frame.count { throw .badLength }
                packet.packetID = UInt16(frame[at]) &<< 8 | UInt16(frame[at + 1])
                if packet.packetID == 0 { throw .zeroPacketID }
                at += 2
            }
            packet.payloadStart = at
            packet.payloadCount = frame.count - at
        case .puback, .pubrec, .pubrel, .pubcomp, .unsuback:
            if remaining != 2 { throw .badLength }
            packet.packetID = UInt16(frame[body]) &<< 8 | UInt16(frame[body + 1])
            if packet.packetID == 0 { throw .zeroPacketID }
        case .suback:
            if remaining < 3 { throw .badLength }
            packet.packetID = UInt16(frame[body]) &<< 8 | UInt16(frame[body + 1])
            if packet.packetID == 0 { throw .zeroPacketID }
            packet.payloadStart = body + 2
            packet.payloadCount = remaining - 2
            for i in packet.payloadStart..<frame.count {
                let code = frame[i]
                if code > 2 && code != 0x80 { throw .badSubackCode }
            }
        case .pingreq, .pingresp, .disconnect:
            if remaining != 0 { throw .badLength }
        case .connect, .subscribe, .unsubscribe:
            // Client-to-broker packets: framed only (a client refuses them as unexpected).
            break
        }
        return packet
    }

    /// A topic name a PUBLISH may carry: 1…65 535 bytes, no wildcard, no U+0000 (§4.7.3, §1.5.3).
    static func checkTopicName(_ topic: UnsafeRawBufferPointer) throws(MQTTError) {
        if topic.count == 0 { throw .badTopic }
        for byte in topic where byte == 0x2B || byte == 0x23 || byte == 0 { throw .badTopic }
    }
}
