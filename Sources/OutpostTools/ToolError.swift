/// A failure that ends a subcommand with a message on stderr and a non-zero exit code.
///
/// Every problem with the user's input (flags, CSV, model files) is a `ToolError` with exit code 2,
/// and its message names what was wrong and where (`data.csv:17:3 (column 'humidity'): ...`), so a
/// script calling the tool can tell bad input (2) from a failure of the machine (1).
public struct ToolError: Error, Equatable, CustomStringConvertible {
    /// The text printed after `outpost-tool: `.
    public var message: String
    /// The process exit code: 2 for bad input, 1 for I/O failures.
    public var exitCode: Int32

    public init(_ message: String, exitCode: Int32 = 2) {
        precondition(exitCode != 0, "an error must not exit with success")
        self.message = message
        self.exitCode = exitCode
    }

    public var description: String { message }

    /// An input/output failure (not the user's input), exit code 1.
    public static func io(_ message: String) -> ToolError { ToolError(message, exitCode: 1) }
}
