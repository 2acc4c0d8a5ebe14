import OutpostCore

/// The report page: one self-contained HTML file (inline CSS, inline SVG, no script, no external
/// asset), readable offline and printable. Sections: the log at a glance, each quantity over time
/// per sensor (min/max band, mean line, anomalies as red dots, alerts as marks), anomaly rate per
/// sensor, the alert timeline, the status mix, and the window statistics of the newest summaries.
enum ReportHTML {
    /// What the page says about where the data came from.
    struct Source {
        let path: String
        let logID: String
        let formatVersion: Int
        let damageNote: String?
    }

    static let width = 1100
    static let plotLeft = 70.0
    static let plotRight = 20.0
    /// Empty buckets in a row that break a series' line.
    static let gapBuckets = 8

    static func render(_ data: ReportData, source: Source) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Outpost report: \(ReportSVG.escape(source.path))</title>
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
            main{max-width:1140px;margin:0 auto;padding:16px 20px 40px}
            h1{font-size:22px;margin:8px 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d5d9e0;padding-bottom:4px}
            .sub{color:#5a6272;font-size:13px}.cards{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}
            .card{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px 14px;min-width:120px}
            .card b{display:block;font-size:20px}.card span{font-size:12px;color:#5a6272}
            .panel{background:#fff;border:1px solid #dde1e8;border-radius:6px;padding:8px;margin:10px 0;overflow-x:auto}
            .warn{background:#fff4e0;border:1px solid #f0ad00;border-radius:6px;padding:8px 12px;margin:10px 0}
            svg.chart{display:block;max-width:100%;height:auto;font-size:11px}
            table{border-collapse:collapse;font-size:12px;width:100%}th,td{border-bottom:1px solid #e4e7ec;padding:3px 6px;text-align:right}
            th{background:#eef0f4;position:sticky;top:0}td{white-space:nowrap}td.l,th.l{text-align:left}
            .legend{font-size:12px;margin:4px 0 0 8px}.legend i{display:inline-block;width:10px;height:10px;margin:0 4px 0 10px;border-radius:2px}
            </style></head><body><main>

            """
        html += header(data, source: source)
        html += "<h2>Quantities over time</h2>\n"
        if data.chartedQuantities.isEmpty {
            html += "<p class=\"sub\">No readings in this log: nothing to chart.</p>\n"
        }
        for quantity in data.chartedQuantities {
            html += quantityChart(data, feature: Feature.at(quantity)!)
        }
        if data.sensors.count > data.chartedCount {
            html += "<p class=\"sub\">\(data.sensors.count - data.chartedCount) more sensor(s) are in the tables below but not charted (at most \(ReportData.chartedSensorsMax) are).</p>\n"
        }
        html += "<h2>Anomaly rate per sensor</h2>\n" + anomalyRateChart(data)
        html += "<h2>Alert timeline</h2>\n" + alertTimeline(data)
        html += "<h2>Status mix</h2>\n" + statusMix(data)
        html += "<h2>Window statistics</h2>\n" + windowTable(data)
        html += "<p class=\"sub\">Made by outpost-tool report from the log's records (docs/LOG_FORMAT.md). Times are UTC.</p>\n"
        html += "</main></body></html>\n"
        return html
    }

    static func header(_ data: ReportData, source: Source) -> String {
        let readings = data.sensors.reduce(0) { $0 + $1.readings }
        let anomalies = data.sensors.reduce(0) { $0 + $1.anomalies }
        let raised = data.sensors.reduce(0) { $0 + $1.alertsRaised }
        var html = "<h1>Outpost report</h1>\n<div class=\"sub\">\(ReportSVG.escape(source.path)) · log id \(ReportSVG.escape(source.logID)) · format \(source.formatVersion)"
        if data.firstMs <= data.lastMs {
            html += " · \(ReportSVG.dateTime(data.firstMs)) to \(ReportSVG.dateTime(data.lastMs)) (\(ReportSVG.duration(data.lastMs - data.firstMs)))"
        }
        html += "</div>\n"
        if let note = source.damageNote {
            html += "<div class=\"warn\" id=\"damage\">\(ReportSVG.escape(note))</div>\n"
        }
        let rate = readings == 0 ? 0 : Double(anomalies) * 100 / Double(readings)
        let cards: [(String, String)] = [
            ("\(data.records)", "records"), ("\(data.sensors.count)", "sensors"), ("\(readings)", "readings"),
            ("\(anomalies)", "anomalies (\(ReportSVG.value(rate, decimals: 2)) %)"), ("\(raised)", "alerts raised"),
            ("\(data.recordsByType[Int(LogRecordType.alertCleared.rawValue)])", "alerts cleared"),
            ("\(data.recordsByType[Int(LogRecordType.windowSummary.rawValue)])", "window summaries"),
        ]
        html += "<div class=\"cards\">" + cards.map { "<div class=\"card\"><b>\($0.0)</b><span>\($0.1)</span></div>" }.joined() + "</div>\n"
        if data.undecodable > 0 {
            html += "<div class=\"warn\">\(data.undecodable) record(s) pass their CRC but do not decode: left out.</div>\n"
        }
        return html
    }

    static func legend(_ data: ReportData, sensors: [Int], extra: String = "") -> String {
        var html = "<div class=\"legend\">"
        for index in sensors {
            html += "<i style=\"background:\(ReportSVG.colour(index))\"></i>\(ReportSVG.escape(data.sensors[index].name))"
        }
        return html + extra + "</div>\n"
    }

    /// One chart per quantity: per charted sensor a min/max band and the bucket means, anomalies
    /// as red dots at the value of the last anomalous reading of their bucket, and the alerts on
    /// this quantity as severity-coloured marks along the top.
    static func quantityChart(_ data: ReportData, feature: Feature) -> String {
        let q = feature.index
        let height = 280
        let top = 24.0, bottom = 34.0
        let plotWidth = Double(width) - plotLeft - plotRight
        let plotHeight = Double(height) - top - bottom
        let sensors = (0..<data.chartedCount).filter { data.sensors[$0].series[q] != nil }
        var low = Int32.max, high = Int32.min
        for s in sensors {
            let series = data.sensors[s].series[q]!
            for b in 0..<ReportSeries.bucketCount where series.count[b] > 0 {
                low = min(low, series.minimum[b])
                high = max(high, series.maximum[b])
            }
        }
        var lowValue = ReportSVG.real(low, feature), highValue = ReportSVG.real(high, feature)
        if highValue - lowValue < 1e-9 { lowValue -= 1; highValue += 1 }
        let pad = (highValue - lowValue) * 0.06
        lowValue -= pad
        highValue += pad
        func x(_ bucket: Int) -> Double { plotLeft + (Double(bucket) + 0.5) / Double(ReportSeries.bucketCount) * plotWidth }
        func xTime(_ ms: Int64) -> Double {
            data.lastMs <= data.firstMs ? plotLeft + plotWidth / 2
                : plotLeft + Double(ms - data.firstMs) / Double(data.lastMs - data.firstMs) * plotWidth
        }
        func y(_ v: Double) -> Double { top + (highValue - v) / (highValue - lowValue) * plotHeight }

        let title = "\(feature.name) (\(ReportSVG.unit(feature))) over time, per sensor"
        var svg = "<div class=\"panel\">" + ReportSVG.open(width: width, height: height, id: "chart-\(feature.name)", title: title)
        svg += "<g class=\"quantity\" data-quantity=\"\(feature.name)\">"
        svg += "<text x=\"\(ReportSVG.n(plotLeft))\" y=\"15\" font-size=\"13\" font-weight=\"600\">\(ReportSVG.escape(title))</text>"
        svg += axes(data, top: top, plotHeight: plotHeight, low: lowValue, high: highValue, y: y)
        for s in sensors {
            let series = data.sensors[s].series[q]!
            let colour = ReportSVG.colour(s)
            // The band: maxima left to right, then minima back.
            var upper: [String] = [], lower: [String] = [], line: [String] = []
            var segments: [[String]] = []
            // A gap of more than `gapBuckets` empty buckets (a sensor that went quiet) breaks the
            // line; shorter ones are only sparse data and are joined.
            var empty = 0
            for b in 0..<ReportSeries.bucketCount {
                guard let mean = series.mean(b) else {
                    empty += 1
                    if empty > gapBuckets && !line.isEmpty { segments.append(line); line = [] }
                    continue
                }
                empty = 0
                upper.append("\(ReportSVG.n(x(b))),\(ReportSVG.n(y(ReportSVG.real(series.maximum[b], feature))))")
                lower.append("\(ReportSVG.n(x(b))),\(ReportSVG.n(y(ReportSVG.real(series.minimum[b], feature))))")
                line.append("\(ReportSVG.n(x(b))),\(ReportSVG.n(y(mean / pow10(feature.decimals))))")
            }
            if !line.isEmpty { segments.append(line) }
            if upper.count > 1 {
                svg += "<polygon points=\"\((upper + lower.reversed()).joined(separator: " "))\" fill=\"\(colour)\" fill-opacity=\"0.15\" stroke=\"none\"/>"
            }
            for segment in segments {
                if segment.count == 1 {
                    let parts = segment[0].split(separator: ",")
                    svg += "<circle cx=\"\(parts[0])\" cy=\"\(parts[1])\" r=\"2\" fill=\"\(colour)\"/>"
                } else {
                    svg += "<polyline points=\"\(segment.joined(separator: " "))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.4\"/>"
                }
            }
        }
        // Anomalies above the lines, so they stay visible: one group carries the style, each dot
        // only its place (a long log can mark every bucket of every sensor).
        var anomalyCount = 0
        svg += "<g fill=\"\(ReportSVG.anomalyColour)\" stroke=\"#fff\" stroke-width=\"0.8\"><title>anomalous readings (the last value of each bucket that has one)</title>"
        for s in sensors {
            let series = data.sensors[s].series[q]!
            for b in 0..<ReportSeries.bucketCount where series.anomalies[b] > 0 {
                anomalyCount += Int(series.anomalies[b])
                let v = ReportSVG.real(series.anomalyValue[b], feature)
                svg += "<circle class=\"anomaly\" cx=\"\(ReportSVG.n(x(b)))\" cy=\"\(ReportSVG.n(y(v)))\" r=\"3\"/>"
            }
        }
        svg += "</g>"
        // Alerts on this quantity: a tick along the top of the plot and a faint line down.
        var alertCount = 0
        for alert in data.alerts where alert.raised && alert.feature == feature && alert.sensor < data.chartedCount {
            alertCount += 1
            let ax = ReportSVG.n(xTime(alert.timestampMs))
            let colour = ReportSVG.severityColour(alert.severity)
            svg += "<g class=\"alert-mark\"><line x1=\"\(ax)\" y1=\"\(ReportSVG.n(top))\" x2=\"\(ax)\" y2=\"\(ReportSVG.n(top + plotHeight))\" stroke=\"\(colour)\" stroke-opacity=\"0.35\" stroke-dasharray=\"3 3\"/>"
            svg += "<path d=\"M\(ax) \(ReportSVG.n(top + 7)) l-4 -7 h8 z\" fill=\"\(colour)\"><title>\(ReportSVG.escape(data.sensors[alert.sensor].name)): \(alert.kind.name) \(alert.severity.name) at \(ReportSVG.dateTime(alert.timestampMs)), value \(ReportSVG.value(ReportSVG.real(alert.value, feature)))</title></path></g>"
        }
        svg += "</g></svg>"
        let extra = "<i style=\"background:\(ReportSVG.anomalyColour);border-radius:5px\"></i>anomalous reading (\(anomalyCount))"
            + "<i style=\"background:\(ReportSVG.severityColour(.major))\"></i>alert on \(feature.name) (\(alertCount))"
            + " · band: min–max per bucket, line: mean"
        return svg + legend(data, sensors: sensors, extra: extra) + "</div>\n"
    }

    static func pow10(_ decimals: Int) -> Double {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return scale
    }

    /// The frame, the value grid on the left and the UTC time axis along the bottom.
    static func axes(_ data: ReportData, top: Double, plotHeight: Double, low: Double, high: Double, y: (Double) -> Double) -> String {
        let plotWidth = Double(width) - plotLeft - plotRight
        var svg = "<rect x=\"\(ReportSVG.n(plotLeft))\" y=\"\(ReportSVG.n(top))\" width=\"\(ReportSVG.n(plotWidth))\" height=\"\(ReportSVG.n(plotHeight))\" fill=\"#fbfcfd\" stroke=\"#c9ced6\"/>"
        for tick in ReportSVG.niceTicks(low: low, high: high) {
            let ty = ReportSVG.n(y(tick))
            svg += "<line x1=\"\(ReportSVG.n(plotLeft))\" y1=\"\(ty)\" x2=\"\(ReportSVG.n(plotLeft + plotWidth))\" y2=\"\(ty)\" stroke=\"#e6e9ee\"/>"
            svg += "<text x=\"\(ReportSVG.n(plotLeft - 6))\" y=\"\(ty)\" text-anchor=\"end\" dominant-baseline=\"middle\" fill=\"#5a6272\">\(ReportSVG.value(tick, decimals: 3))</text>"
        }
        svg += timeAxis(data, y: top + plotHeight)
        return svg
    }

    static func timeAxis(_ data: ReportData, y: Double) -> String {
        guard data.firstMs <= data.lastMs else { return "" }
        let plotWidth = Double(width) - plotLeft - plotRight
        let (ticks, step) = ReportSVG.timeTicks(first: data.firstMs, last: data.lastMs)
        var svg = ""
        for tick in ticks {
            let tx = data.lastMs == data.firstMs ? plotLeft + plotWidth / 2 : plotLeft + Double(tick - data.firstMs) / Double(data.lastMs - data.firstMs) * plotWidth
            svg += "<line x1=\"\(ReportSVG.n(tx))\" y1=\"\(ReportSVG.n(y))\" x2=\"\(ReportSVG.n(tx))\" y2=\"\(ReportSVG.n(y + 5))\" stroke=\"#8a919e\"/>"
            svg += "<text x=\"\(ReportSVG.n(tx))\" y=\"\(ReportSVG.n(y + 17))\" text-anchor=\"middle\" fill=\"#5a6272\">\(ReportSVG.timeLabel(tick, stepMs: step, spanMs: data.lastMs - data.firstMs))</text>"
        }
        svg += "<text x=\"\(ReportSVG.n(plotLeft + plotWidth))\" y=\"\(ReportSVG.n(y + 30))\" text-anchor=\"end\" fill=\"#8a919e\">UTC</text>"
        return svg
    }

    /// Horizontal bars: anomalies per reading, per sensor, with the counts.
    static func anomalyRateChart(_ data: ReportData) -> String {
        let sensors = data.sensors.indices.filter { data.sensors[$0].readings > 0 }
        if sensors.isEmpty { return "<p class=\"sub\">No readings.</p>\n" }
        let rowHeight = 22.0
        let left = 180.0
        let height = Int(Double(sensors.count) * rowHeight + 40)
        let barWidth = Double(width) - left - 150
        let highest = max(0.01, sensors.map { data.sensors[$0].anomalyRate }.max() ?? 0)
        var svg = "<div class=\"panel\">" + ReportSVG.open(width: width, height: height, id: "chart-anomaly-rate", title: "Anomaly rate per sensor")
        for tick in ReportSVG.niceTicks(low: 0, high: highest * 100, target: 4) {
            let tx = ReportSVG.n(left + tick / 100 / highest * barWidth)
            svg += "<line x1=\"\(tx)\" y1=\"8\" x2=\"\(tx)\" y2=\"\(height - 24)\" stroke=\"#e6e9ee\"/><text x=\"\(tx)\" y=\"\(height - 10)\" text-anchor=\"middle\" fill=\"#5a6272\">\(ReportSVG.value(tick, decimals: 2)) %</text>"
        }
        for (row, s) in sensors.enumerated() {
            let sensor = data.sensors[s]
            let ty = 8 + Double(row) * rowHeight
            let w = sensor.anomalyRate / highest * barWidth
            svg += "<text x=\"\(ReportSVG.n(left - 8))\" y=\"\(ReportSVG.n(ty + rowHeight / 2))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(ReportSVG.escape(sensor.name))</text>"
            svg += "<rect class=\"bar\" x=\"\(ReportSVG.n(left))\" y=\"\(ReportSVG.n(ty + 3))\" width=\"\(ReportSVG.n(max(w, 0.5)))\" height=\"\(ReportSVG.n(rowHeight - 6))\" fill=\"\(ReportSVG.anomalyColour)\" fill-opacity=\"0.8\"/>"
            svg += "<text x=\"\(ReportSVG.n(left + w + 6))\" y=\"\(ReportSVG.n(ty + rowHeight / 2))\" dominant-baseline=\"middle\" fill=\"#333\">\(ReportSVG.value(sensor.anomalyRate * 100, decimals: 2)) % (\(sensor.anomalies) of \(sensor.readings))</text>"
        }
        return svg + "</svg></div>\n"
    }

    /// One row per sensor with alerts: raised alerts as filled marks, cleared ones as hollow,
    /// coloured by severity, along the same UTC axis as the quantity charts.
    static func alertTimeline(_ data: ReportData) -> String {
        if data.alerts.isEmpty { return "<p class=\"sub\">No alerts in this log.</p>\n" }
        var rows: [Int] = []
        for alert in data.alerts where !rows.contains(alert.sensor) { rows.append(alert.sensor) }
        rows.sort()
        let rowHeight = 24.0
        let height = Int(Double(rows.count) * rowHeight + 50)
        let plotWidth = Double(width) - plotLeft - plotRight
        var first = data.firstMs, last = data.lastMs
        for alert in data.alerts {
            first = min(first, alert.timestampMs)
            last = max(last, alert.timestampMs)
        }
        var axisData = data
        axisData.firstMs = first
        axisData.lastMs = last
        func x(_ ms: Int64) -> Double { last == first ? plotLeft + plotWidth / 2 : plotLeft + Double(ms - first) / Double(last - first) * plotWidth }
        var svg = "<div class=\"panel\">" + ReportSVG.open(width: width, height: height, id: "chart-alert-timeline", title: "Alert timeline")
        for (row, s) in rows.enumerated() {
            let ty = 10 + Double(row) * rowHeight + rowHeight / 2
            svg += "<line x1=\"\(ReportSVG.n(plotLeft))\" y1=\"\(ReportSVG.n(ty))\" x2=\"\(ReportSVG.n(plotLeft + plotWidth))\" y2=\"\(ReportSVG.n(ty))\" stroke=\"#e6e9ee\"/>"
            svg += "<text x=\"\(ReportSVG.n(plotLeft - 6))\" y=\"\(ReportSVG.n(ty))\" text-anchor=\"end\" dominant-baseline=\"middle\" font-size=\"10\">\(ReportSVG.escape(data.sensors[s].name))</text>"
        }
        for alert in data.alerts {
            let row = rows.firstIndex(of: alert.sensor)!
            let ty = 10 + Double(row) * rowHeight + rowHeight / 2
            let colour = ReportSVG.severityColour(alert.severity)
            let what = "\(ReportSVG.escape(data.sensors[alert.sensor].name)): \(alert.kind.name) \(alert.severity.name)\(alert.feature.map { " on \($0.name)" } ?? "") \(alert.raised ? "raised" : "cleared") at \(ReportSVG.dateTime(alert.timestampMs))"
            if alert.raised {
                svg += "<circle class=\"alert-raised\" cx=\"\(ReportSVG.n(x(alert.timestampMs)))\" cy=\"\(ReportSVG.n(ty))\" r=\"5\" fill=\"\(colour)\"><title>\(what)</title></circle>"
            } else {
                svg += "<circle class=\"alert-cleared\" cx=\"\(ReportSVG.n(x(alert.timestampMs)))\" cy=\"\(ReportSVG.n(ty))\" r=\"4\" fill=\"#fff\" stroke=\"\(colour)\" stroke-width=\"1.5\"><title>\(what)</title></circle>"
            }
        }
        svg += timeAxis(axisData, y: 10 + Double(rows.count) * rowHeight)
        svg += "</svg>"
        var legend = "<div class=\"legend\">"
        for severity in [Severity.warning, .major, .critical] {
            legend += "<i style=\"background:\(ReportSVG.severityColour(severity));border-radius:5px\"></i>\(severity.name)"
        }
        legend += " · filled: raised, hollow: cleared"
        if data.alertsNotDrawn > 0 { legend += " · \(data.alertsNotDrawn) later alert event(s) not drawn (at most \(ReportData.alertMarksMax))" }
        return svg + legend + "</div></div>\n"
    }

    /// Stacked horizontal bars per sensor: the share of its readings in each status.
    static func statusMix(_ data: ReportData) -> String {
        let sensors = data.sensors.indices.filter { data.sensors[$0].readings > 0 }
        if sensors.isEmpty { return "<p class=\"sub\">No readings.</p>\n" }
        let colours = ["#3c9d5d", "#f0ad00", "#c00000"]
        let names = ["normal", "warning", "alert"]
        let rowHeight = 22.0
        let left = 180.0
        let barWidth = Double(width) - left - 260
        let height = Int(Double(sensors.count) * rowHeight + 16)
        var svg = "<div class=\"panel\">" + ReportSVG.open(width: width, height: height, id: "chart-status-mix", title: "Status mix per sensor")
        for (row, s) in sensors.enumerated() {
            let sensor = data.sensors[s]
            let ty = 8 + Double(row) * rowHeight
            svg += "<text x=\"\(ReportSVG.n(left - 8))\" y=\"\(ReportSVG.n(ty + rowHeight / 2))\" text-anchor=\"end\" dominant-baseline=\"middle\">\(ReportSVG.escape(sensor.name))</text>"
            var offset = left
            for status in 0..<3 where sensor.statusCounts[status] > 0 {
                let w = Double(sensor.statusCounts[status]) / Double(sensor.readings) * barWidth
                svg += "<rect class=\"status-\(names[status])\" x=\"\(ReportSVG.n(offset))\" y=\"\(ReportSVG.n(ty + 3))\" width=\"\(ReportSVG.n(w))\" height=\"\(ReportSVG.n(rowHeight - 6))\" fill=\"\(colours[status])\"><title>\(names[status]): \(sensor.statusCounts[status])</title></rect>"
                offset += w
            }
            let text = (0..<3).map { "\(names[$0]) \(ReportSVG.value(Double(sensor.statusCounts[$0]) * 100 / Double(sensor.readings), decimals: 1)) %" }.joined(separator: " · ")
            svg += "<text x=\"\(ReportSVG.n(left + barWidth + 8))\" y=\"\(ReportSVG.n(ty + rowHeight / 2))\" dominant-baseline=\"middle\" fill=\"#333\" font-size=\"10\">\(text)</text>"
        }
        svg += "</svg>"
        var legend = "<div class=\"legend\">"
        for i in 0..<3 { legend += "<i style=\"background:\(colours[i])\"></i>\(names[i])" }
        return svg + legend + "</div></div>\n"
    }

    /// The newest window summary of each sensor and span: status counts and per quantity
    /// mean ± standard deviation [min, max].
    static func windowTable(_ data: ReportData) -> String {
        var rows = ""
        for sensor in data.sensors {
            for span in 0..<WindowSpan.count {
                guard let (timestampMs, summary) = sensor.lastSummary[span] else { continue }
                var cells = "<td class=\"l\">\(ReportSVG.escape(sensor.name))</td><td>\(spanLabel(span))</td><td class=\"l\">\(ReportSVG.dateTime(timestampMs))</td>"
                cells += "<td>\(summary.normalCount)</td><td>\(summary.warningCount)</td><td>\(summary.alertCount)</td><td>\(summary.anomalyCount)</td>"
                for f in 0..<Feature.count {
                    let stats = summary.features[f]
                    let feature = Feature.at(f)!
                    if stats.count == 0 { cells += "<td>–</td>"; continue }
                    cells += "<td>\(ReportSVG.value(ReportSVG.real(stats.mean, feature))) ± \(ReportSVG.value(ReportSVG.real(stats.standardDeviation, feature)))<br><span class=\"sub\">[\(ReportSVG.value(ReportSVG.real(stats.minimum, feature))), \(ReportSVG.value(ReportSVG.real(stats.maximum, feature)))]</span></td>"
                }
                rows += "<tr>\(cells)</tr>\n"
            }
        }
        var note = "\(data.sensors.reduce(0) { $0 + $1.summaries }) window summary record(s) read; the newest of each sensor and window is shown."
        if rows.isEmpty {
            // No summary records: the same statistics computed from the readings themselves.
            rows = computedRows(data)
            note = "The log holds no window summary records: these statistics are computed from the readings, over each window before the sensor's newest reading."
        }
        if rows.isEmpty { return "<p class=\"sub\">No readings and no window summary records: no window statistics.</p>\n" }
        var head = "<tr><th class=\"l\">sensor</th><th>window</th><th class=\"l\">ending</th><th>normal</th><th>warning</th><th>alert</th><th>anomalies</th>"
        for f in 0..<Feature.count {
            let feature = Feature.at(f)!
            head += "<th>\(feature.name) (\(ReportSVG.unit(feature)))<br>mean ± sd [min, max]</th>"
        }
        return "<div class=\"panel\"><table id=\"window-statistics\">\(head)</tr>\n\(rows)</table><div class=\"legend\">\(note)</div></div>\n"
    }

    /// Table rows of the statistics computed from the readings (`ReportWindowStats`).
    static func computedRows(_ data: ReportData) -> String {
        var rows = ""
        for sensor in data.sensors where sensor.readings > 0 {
            for span in 0..<WindowSpan.count {
                let stats = sensor.computed[span]
                if stats.readings == 0 { continue }
                var cells = "<td class=\"l\">\(ReportSVG.escape(sensor.name))</td><td>\(spanLabel(span))</td><td class=\"l\">\(ReportSVG.dateTime(sensor.lastReadingMs))</td>"
                cells += "<td>\(stats.statusCounts[0])</td><td>\(stats.statusCounts[1])</td><td>\(stats.statusCounts[2])</td><td>\(stats.anomalies)</td>"
                for f in 0..<Feature.count {
                    let feature = Feature.at(f)!
                    guard let (mean, deviation) = stats.meanAndDeviation(f) else { cells += "<td>–</td>"; continue }
                    let scale = pow10(feature.decimals)
                    cells += "<td>\(ReportSVG.value(mean / scale, decimals: 2)) ± \(ReportSVG.value(deviation / scale, decimals: 2))<br><span class=\"sub\">[\(ReportSVG.value(ReportSVG.real(stats.minimum[f], feature))), \(ReportSVG.value(ReportSVG.real(stats.maximum[f], feature)))]</span></td>"
                }
                rows += "<tr>\(cells)</tr>\n"
            }
        }
        return rows
    }

    /// `1 min`, `5 min`, `15 min`, `1 h`.
    static func spanLabel(_ span: Int) -> String {
        let seconds = WindowSpan.at(span)!.seconds
        return seconds >= 3600 ? "\(seconds / 3600) h" : "\(seconds / 60) min"
    }
}
