/// The figures of a benchmark run, printed one per line for `scripts/bench.sh`:
/// `name value` for a measured figure, `name missing reason` for one that could not be measured
/// (never an invented number).
struct BenchReport {
    private(set) var lines: [String] = []

    mutating func add(_ name: String, _ value: Double) {
        precondition(value.isFinite, "a figure must be a finite number")
        lines.append(name + " " + String(value))
    }

    mutating func missing(_ name: String, reason: String) {
        lines.append(name + " missing " + reason)
    }

    func print() {
        for line in lines { Swift.print(line) }
    }
}
