/// Applies SenML base fields to records (RFC 8428 §4.6), maps names to sensor and quantity, and
/// merges the records of one sensor and time into `Reading`s in the caller's buffer.
///
/// Name rule: the resolved name `bn + n` is split at its last `/` or `:`; the part before is the
/// sensor (`SensorName`), the part after the quantity. So `bn: "sensor-001/"` with
/// `n: "temperature"` and `n: "sensor-001/temperature"` alone mean the same.
struct SenMLPackResolver<Keeping: SenMLQuantityKeeping> {
    /// 2^28 seconds in microseconds: resolved times below it are relative to now (RFC 8428 §4.5.3).
    static var relativeLimitMicro: Int64 { 268_435_456_000_000 }
    /// Marks a coordinate not yet given in a partly filled `Location` (outside every valid value).
    static var missingCoordinate: Int32 { Int32.min }

    let readings: UnsafeMutableBufferPointer<Reading>
    /// Values of quantities not detected on (empty: they are only counted).
    let quantities: UnsafeMutableBufferPointer<QuantityValue>
    let nowMs: Int64
    var count = 0
    var unknownQuantityCount = 0
    var quantityCount = 0

    var baseName = SenMLText()
    var baseTimeMicro: Int64 = 0
    var baseValueMicro: Int64 = 0
    var baseUnit: SenMLText? = nil
    var baseUnitOffsetBytes = 0

    init(readings: UnsafeMutableBufferPointer<Reading>, quantities: UnsafeMutableBufferPointer<QuantityValue>, nowMs: Int64) {
        self.readings = readings
        self.quantities = quantities
        self.nowMs = nowMs
    }

    /// Applies `record`: updates the base fields, then adds its value to a reading.
    /// - Complexity: O(readings so far), to find the reading of the same sensor and time.
    mutating func add(_ record: SenMLRecord) throws(SenMLError) {
        if let name = record.baseName { baseName = name }
        if let time = record.baseTimeMicro { baseTimeMicro = time }
        if let value = record.baseValueMicro { baseValueMicro = value }
        if let unit = record.baseUnit {
            baseUnit = unit
            baseUnitOffsetBytes = record.baseUnitOffsetBytes
        }
        // A record with neither name nor value only sets base fields.
        if record.name == nil && record.valueMicro == nil && !record.hasOtherValue { return }

        var name = baseName
        if let own = record.name {
            for i in 0..<own.count { name.append(own[i]) }
        }
        if name.overflowed { throw SenMLError(.nameTooLong, at: record.nameOffsetBytes) }
        let split = try SenMLPackResolver.splitName(name, at: record.nameOffsetBytes)
        guard let quantity = SenMLQuantity(name, from: split + 1) else {
            try addOther(record, name: name, split: split)
            return
        }
        guard let sensor = SenMLPackResolver.sensorName(name, count: split) else {
            throw SenMLError(.nameTooLong, at: record.nameOffsetBytes)
        }
        guard let ownValue = record.valueMicro else {
            throw SenMLError(record.hasOtherValue ? .wrongType : .missingValue, at: record.offsetBytes)
        }
        let (value, valueOverflow) = baseValueMicro.addingReportingOverflow(ownValue)
        if valueOverflow { throw SenMLError(.valueOutOfRange, at: record.valueOffsetBytes) }

        let unitText: SenMLText
        let unitOffset: Int
        if let own = record.unit {
            unitText = own
            unitOffset = record.unitOffsetBytes
        } else if let base = baseUnit {
            unitText = base
            unitOffset = baseUnitOffsetBytes
        } else {
            throw SenMLError(.missingUnit, at: record.offsetBytes)
        }
        guard let unit = SenMLUnit(unitText) else { throw SenMLError(.unknownUnit, at: unitOffset) }

        let timestampMs = try resolveTime(record)
        let slot = try slot(for: sensor, timestampMs: timestampMs, at: record.offsetBytes)
        try set(quantity, value: value, unit: unit, in: &readings[slot], record: record, unitOffset: unitOffset)
    }

