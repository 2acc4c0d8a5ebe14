// Sensor slots that go back when the table is full (docs/SECURITY.md §7, docs/RESOURCES.md):
// first the slots held by a source over its sensor share, taken for a source within its own;
// then those of sensors offline past `--sensor-evict-after`. Every eviction is logged as a
// marker naming the evicted sensor and why (docs/LOG_FORMAT.md §4.4, code 5).

extension Server {
    /// The sensor share the request's source may claim slots under, or nil when it may not take
    /// slots back: the profile has no eviction markers, or the source would itself hold more
    /// than its share with its `newSensors` (a flood of new names never takes others' places).
    /// A serial line (`sourceIndex` -1) is trusted and holds nothing.
    /// - Complexity: O(source slots).
    func reclaimShare(newSensors: Int) -> Int? {
        if P.evictionNoticeCount == 0 { return nil }
        let share = sources.sensorShare(capacity: pipeline.sensors.capacity, shareMin: P.sourceSensorShareMin, requester: sourceIndex)
        let held = sourceIndex >= 0 ? Int(sources[sourceIndex].held) : 0
        return held + newSensors <= share ? share : nil
    }

    /// True when sensor `index` may go back to another source now: its owner (not the request's
    /// source) holds more than `share`, no event of it waits in the outbox, and it is not already
    /// evictable as offline (those go back by that path, so the two counts never overlap).
    /// - Complexity: O(outbox count).
    func isReclaimable(_ index: Int, share: Int, nowMs: Int64) -> Bool {
        let owner = Int(sensorRecords[index].owner)
        if owner < 0 || owner == sourceIndex || Int(sources[owner].held) <= share { return false }
        return !pipeline.hasPendingEvents(index) && !pipeline.isEvictable(index, nowMs: nowMs)
    }

    /// The reclaimable sensor silent the longest (by its last reading's arrival), or nil.
    /// - Complexity: O(sensors × outbox count); run only when the table is full.
    func reclaimCandidate(share: Int, nowMs: Int64) -> Int? {
        var best: Int? = nil
        var bestMs = Int64.max
        for index in 0..<pipeline.sensors.count where sensorRecords[index].lastReceivedMs < bestMs {
            if isReclaimable(index, share: share, nowMs: nowMs) {
                best = index
                bestMs = sensorRecords[index].lastReceivedMs
            }
        }
        return best
    }

    /// How many slots (up to `limit`) the sources over `share` can give back now: per source at
    /// most what it holds above its share. Counted exactly, since `assignSlots` must then find
    /// them all: each counted sensor is marked (owner `-2 - owner`) and its owner's holding
    /// lowered, and both are restored before returning.
    /// - Complexity: O(sensors × outbox count).
    mutating func reclaimableCount(share: Int, limit: Int, nowMs: Int64) -> Int {
        var n = 0
        var last = -1
        for index in 0..<pipeline.sensors.count where n < limit && isReclaimable(index, share: share, nowMs: nowMs) {
            let owner = Int(sensorRecords[index].owner)
            sources.moveHeld(from: owner, to: -1)
            sensorRecords[index].owner = Int16(truncatingIfNeeded: -2 - owner)
            n += 1
            last = index
        }
        if last >= 0 {
            for index in 0...last where sensorRecords[index].owner <= -2 {
                let owner = -2 - Int(sensorRecords[index].owner)
                sensorRecords[index].owner = Int16(truncatingIfNeeded: owner)
                sources.moveHeld(from: -1, to: owner)
            }
        }
        return n
    }

    /// Gives slots to the new sensors of `packReadings[0..<count]` that do not fit the free
    /// places (`short` of them), before any reading of the pack is processed: first slots of
    /// sources over `share` (when the source may claim them, `share` not nil), then slots of
    /// sensors offline past the eviction time. The caller has counted that enough exist. Each
    /// eviction resets what is kept per index and leaves a notice for the log.
    /// - Complexity: O(short × sensors × outbox count).
    mutating func assignSlots(count: Int, short: Int, share: Int?, nowMs: Int64) {
        var assigned = 0
        for i in 0..<count where assigned < short {
            let name = packReadings[i].sensor
            if pipeline.sensors.find(name) != nil { continue }  // known, or given a slot just now
            var reason = LogMarkerPayload.evictedOverShare
            var index: Int? = nil
            if let share { index = reclaimCandidate(share: share, nowMs: nowMs) }
            if index == nil {
                reason = LogMarkerPayload.evictedOffline
                index = pipeline.evictionCandidate(nowMs: nowMs)
            }
            guard let index else { return }  // counted beforehand: not reached
            let evicted = pipeline.sensors.name(at: index)
            pipeline.reassign(index, to: name)
            forgetSensor(index, nowMs: nowMs)
            if reason == LogMarkerPayload.evictedOverShare { counters.sensorsReclaimed &+= 1 }
            noteEviction(SensorEvictionNotice(sensor: evicted, reason: reason, timestampMs: nowMs))
            assigned += 1
        }
    }

    /// Makes sensor `index`'s latest reading come from the request's source (`sourceIndex`; -1
    /// for a serial line): the source holding it changes when another writes it.
    /// - Complexity: O(1).
    mutating func takeOwnership(_ index: Int) {
        if P.evictionNoticeCount == 0 { return }
        let owner = Int(sensorRecords[index].owner)
        if owner == sourceIndex { return }
        sources.moveHeld(from: owner, to: sourceIndex)
        sensorRecords[index].owner = Int16(truncatingIfNeeded: sourceIndex)
    }

    /// After source entry `index` was taken over by another source: the sensors the old one
    /// held become nobody's (until their next reading), and the new source holds none.
    /// - Complexity: O(sensors).
    mutating func disownSensors(ofSource index: Int) {
        if P.evictionNoticeCount == 0 { return }
        for sensor in 0..<pipeline.sensors.count where Int(sensorRecords[sensor].owner) == index {
            sensorRecords[sensor].owner = -1
        }
        sources.clearHeld(index)
    }

    /// Keeps `notice` for the next outbox drain; counted as lost when the ring is full (the drain
    /// runs before it can be: `outboxNeedsDrain`).
    /// - Complexity: O(1).
    mutating func noteEviction(_ notice: SensorEvictionNotice) {
        if P.evictionNoticeCount == 0 { return }
        if noticeCount == P.evictionNoticeCount {
            counters.evictionNoticesLost &+= 1
            return
        }
        evictionNotices[(noticeHead + noticeCount) % P.evictionNoticeCount] = notice
        noticeCount += 1
    }

    /// Hands every waiting eviction notice to `consumer`, oldest first.
    /// - Complexity: O(notices).
    mutating func drainEvictions<Consumer: OutboxConsumer>(into consumer: inout Consumer) {
        if P.evictionNoticeCount == 0 { return }
        for _ in 0..<P.evictionNoticeCount where noticeCount > 0 {
            consumer.consumeEviction(evictionNotices[noticeHead])
            noticeHead = (noticeHead + 1) % P.evictionNoticeCount
            noticeCount -= 1
        }
    }
}
