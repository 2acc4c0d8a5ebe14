import Glibc
import OutpostCore

/// Small pieces of SVG and HTML the report is made of: escaping, coordinates, axes with "nice"
/// ticks, colours. Every chart is an inline `<svg>` with the SVG namespace, so each one is a
/// well-formed XML document on its own.
enum ReportSVG {
    /// Sensor colours (colour-blind-friendly order); sensors past the tenth reuse them.
    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79"]
    static let anomalyColour = "#d62728"

    static func colour(_ sensor: Int) -> String { palette[sensor % palette.count] }

    static func severityColour(_ severity: Severity) -> String {
        switch severity {
        case .warning: return "#f0ad00"
        case .major: return "#e8590c"
        case .critical: return "#c00000"
        }
    }

    /// Text for an XML text node or attribute value.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A coordinate with one decimal (enough for a screen, and short).
    static func n(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        let whole = Int(tenths) / 10
        let fraction = abs(Int(tenths) % 10)
        if fraction == 0 { return String(Int(tenths) / 10) }
        return (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(fraction)"
    }

    /// A value with up to `decimals` digits, trailing zeros removed.
    static func value(_ value: Double, decimals: Int = 3) -> String {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let scaled = Int64((value * scale).rounded())
        var text = LogCommand.decimal(scaled, decimals)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }

    /// A fixed-point feature value as a number.
    static func real(_ value: Int32, _ feature: Feature) -> Double {
        var scale = 1.0
        for _ in 0..<feature.decimals { scale *= 10 }
        return Double(value) / scale
    }

    static func unit(_ feature: Feature) -> String {
        switch feature {
        case .temperature: return "°C"
        case .humidity: return "%RH"
        case .pressure: return "Pa"
        case .vibration: return "m/s²"
        case .power: return "W"
        }
    }

    static func name(_ feature: Feature) -> String { "\(feature.name)" }

    /// The opening tag of a chart of `width` × `height` with an accessible title.
    static func open(width: Int, height: Int, id: String, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"\(escape(id))\" class=\"chart\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\" aria-label=\"\(escape(title))\"><title>\(escape(title))</title>"
    }

    /// About `target` round steps covering `low...high`: (first tick, step).
    static func niceTicks(low: Double, high: Double, target: Int = 5) -> [Double] {
        let span = high - low
        if !(span > 0) || !span.isFinite { return [low] }
        let raw = span / Double(target)
        let magnitude = pow(10, floor(log10(raw)))
        let fraction = raw / magnitude
        let step = (fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10) * magnitude
        var ticks: [Double] = []
        var tick = ceil(low / step) * step
        // Bounded: about `target` ticks.
        while tick <= high + step * 1e-9 && ticks.count < target * 3 {
            ticks.append(abs(tick) < step * 1e-9 ? 0 : tick)
            tick += step
        }
        return ticks
    }

    /// Time ticks (ms since the epoch) at round UTC intervals across `first...last`.
    static func timeTicks(first: Int64, last: Int64) -> (ticks: [Int64], stepMs: Int64) {
        let steps: [Int64] = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800]
            .map { $0 * 1000 }
        let span = max(1, last - first)
        let step = steps.first { span / $0 <= 8 } ?? (span / 8)
        var ticks: [Int64] = []
        var tick = (first / step + (first % step == 0 ? 0 : 1)) * step
        while tick <= last && ticks.count < 20 {
            ticks.append(tick)
            tick += step
        }
        return (ticks, step)
    }

    /// A UTC time label: `HH:MM:SS` below a minute's step, `HH:MM` within a day, else `MM-DD HH:MM`.
    static func timeLabel(_ ms: Int64, stepMs: Int64, spanMs: Int64) -> String {
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let clock = two(parts.tm_hour) + ":" + two(parts.tm_min) + (stepMs < 60_000 ? ":" + two(parts.tm_sec) : "")
        if spanMs <= 86_400_000 { return clock }
        return two(parts.tm_mon + 1) + "-" + two(parts.tm_mday) + " " + clock
    }

    /// A full UTC date and time (`YYYY-MM-DD HH:MM:SS UTC`).
    static func dateTime(_ ms: Int64) -> String {
        var seconds = time_t(ms / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(parts.tm_year + 1900)-" + two(parts.tm_mon + 1) + "-" + two(parts.tm_mday) + " " + two(parts.tm_hour) + ":"
            + two(parts.tm_min) + ":" + two(parts.tm_sec) + " UTC"
    }

    /// A duration in words (`2 h 5 min`, `40 s`).
    static func duration(_ ms: Int64) -> String {
        let s = ms / 1000
        if s < 120 { return "\(s) s" }
        if s < 7200 { return "\(s / 60) min" + (s % 60 != 0 ? " \(s % 60) s" : "") }
        if s < 172_800 { return "\(s / 3600) h" + ((s % 3600) / 60 != 0 ? " \((s % 3600) / 60) min" : "") }
        return "\(s / 86400) d" + ((s % 86400) / 3600 != 0 ? " \((s % 86400) / 3600) h" : "")
    }
}
