import Glibc
import OutpostTools

// Thin entry point: all behaviour lives in OutpostTools, where tests can call it.
exit(OutpostTool.run(arguments: Array(CommandLine.arguments.dropFirst()), stdout: .standardOutput(), stderr: .standardError()))
