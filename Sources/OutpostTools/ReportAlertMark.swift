import OutpostCore

/// One alert event of the log as the report draws it: when, which sensor (index into the report's
/// sensors), raised or cleared, its kind, severity and quantity.
struct ReportAlertMark {
    let timestampMs: Int64
    let sensor: Int
    let raised: Bool
    let kind: AlertKind
    let severity: Severity
    let feature: Feature?
    /// The value that crossed the threshold (fixed point, the feature's decimals), for the tooltip.
    let value: Int32
}
