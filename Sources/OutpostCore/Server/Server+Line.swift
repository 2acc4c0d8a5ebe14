// Serial line mode: one SenML-JSON pack or one CSV row (gen column order) per line.

extension Server {
    /// Ingests one line that arrived outside CoAP, without its line end (a trailing CR is
    /// ignored). A line starting with `[` is a SenML-JSON pack, `#` a comment, the CSV header is
    /// skipped, anything else is a CSV row. The line is taken whole or not at all.
    /// - Complexity: O(n) in the line length plus the pipeline's work per reading.
    public mutating func ingestLine(_ line: UnsafeRawBufferPointer, nowMs: Int64, room: LogRoom = .unlimited) -> LineOutcome {
        setRoom(room)
        // A serial line is nobody's source: its sensors are held by no source entry.
        sourceIndex = -1
        var end = line.count
        if end > 0 && line[end - 1] == 0x0D { end -= 1 }
        var start = 0
        while start < end && (line[start] == 0x20 || line[start] == 0x09) { start += 1 }
        if start == end || line[start] == 0x23 { return .skipped }  // blank or #
        let text = UnsafeRawBufferPointer(rebasing: line[start..<end])
        let count: Int
        var quantityCount = 0
        if text[0] == 0x5B {  // [
            do {
                // As `ingestPack`: values of quantities not detected on are kept where the profile
                // has room for them (folded at compile time), else only counted.
                let result = P.packQuantityCapacity > 0
                    ? try SenMLDecoder.decodeJSON(text, nowMs: nowMs, into: packReadings, quantities: packQuantities, keeping: SenMLKeepsQuantities.self)
                    : try SenMLDecoder.decodeJSON(text, nowMs: nowMs, into: packReadings, quantities: packQuantities, keeping: SenMLCountsQuantities.self)
                count = result.readingCount
                quantityCount = result.quantityValueCount
                counters.unknownQuantities &+= UInt64(bitPattern: result.unknownQuantityCount.wide)
            } catch {
                counters.invalidLines &+= 1
                return .invalid
            }
        } else if Server.isCSVHeader(text) {
            return .skipped
        } else {
            do {
                packReadings[0] = try ReadingCSV.parse(text)
                count = 1
            } catch {
                counters.invalidLines &+= 1
                return .invalid
            }
        }
        if let refusal = ingest(count: count, quantityCount: quantityCount, nowMs: nowMs) {
            switch refusal {
            case .outboxFull: counters.busyOutbox &+= 1
            case .sensorTableFull: counters.busySensorTable &+= 1
            case .logFull: counters.busyLog &+= 1
            }
            return .refused(refusal)
        }
        return .accepted(count)
    }

    /// True for the `gen` CSV header line (it starts with `sensor_id` and names the columns).
    static func isCSVHeader(_ text: UnsafeRawBufferPointer) -> Bool {
        let prefix: StaticString = "sensor_id"
        if text.count < prefix.utf8CodeUnitCount { return false }
        for i in 0..<prefix.utf8CodeUnitCount where text[i] != prefix.utf8Start[i] { return false }
        do {
            try ReadingCSV.checkHeader(text)
            return true
        } catch {
            return false
        }
    }
}