    /// Finishes the pack: every reading with one coordinate must have the other.
    /// - Complexity: O(readings).
    func finish(endOffset: Int) throws(SenMLError) -> SenMLDecodeResult {
        for i in 0..<count {
            if let location = readings[i].location,
                location.latitudeE7 == SenMLPackResolver.missingCoordinate
                    || location.longitudeE7 == SenMLPackResolver.missingCoordinate
            {
                throw SenMLError(.incompleteLocation, at: endOffset)
            }
        }
        return SenMLDecodeResult(readingCount: count, unknownQuantityCount: unknownQuantityCount, quantityValueCount: quantityCount)
    }

    /// A record of a quantity not detected on: kept as sent in `quantities` when there is a
    /// buffer and the record has a numeric value, a name of at most 32 bytes and no unit or a
    /// registered one (`SenMLUnitRegistry`); otherwise counted in `unknownQuantityCount` (skipped, not an error, as before there was a
    /// buffer). More values than the buffer holds refuses the pack whole, as readings do.
    mutating func addOther(_ record: SenMLRecord, name: SenMLText, split: Int) throws(SenMLError) {
        // Folded away when only counting (`SenMLCountsQuantities`: a profile without the buffer).
        if !Keeping.keepsQuantities || quantities.count == 0 { unknownQuantityCount += 1; return }
        guard let ownValue = record.valueMicro,
            let sensor = SenMLPackResolver.sensorName(name, from: 0, count: split),
            let quantity = SenMLPackResolver.sensorName(name, from: split + 1, count: name.count - split - 1)
        else {
            unknownQuantityCount += 1
            return
        }
        let (value, valueOverflow) = baseValueMicro.addingReportingOverflow(ownValue)
        if valueOverflow { throw SenMLError(.valueOutOfRange, at: record.valueOffsetBytes) }
        var unit: SensorName? = nil
        if let text = record.unit ?? baseUnit {
            // Forwarded as sent, so it must be a unit the upstream's SenML knows.
            if !SenMLUnitRegistry.isRegistered(text) { unknownQuantityCount += 1; return }
            guard let kept = SenMLPackResolver.sensorName(text, from: 0, count: text.count) else {
                unknownQuantityCount += 1
                return
            }
            unit = kept
        }
        let timestampMs = try resolveTime(record)
        for i in 0..<quantityCount
        where quantities[i].timestampMs == timestampMs && quantities[i].sensor == sensor && quantities[i].name == quantity {
            throw SenMLError(.duplicateQuantity, at: record.offsetBytes)
        }
        if quantityCount == quantities.count { throw SenMLError(.tooManyReadings, at: record.offsetBytes) }
        quantities[quantityCount] = QuantityValue(sensor: sensor, timestampMs: timestampMs, valueMicro: value, name: quantity, unit: unit)
        quantityCount += 1
    }

    // MARK: - Steps

    /// Checks the name characters (RFC 8428 §4.5.1: `[A-Za-z0-9][A-Za-z0-9:./_-]*`) and returns the
    /// index of the last `/` or `:`, which must have a sensor before it and a quantity after it.
    static func splitName(_ name: SenMLText, at offset: Int) throws(SenMLError) -> Int {
        if name.count == 0 { throw SenMLError(.badName, at: offset) }
        var split = -1
        for i in 0..<name.count {
            let byte = name[i]
            let alphanumeric = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if alphanumeric { continue }
            let punctuation = byte == 0x2D || byte == 0x3A || byte == 0x2E || byte == 0x2F || byte == 0x5F
            if i == 0 || !punctuation { throw SenMLError(.badName, at: offset) }
            if byte == 0x2F || byte == 0x3A { split = i }
        }
        if split <= 0 || split == name.count - 1 { throw SenMLError(.noSensor, at: offset) }
        return split
    }

    static func sensorName(_ name: SenMLText, count: Int) -> SensorName? {
        sensorName(name, from: 0, count: count)
    }

