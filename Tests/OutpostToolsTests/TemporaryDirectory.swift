import Foundation
import OutpostTools

/// A fresh folder for one test's files, removed when the test ends.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "outpost-tools-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the folder.
    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let target = file(name)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, bytes: [UInt8]) -> String {
        let target = file(name)
        try! Data(bytes).write(to: URL(fileURLWithPath: target))
        return target
    }

    /// The bytes of `name`.
    func read(_ name: String) -> [UInt8] { [UInt8](try! Data(contentsOf: URL(fileURLWithPath: file(name)))) }
}

/// What one `outpost-tool` invocation returned.
struct ToolRun {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Runs the tool's command line in process with captured output.
func runTool(_ arguments: [String]) -> ToolRun {
    let out = TextSink.memory()
    let err = TextSink.memory()
    let code = OutpostTool.run(arguments: arguments, stdout: out, stderr: err)
    return ToolRun(code: code, stdout: out.capturedText, stderr: err.capturedText)
}
