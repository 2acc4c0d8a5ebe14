extension WindowStore {
    /// The per-bucket header of one sensor's window ring (24 bytes): which bucket of time it holds
    /// and the status distribution of the readings in it. Its five `Accumulator`s live alongside.
    public struct Bucket: BitwiseCopyable, Sendable, Equatable {
        /// `floor(timestampMs / span.bucketMs)` of the readings held, or `Bucket.unused`.
        /// A slot whose number is older than a new reading's is stale and reset when reused.
        public var number: Int64
        /// Readings by status, and how many the forest flagged (saturating, never wrapping).
        public var normalCount: UInt32
        public var warningCount: UInt32
        public var alertCount: UInt32
        public var anomalyCount: UInt32

        /// Marks a slot that never held a reading; older than any real bucket number.
        public static let unused = Int64.min

        /// An empty bucket holding time bucket `number`.
        public init(number: Int64) {
            self.number = number
            normalCount = 0
            warningCount = 0
            alertCount = 0
            anomalyCount = 0
        }

        /// Counts one reading of status `status`.
        /// - Complexity: O(1).
        @inline(__always)
        public mutating func count(status: Status, anomaly: Bool) {
            switch status {
            case .normal: normalCount = Bucket.saturatingIncrement(normalCount)
            case .warning: warningCount = Bucket.saturatingIncrement(warningCount)
            case .alert: alertCount = Bucket.saturatingIncrement(alertCount)
            }
            if anomaly { anomalyCount = Bucket.saturatingIncrement(anomalyCount) }
        }

        @inline(__always)
        static func saturatingIncrement(_ count: UInt32) -> UInt32 { count == UInt32.max ? count : count + 1 }

        @inline(__always)
        static func saturatingAdd(_ a: UInt32, _ b: UInt32) -> UInt32 {
            let (sum, overflow) = a.addingReportingOverflow(b)
            return overflow ? UInt32.max : sum
        }
    }
}