    /// `name[start..<start + count]` as a `SensorName` (1…32 printable bytes), or nil.
    static func sensorName(_ name: SenMLText, from start: Int, count: Int) -> SensorName? {
        if count < 1 || count > SensorName.capacityBytes || start + count > SenMLText.capacityBytes { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: SenMLText.capacityBytes) { buffer in
            for i in 0..<count { buffer[i] = name[start + i] }
            return SensorName(UnsafeBufferPointer(rebasing: buffer[0..<count]).span)
        }
    }

    /// bt + t in milliseconds since the epoch; relative times are added to `nowMs`.
    func resolveTime(_ record: SenMLRecord) throws(SenMLError) -> Int64 {
        let offset = record.timeMicro == nil ? record.offsetBytes : record.timeOffsetBytes
        let (micro, overflow) = baseTimeMicro.addingReportingOverflow(record.timeMicro ?? 0)
        if overflow { throw SenMLError(.timeOutOfRange, at: offset) }
        let ms = Normalise.divide(micro, 1_000)
        var resolved = ms
        if micro < SenMLPackResolver.relativeLimitMicro {
            let (sum, sumOverflow) = nowMs.addingReportingOverflow(ms)
            if sumOverflow { throw SenMLError(.timeOutOfRange, at: offset) }
            resolved = sum
        }
        if resolved < 0 { throw SenMLError(.timeOutOfRange, at: offset) }
        return resolved
    }

    /// The index of the reading of `sensor` at `timestampMs`, appending one when new.
    mutating func slot(for sensor: SensorName, timestampMs: Int64, at offset: Int) throws(SenMLError) -> Int {
        for i in 0..<count where readings[i].timestampMs == timestampMs && readings[i].sensor == sensor {
            return i
        }
        if count == readings.count { throw SenMLError(.tooManyReadings, at: offset) }
        readings[count] = Reading(sensor: sensor, timestampMs: timestampMs)
        count += 1
        return count - 1
    }

    /// Normalises `value` (micro-units of `unit`) into the field of `quantity` in `reading`.
    func set(
        _ quantity: SenMLQuantity, value: Int64, unit: SenMLUnit, in reading: inout Reading,
        record: SenMLRecord, unitOffset: Int
    ) throws(SenMLError) {
        let valueOffset = record.valueOffsetBytes
        let duplicate = SenMLError(.duplicateQuantity, at: record.offsetBytes)
        if let feature = quantity.feature {
            guard let normaliseUnit = unit.normaliseUnit, normaliseUnit.feature == feature else {
                throw SenMLError(.wrongUnit, at: unitOffset)
            }
            if reading.features.isPresent(feature) { throw duplicate }
            do {
                reading.features[feature] = try Normalise.feature(feature, micro: value, unit: normaliseUnit)
            } catch {
                throw SenMLError(error == .unitMismatch ? .wrongUnit : .valueOutOfRange, at: valueOffset)
            }
            return
        }
        let missing = SenMLPackResolver.missingCoordinate
        switch quantity {
        case .battery:
            if unit != .batteryPercent { throw SenMLError(.wrongUnit, at: unitOffset) }
            if reading.batteryMilliPercent != nil { throw duplicate }
            reading.batteryMilliPercent = Normalise.battery(micro: value)
        case .latitude:
            if unit != .latitude { throw SenMLError(.wrongUnit, at: unitOffset) }
            if value > 90_000_000 || value < -90_000_000 { throw SenMLError(.valueOutOfRange, at: valueOffset) }
            guard let degrees = Normalise.degreesE7(micro: value) else { throw SenMLError(.valueOutOfRange, at: valueOffset) }
            var location = reading.location ?? Location(latitudeE7: missing, longitudeE7: missing)
            if location.latitudeE7 != missing { throw duplicate }
            location.latitudeE7 = degrees
            reading.location = location
        case .longitude:
            if unit != .longitude { throw SenMLError(.wrongUnit, at: unitOffset) }
            guard let degrees = Normalise.degreesE7(micro: value) else { throw SenMLError(.valueOutOfRange, at: valueOffset) }
            var location = reading.location ?? Location(latitudeE7: missing, longitudeE7: missing)
            if location.longitudeE7 != missing { throw duplicate }
            location.longitudeE7 = degrees
            reading.location = location
        default:
            preconditionFailure("features handled above")
        }
    }
}
