import Foundation
import XCTest

/// docs/ARCHITECTURE.md names the core's folders and walks one reading through them type by type;
/// these tests keep that text true: every folder it names exists, every core folder is in its
/// table, and every type it names is declared somewhere in the sources (or the test support).
final class ArchitectureDocTests: XCTestCase {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    func document() throws -> String {
        try String(contentsOf: root.appendingPathComponent("docs/ARCHITECTURE.md"), encoding: .utf8)
    }

    /// Every `code span` of the text.
    func codeSpans(_ text: String) -> [String] {
        text.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    func coreFolders() throws -> [String] {
        let core = root.appendingPathComponent("Sources/OutpostCore")
        var folders: [String] = []
        let enumerator = FileManager.default.enumerator(at: core, includingPropertiesForKeys: [.isDirectoryKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try url.resourceValues(forKeys: [.isDirectoryKey])).isDirectory == true else { continue }
            let relative = url.path.dropFirst(core.path.count + 1)
            // A folder with Swift files of its own (Wire/ only groups the codecs).
            let files = try FileManager.default.contentsOfDirectory(atPath: url.path).filter { $0.hasSuffix(".swift") }
            if !files.isEmpty { folders.append(String(relative) + "/") }
        }
        return folders.sorted()
    }

    func testEveryFolderItNamesExistsAndEveryCoreFolderIsInIt() throws {
        let spans = codeSpans(try document())
        let core = root.appendingPathComponent("Sources/OutpostCore")
        for span in spans where span.hasSuffix("/") && !span.hasPrefix("Sources") && !span.hasPrefix("Tests") && !span.hasPrefix("Profiles") {
            var isDirectory: ObjCBool = false
            XCTAssertTrue(
                FileManager.default.fileExists(atPath: core.appendingPathComponent(span).path, isDirectory: &isDirectory) && isDirectory.boolValue,
                "docs/ARCHITECTURE.md names `\(span)`, which is not a folder of Sources/OutpostCore")
        }
        let folders = try coreFolders()
        XCTAssertTrue(folders.contains("Gateway/"))
        for folder in folders {
            // `Wire/CBOR/` may be named with its siblings as `Wire/CBOR/`.
            XCTAssertTrue(spans.contains(folder), "Sources/OutpostCore/\(folder) is missing from docs/ARCHITECTURE.md's folder table")
        }
    }

    func testEveryTypeItNamesIsDeclared() throws {
        let text = try document()
        let walk = text[text.range(of: "## One reading, from the socket")!.lowerBound...]
        // Declared type names and member names, from every Swift file of the sources and tests.
        var types = Set<String>()
        var members = Set<String>()
        let declaration = try NSRegularExpression(pattern: #"\b(struct|enum|protocol|class|typealias|func|var|let|case)\s+([A-Za-z_][A-Za-z0-9_]*)"#)
        for folder in ["Sources", "Tests/OutpostCoreTests"] {
            let enumerator = FileManager.default.enumerator(at: root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            while let url = enumerator?.nextObject() as? URL {
                guard url.pathExtension == "swift" else { continue }
                let source = try String(contentsOf: url, encoding: .utf8)
                for match in declaration.matches(in: source, range: NSRange(source.startIndex..., in: source)) {
                    let kind = String(source[Range(match.range(at: 1), in: source)!])
                    let name = String(source[Range(match.range(at: 2), in: source)!])
                    if ["func", "var", "let", "case"].contains(kind) { members.insert(name) } else { types.insert(name) }
                }
            }
        }
        var checked = 0
        for span in codeSpans(String(walk)) {
            let name = String(span.prefix { $0.isLetter || $0.isNumber })
            guard let first = name.first, first.isUppercase, name.count > 2, !span.contains("/"), !span.contains(" ") else { continue }
            XCTAssertTrue(types.contains(name), "docs/ARCHITECTURE.md names `\(span)`, but no type \(name) is declared")
            if span.contains(".") {
                let member = String(span.split(separator: ".")[1].prefix { $0.isLetter || $0.isNumber })
                XCTAssertTrue(members.contains(member), "`\(span)`: no member \(member) is declared")
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 30, "the walk names the types on the path")
    }
}
