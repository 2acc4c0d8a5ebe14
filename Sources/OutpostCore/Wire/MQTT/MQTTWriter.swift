/// Writes MQTT 3.1.1 packets into a caller's buffer, without allocation. Each call writes one
/// whole packet at the start of `buffer` and returns its size, or throws `.noRoom` (nothing
/// useful is left in the buffer then) or `.fieldTooLong`.
public enum MQTTWriter {
    /// Bytes the remaining length `value` takes (1…4).
    public static func remainingLengthBytes(_ value: Int) -> Int {
        if value < 128 { return 1 }
        if value < 16_384 { return 2 }
        if value < 2_097_152 { return 3 }
        return 4
    }

    /// CONNECT (§3.1): protocol name "MQTT", level 4, the connect flags, keep alive, then client
    /// id, will topic and message, user name and password as present.
    public static func connect(_ options: MQTTConnectOptions, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int {
        precondition(options.password == nil || options.userName != nil, "a password needs a user name (§3.1.2.9)")
        var remaining = 10 + 2 + options.clientID.count
        var flags: UInt8 = options.cleanSession ? 0x02 : 0
        if let will = options.will {
            remaining += 4 + will.topic.count + will.message.count
            flags |= 0x04 | (will.qos &<< 3) | (will.retain ? 0x20 : 0)
        }
        if let user = options.userName { remaining += 2 + user.count; flags |= 0x80 }
        if let password = options.password { remaining += 2 + password.count; flags |= 0x40 }
        var out = try Output(buffer, type: .connect, flags: 0, remaining: remaining)
        try out.string(("MQTT" as StaticString))
        out.byte(4)
        out.byte(flags)
        out.u16(options.keepAliveS)
        try out.string(options.clientID)
        if let will = options.will {
            try out.string(will.topic)
            try out.string(will.message)
        }
        if let user = options.userName { try out.string(user) }
        if let password = options.password { try out.string(password) }
        return out.finish()
    }

    /// PUBLISH (§3.3): topic, the packet id for QoS 1 and 2, the message. The caller has checked
    /// the topic (no wildcard).
    public static func publish(
        topic: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, qos: UInt8, dup: Bool, retain: Bool, packetID: UInt16,
        into buffer: UnsafeMutableRawBufferPointer
    ) throws(MQTTError) -> Int {
        precondition(qos <= 2 && (qos > 0 || !dup), "QoS 0...2, DUP only with QoS > 0")
        precondition(qos == 0 || packetID != 0, "QoS > 0 needs a packet id")
        let remaining = 2 + topic.count + (qos > 0 ? 2 : 0) + payload.count
        let flags: UInt8 = (dup ? 0x08 : 0) | (qos &<< 1) | (retain ? 1 : 0)
        var out = try Output(buffer, type: .publish, flags: flags, remaining: remaining)
        try out.string(topic)
        if qos > 0 { out.u16(packetID) }
        out.raw(payload)
        return out.finish()
    }

    /// PUBACK (§3.4).
    public static func puback(packetID: UInt16, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int {
        var out = try Output(buffer, type: .puback, flags: 0, remaining: 2)
        out.u16(packetID)
        return out.finish()
    }

    /// SUBSCRIBE (§3.8) of one topic filter at `qos`.
    public static func subscribe(
        packetID: UInt16, filter: UnsafeRawBufferPointer, qos: UInt8, into buffer: UnsafeMutableRawBufferPointer
    ) throws(MQTTError) -> Int {
        precondition(packetID != 0 && qos <= 2, "SUBSCRIBE needs a packet id and QoS 0...2")
        var out = try Output(buffer, type: .subscribe, flags: 2, remaining: 2 + 2 + filter.count + 1)
        out.u16(packetID)
        try out.string(filter)
        out.byte(qos)
        return out.finish()
    }

    /// PINGREQ (§3.12) and DISCONNECT (§3.14): two bytes each.
    public static func pingreq(into buffer: UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int {
        let out = try Output(buffer, type: .pingreq, flags: 0, remaining: 0)
        return out.finish()
    }

    public static func disconnect(into buffer: UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int {
        let out = try Output(buffer, type: .disconnect, flags: 0, remaining: 0)
        return out.finish()
    }

    /// The packets a broker sends, for tests and tools: CONNACK, SUBACK of one code, PINGRESP.
    public static func connack(sessionPresent: Bool, returnCode: UInt8, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int {
        var out = try Output(buffer, type: .connack, flags: 0, remaining: 2)
        out.byte(sessionPresent ? 1 : 0)
        out.byte(returnCode)
        return out.finish()
    }

    public static func suback(packetID: UInt16, code: UInt8, into buffer: UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int {
        var out = try Output(buffer, type: .suback, flags: 0, remaining: 3)
        out.u16(packetID)
        out.byte(code)
        return out.finish()
    }

    public static func pingresp(into buffer: UnsafeMutableRawBufferPointer) throws(MQTTError) -> Int {
        let out = try Output(buffer, type: .pingresp, flags: 0, remaining: 0)
        return out.finish()
    }

    /// A packet being written: the fixed header goes first, then the fields; the size was checked
    /// against the buffer up front, so the field writers need no checks of their own.
    struct Output {
        let buffer: UnsafeMutableRawBufferPointer
        var count = 0
        let end: Int

        init(_ buffer: UnsafeMutableRawBufferPointer, type: MQTTPacketType, flags: UInt8, remaining: Int) throws(MQTTError) {
            if remaining > MQTTReader.maxRemainingLength { throw .fieldTooLong }
            let total = 1 + MQTTWriter.remainingLengthBytes(remaining) + remaining
            if total > buffer.count { throw .noRoom }
            self.buffer = buffer
            end = total
            byte(type.rawValue &<< 4 | flags)
            var value = remaining
            // At most four bytes (checked above).
            for _ in 0..<4 {
                var digit = UInt8(truncatingIfNeeded: value & 0x7F)
                value &>>= 7
                if value > 0 { digit |= 0x80 }
                byte(digit)
                if value == 0 { break }
            }
        }

        mutating func byte(_ value: UInt8) {
            buffer[count] = value
            count += 1
        }

        mutating func u16(_ value: UInt16) {
            byte(UInt8(truncatingIfNeeded: value &>> 8))
            byte(UInt8(truncatingIfNeeded: value))
        }

        mutating func raw(_ bytes: UnsafeRawBufferPointer) {
            if bytes.count == 0 { return }
            UnsafeMutableRawBufferPointer(rebasing: buffer[count..<(count + bytes.count)]).copyMemory(from: bytes)
            count += bytes.count
        }

        /// A UTF-8 string with its two-byte length (§1.5.3).
        mutating func string(_ bytes: UnsafeRawBufferPointer) throws(MQTTError) {
            if bytes.count > 65_535 { throw .fieldTooLong }
            u16(UInt16(truncatingIfNeeded: bytes.count))
            raw(bytes)
        }

        mutating func string(_ text: StaticString) throws(MQTTError) {
            try string(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        func finish() -> Int {
            precondition(count == end, "packet size differs from its remaining length")
            return count
        }
    }
}
