extension GatewayStore {
    /// The MQTT upstream's turn in the tick (called from `GatewayAttachment.upstreamTurn`): runs
    /// `client` over the log's durable records (`source`, as the uplink reads them), then
    /// persists a moved forward cursor, which the next commit makes durable. Returns false while
    /// the log is not open (nothing to forward; the client is not run).
    /// - Complexity: that of `MQTTClient.tick` (bounded by its window, input and scan budget).
    @discardableResult
    public mutating func tickMQTT<L: MQTTLink, C: MQTTCommandSink>(
        _ client: inout MQTTClient, link: inout L, commands: inout C, nowMs: Int64
    ) -> Bool {
        if source == nil { return false }
        client.tick(nowMs: nowMs, source: &source!, link: &link, commands: &commands)
        if let cursor = client.takeCursorUpdate() {
            #if OUTPOST_INTERNAL_CHECKS
            precondition(cursor <= source!.store.lastWrittenSequence, "the MQTT cursor passed the log's last record")
            #endif
            source!.store.setCursor(cursor)
        }
        return true
    }

    /// The `/health` uplink snapshot of an MQTT upstream, nil while the log is not open.
    public func mqttHealth(_ client: MQTTClient, nowMs: Int64) -> UplinkHealth? {
        guard let source else { return nil }
        return client.health(nowMs: nowMs, lastSequence: source.uplinkLastSequence)
    }
}
