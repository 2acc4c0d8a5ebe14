import XCTest
@testable import OutpostTools

final class OutpostToolTests: XCTestCase {
    func testOverviewListsEveryCommand() {
        for arguments in [["--help"], ["-h"], ["help"]] {
            let run = runTool(arguments)
            XCTAssertEqual(run.code, 0)
            for name in ["gen", "train", "score", "eval", "embed-model", "import"] {
                XCTAssertTrue(run.stdout.contains("  \(name) "), name)
            }
        }
    }

    func testEveryCommandHasHelp() {
        for name in ["gen", "train", "score", "eval", "embed-model", "import"] {
            let run = runTool([name, "--help"])
            XCTAssertEqual(run.code, 0, name)
            XCTAssertTrue(run.stdout.hasPrefix("usage: outpost-tool \(name)"), name)
            XCTAssertEqual(runTool(["help", name]).stdout, run.stdout)
        }
    }

    func testNoCommandOrUnknownCommandExitsWithTwo() {
        let none = runTool([])
        XCTAssertEqual(none.code, 2)
        XCTAssertTrue(none.stderr.hasPrefix("outpost-tool: no command given"))
        let unknown = runTool(["frobnicate"])
        XCTAssertEqual(unknown.code, 2)
        // The message names the command and lists the commands (the list grows as commands arrive).
        XCTAssertTrue(unknown.stderr.hasPrefix("outpost-tool: unknown command 'frobnicate' (commands: gen, train, score, eval, embed-model"), unknown.stderr)
        XCTAssertTrue(unknown.stderr.hasSuffix("; see 'outpost-tool --help')\n"), unknown.stderr)
        XCTAssertEqual(unknown.stdout, "")
    }

    func testRequiredOptionsAreNamed() {
        let run = runTool(["train", "--out", "m.opm"])
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: train: option '--input' is required (see 'outpost-tool train --help')\n")
        let both = runTool(["train", "--input", "a.csv", "--out", "m.opm", "--contamination", "0.1", "--threshold", "0.6"])
        XCTAssertEqual(both.code, 2)
        XCTAssertEqual(both.stderr, "outpost-tool: train: give either --contamination or --threshold, not both\n")
        let badQ = runTool(["train", "--input", "a.csv", "--out", "m.opm", "--contamination", "1"])
        XCTAssertEqual(badQ.code, 2)
        let badTrees = runTool(["train", "--input", "a.csv", "--out", "m.opm", "--trees", "2000"])
        XCTAssertEqual(badTrees.stderr, "outpost-tool: train: --trees: 2000 is out of range 1...1024\n")
    }

    func testWriteFailureIsAnIOError() {
        let run = runTool(["gen", "--sensors", "1", "--duration", "1", "--out", "/nonexistent-dir/x.csv"])
        XCTAssertEqual(run.code, 2)
        XCTAssertTrue(run.stderr.hasPrefix("outpost-tool: /nonexistent-dir/x.csv: cannot create"))
    }

    func testADirectoryIsNotAnInputFile() {
        let dir = TemporaryDirectory()
        let run = runTool(["eval", "--model", dir.path, "--input", "-"])
        XCTAssertEqual(run.code, 2)
        XCTAssertEqual(run.stderr, "outpost-tool: \(dir.path): is a directory, not a file\n")
    }

    func testUnwritableOutputIsAnIOError() {
        // /dev/full accepts the open and fails every write with ENOSPC: exit code 1, not 2.
        let run = runTool(["gen", "--sensors", "50", "--duration", "100", "--out", "/dev/full"])
        XCTAssertEqual(run.code, 1)
        XCTAssertTrue(run.stderr.hasPrefix("outpost-tool: /dev/full: write failed"), run.stderr)
    }
}
