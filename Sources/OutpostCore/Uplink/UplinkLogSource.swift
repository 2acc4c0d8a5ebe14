/// The log as the uplink's source: a `LogStore` with the two read positions the uplink uses (the
/// records in order, and the search for alerts), so consecutive reads cost O(1) amortised.
///
/// The daemon either keeps its store inside (`source.store.append(...)`) or moves it in and out
/// around the uplink's calls; both are plain value moves, without allocation.
public struct UplinkLogSource<Device: LogDevice>: UplinkSource {
    public var store: LogStore<Device>
    /// Forward only records known durable (the daemon: `--durability sync` and `batch`), else every
    /// record written (`none`, which never syncs). Durable-only keeps a power cut from taking back
    /// a record the upstream already has, and from handing its sequence to another record.
    public var durableOnly: Bool
    var reader = LogReader(from: 1)
    var alertReader = LogReader(from: 1)

    public init(store: LogStore<Device>, durableOnly: Bool) {
        self.store = store
        self.durableOnly = durableOnly
    }

    public var uplinkLastSequence: UInt64 { durableOnly ? store.durableSequence : store.lastWrittenSequence }

    public var uplinkLogID: UInt64 { store.logID }

    /// - Complexity: O(budget) records; a segment is read from the device once per pass.
    public mutating func uplinkRead(after sequence: UInt64, alertsOnly: Bool, budget: Int, into record: inout LogRecord) -> UplinkRead {
        precondition(budget > 0, "a read needs a budget")
        let through = uplinkLastSequence
        if through <= sequence { return .none(through: sequence) }
        if alertsOnly {
            if alertReader.nextSequence != sequence &+ 1 { alertReader = LogReader(from: sequence &+ 1) }
            do {
                if try store.nextAlert(&alertReader, into: &record, through: through, budget: budget) == .found { return .found }
            } catch {
                return .failed
            }
            return .none(through: max(sequence, alertReader.nextSequence &- 1))
        }
        if reader.nextSequence != sequence &+ 1 { reader = LogReader(from: sequence &+ 1) }
        do {
            if try store.read(&reader, into: &record, through: through) { return .found }
        } catch {
            return .failed
        }
        return .none(through: max(sequence, reader.nextSequence &- 1))
    }
}
