/// The parsed arguments of one subcommand: `--name value` (or `--name=value`) options, boolean
/// flags and positional arguments, checked against what the subcommand accepts.
struct CommandArguments {
    /// The subcommand, for messages (`gen`, `train`).
    let command: String
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positionals: [String] = []

    /// Parses `arguments` for `command`.
    /// - Parameters:
    ///   - valueOptions: option names (without `--`) that take a value.
    ///   - flagOptions: option names that take none (`help` is always accepted).
    ///   - positionalLimit: how many positional arguments are allowed.
    /// - Complexity: O(n) in the number of arguments.
    init(
        command: String, arguments: [String], valueOptions: Set<String>, flagOptions: Set<String> = [],
        positionalLimit: Int = 0
    ) throws(ToolError) {
        precondition(positionalLimit >= 0, "negative positional limit")
        self.command = command
        var index = 0
        // Each pass consumes one or two arguments.
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "-h" || argument == "--help" {
                flags.insert("help")
                continue
            }
            guard argument.hasPrefix("--"), argument.count > 2 else {
                if argument.hasPrefix("-") && argument != "-" {
                    throw ToolError("\(command): unknown option '\(argument)' (see 'outpost-tool \(command) --help')")
                }
                if positionals.count >= positionalLimit {
                    throw ToolError("\(command): unexpected argument '\(argument)' (see 'outpost-tool \(command) --help')")
                }
                positionals.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var inlineValue: String? = nil
            if let equals = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            }
            if flagOptions.contains(name) {
                if inlineValue != nil { throw ToolError("\(command): option '--\(name)' takes no value") }
                flags.insert(name)
                continue
            }
            guard valueOptions.contains(name) else {
                throw ToolError("\(command): unknown option '--\(name)' (see 'outpost-tool \(command) --help')")
            }
            if values[name] != nil { throw ToolError("\(command): option '--\(name)' given twice") }
            if let inlineValue {
                values[name] = inlineValue
            } else {
                guard index < arguments.count else { throw ToolError("\(command): option '--\(name)' needs a value") }
                values[name] = arguments[index]
                index += 1
            }
        }
    }

    /// True when `--help` (or `-h`) was given.
    var wantsHelp: Bool { flags.contains("help") }

    /// The value of `--name`, or nil.
    func string(_ name: String) -> String? { values[name] }

    /// The value of `--name`, which must be given.
    func required(_ name: String) throws(ToolError) -> String {
        guard let value = values[name] else {
            throw ToolError("\(command): option '--\(name)' is required (see 'outpost-tool \(command) --help')")
        }
        if value.isEmpty { throw ToolError("\(command): --\(name): empty value") }
        return value
    }

    /// The value of `--name` as an integer in `range`, or `defaultValue` when absent.
    func integer(_ name: String, default defaultValue: Int, in range: ClosedRange<Int>) throws(ToolError) -> Int {
        guard let text = values[name] else { return defaultValue }
        guard let value = Int(text) else { throw ToolError("\(command): --\(name): '\(text)' is not a whole number") }
        guard range.contains(value) else {
            throw ToolError("\(command): --\(name): \(value) is out of range \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// The value of `--name` as a `UInt64` (seeds), or `defaultValue` when absent.
    func unsigned(_ name: String, default defaultValue: UInt64) throws(ToolError) -> UInt64 {
        guard let text = values[name] else { return defaultValue }
        guard let value = UInt64(text) else {
            throw ToolError("\(command): --\(name): '\(text)' is not a whole number in 0...\(UInt64.max)")
        }
        return value
    }

    /// The value of `--name` as a finite number in `range`, or `defaultValue` when absent.
    func number(_ name: String, default defaultValue: Double, in range: ClosedRange<Double>, excludingLowerBound: Bool = false) throws(ToolError) -> Double {
        guard let text = values[name] else { return defaultValue }
        guard let parsed = DecimalNumber(Array(text.utf8)), parsed.double.isFinite else {
            throw ToolError("\(command): --\(name): '\(text)' is not a number")
        }
        let value = parsed.double
        let low = excludingLowerBound ? "(" : "["
        if !range.contains(value) || (excludingLowerBound && value == range.lowerBound) {
            throw ToolError("\(command): --\(name): \(text) is out of range \(low)\(Self.plain(range.lowerBound)), \(Self.plain(range.upperBound))]")
        }
        return value
    }

    /// A bound as people write it: `0`, `1000000000`, `0.001`.
    static func plain(_ value: Double) -> String {
        if value == value.rounded() && abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
