/// The SenML Units registry (RFC 8428 Table 6, with RFC 8798's additions and its secondary
/// units): the units a value of a quantity not detected on may carry. The gateway forwards such a
/// value with the unit it came with, so a unit outside the registry would make the uplink's pack
/// non-conforming (RFC 8428 §4.5.2); a record with one is counted as an unknown quantity instead.
enum SenMLUnitRegistry {
    /// Every registered symbol, each followed by one space or line feed (a single static text: no table of
    /// pointers in the firmware, and one scan to look a unit up).
    static let symbols: StaticString = """
        m kg g s A K cd mol Hz rad sr N Pa J W C V F Ohm S Wb T H Cel lm lx Bq Gy Sv kat m2 m3 l m/s m/s2 m3/s
        l/s W/m2 cd/m2 bit bit/s lat lon pH dB dBW Bspl count / % %RH %EL EL 1/s 1/min beat/min beats S/m
        B VA VAs var vars J/m kg/m3 deg
        ms min h MHz kW kVA kvar Ah Wh kWh varh kvarh kVAh Wh/km KiB GB Mbit/s B/s MB/s mV mA dBm ug/m3
        mm/h m/h ppm /100 /1000 hPa mm cm km km/h

        """

    /// True when `unit` is a registered symbol (case-sensitive, as in SenML).
    /// - Complexity: O(registry text), about 400 byte comparisons.
    static func isRegistered(_ unit: SenMLText) -> Bool {
        if unit.overflowed || unit.count == 0 { return false }
        let text = symbols.utf8Start
        let total = symbols.utf8CodeUnitCount
        var start = 0
        // Bounded by the registry text: each pass moves past one symbol and its space.
        while start < total {
            var end = start
            while end < total && text[end] != 0x20 && text[end] != 0x0A { end += 1 }
            if end - start == unit.count {
                var same = true
                for i in 0..<unit.count where text[start + i] != unit[i] {
                    same = false
                    break
                }
                if same { return true }
            }
            start = end + 1
        }
        return false
    }
}
