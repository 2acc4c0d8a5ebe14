extension CommandQueue: MQTTCommandSink {
    /// A command from the broker. Kept, or refused for good (too long, a bad sensor name: the
    /// broker must not deliver it again, so it is acknowledged and dropped, counted by the caller
    /// through `refusedForGood`); a full queue leaves it unacknowledged for a later redelivery.
    public mutating func mqttCommand(sensor: UnsafeRawBufferPointer, payload: UnsafeRawBufferPointer, nowMs: Int64) -> Bool {
        switch enqueue(sensor: sensor, payload: payload, nowMs: nowMs) {
        case .queued: return true
        case .payloadTooLarge, .badSensor:
            refusedForGood &+= 1
            return true
        case .sensorFull, .queueFull: return false
        }
    }
}
