import CHAL
import CMallocCounter
import OutpostCore
import XCTest

/// The configuration file's parser (docs/CONFIG.md): what it takes, every refusal with its
/// `FILE:LINE:` message, its limits, and that it parses without allocating.
final class ConfigParserTests: XCTestCase {
    /// Every `key = value` line of `text` as (line, "section.key", value), or the formatted error.
    func parse(_ text: String) -> (lines: [(Int, String, String)], error: String?) {
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { raw in
            let buffer = UnsafeRawBufferPointer(raw)
            var lines: [(Int, String, String)] = []
            do throws(ConfigError) {
                var parser = try ConfigParser(buffer)
                while let line = try parser.next() {
                    let key = "\(ConfigKey.sectionName(line.key.section)).\(line.key.name)"
                    lines.append((line.line, key, String(decoding: line.value, as: UTF8.self)))
                }
                return (lines, nil)
            } catch {
                return (lines, Self.message(error, buffer))
            }
        }
    }

    static func message(_ error: ConfigError, _ text: UnsafeRawBufferPointer) -> String {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: 1024, alignment: 1)
        defer { storage.deallocate() }
        var writer = TextWriter(buffer: storage)
        let path = Array("site.conf".utf8)
        path.withUnsafeBytes { error.write(path: $0, text: text, into: &writer) }
        XCTAssertFalse(writer.overflowed)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    func testSectionsKeysValuesCommentsAndQuotes() {
        let text = """
            # a comment
            [daemon]
            node_id = gw-7          # trailing comment
              log_level=debug
            data_dir = "/var/lib/outpost # not a comment"

            [ coap ]  # blanks inside the brackets
            listen = 127.0.0.1:5683
            listen = "[::1]:5683"
            [serial]
            port = /dev/ttyUSB0@9600:line\r
            [log]
            size = 16M
            \tdurability =\tbatch
            when_full = reject-new
            [uplink]
            upstream = coap://127.0.0.1:5700/ingest
            forward = alerts
            rate = 25
            """
        let result = parse(text)
        XCTAssertNil(result.error)
        let expected: [(Int, String, String)] = [
            (3, "daemon.node_id", "gw-7"), (4, "daemon.log_level", "debug"),
            (5, "daemon.data_dir", "/var/lib/outpost # not a comment"), (8, "coap.listen", "127.0.0.1:5683"),
            (9, "coap.listen", "[::1]:5683"), (11, "serial.port", "/dev/ttyUSB0@9600:line"), (13, "log.size", "16M"),
            (14, "log.durability", "batch"), (15, "log.when_full", "reject-new"),
            (17, "uplink.upstream", "coap://127.0.0.1:5700/ingest"), (18, "uplink.forward", "alerts"), (19, "uplink.rate", "25"),
        ]
        XCTAssertEqual(result.lines.count, expected.count)
        for (got, want) in zip(result.lines, expected) {
            XCTAssertEqual(got.0, want.0)
            XCTAssertEqual(got.1, want.1)
            XCTAssertEqual(got.2, want.2)
        }
    }

    func testEmptyAndCommentOnlyFilesHaveNoLines() {
        XCTAssertEqual(parse("").lines.count, 0)
        XCTAssertNil(parse("").error)
        let result = parse("# nothing\n\n   \n[daemon]\n# node_id = x\n")
        XCTAssertNil(result.error)
        XCTAssertEqual(result.lines.count, 0)
    }

    /// Each refusal, with the exact message the daemon prints after `outpost: `.
    func testEveryErrorNamesFileLineAndWhy() {
        let cases: [(String, String)] = [
            ("[colours]\n", "site.conf:1: unknown section (sections: daemon, coap, serial, log, uplink, http, mqtt, sensors, thresholds): '[colours]'"),
            ("[daemon]\n\ncolour = red\n", "site.conf:3: unknown key 'colour' in [daemon] (its keys: node_id, log_level, data_dir, command_expiry, model, retrain_every, retrain_window, retrain_seed)"),
            ("[uplink]\nlisten = 127.0.0.1:1\n", "site.conf:2: unknown key 'listen' in [uplink] (its keys: upstream, forward, rate, format)"),
            ("node_id = x\n", "site.conf:1: key before any [section]: 'node_id'"),
            ("[daemon]\nnode_id x\n", "site.conf:2: expected 'key = value', '[section]' or a '#' comment"),
            ("[daemon]\nNode_Id = x\n", "site.conf:2: expected 'key = value', '[section]' or a '#' comment"),
            ("[daemon]\n= x\n", "site.conf:2: expected 'key = value', '[section]' or a '#' comment"),
            ("[daemon]\nnode_id =\n", "site.conf:2: [daemon] node_id: no value (write a value after '='; quote it when it has '#' or blanks)"),
            ("[daemon]\nnode_id = # only a comment\n", "site.conf:2: [daemon] node_id: no value (write a value after '='; quote it when it has '#' or blanks)"),
            ("[daemon]\nnode_id = \"\"\n", "site.conf:2: [daemon] node_id: no value (write a value after '='; quote it when it has '#' or blanks)"),
            ("[daemon]\nnode_id = \"gw\n", "site.conf:2: [daemon] node_id: unterminated quoted value (no closing '\"')"),
            ("[daemon]\nnode_id = \"gw\" x\n", "site.conf:2: [daemon] node_id 'x': text after the quoted value (only a '#' comment may follow)"),
            ("[daemon] x\n", "site.conf:1: text after the section (only a '#' comment may follow) 'x'"),
            ("[daemon\n", "site.conf:1: section without its closing ']'"),
            ("[daemon]\nnode_id = a\n\nnode_id = b\n", "site.conf:4: [daemon] node_id: set twice (it takes one value) (first set on line 2)"),
            ("[daemon]\nnode_id = a\u{1}b\n", "site.conf:2: control byte in the line (only printable text and tabs)"),
        ]
        for (text, message) in cases {
            let result = parse(text)
            XCTAssertEqual(result.error, message, text)
        }
    }

    func testRepeatableKeysMayRepeatAndOthersMayNot() {
        let result = parse("[coap]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n[serial]\nport = /dev/a\nport = /dev/b\n")
        XCTAssertNil(result.error)
        XCTAssertEqual(result.lines.map { $0.2 }, ["127.0.0.1:1", "127.0.0.1:2", "/dev/a", "/dev/b"])
        // The same key name in another section is another key.
        XCTAssertNil(parse("[log]\nsize = 16K\n[uplink]\nrate = 1\n").error)
    }

    func testLineLengthLimit() {
        let longest = "[daemon]\nnode_id = \"" + String(repeating: "a", count: ConfigParser.maxLineBytes - 12) + "\"\n"
        XCTAssertNil(parse(longest).error)
        let tooLong = "[daemon]\nnode_id = \"" + String(repeating: "a", count: ConfigParser.maxLineBytes - 11) + "\"\n"
        XCTAssertEqual(parse(tooLong).error, "site.conf:2: line longer than 256 bytes")
        // The line end (\r\n) does not count.
        XCTAssertNil(parse(String(repeating: "#", count: ConfigParser.maxLineBytes) + "\r\n").error)
    }

    func testLineCountLimit() {
        // Line 511 opens the section, line 512 (the last allowed) sets a key.
        let most = String(repeating: "\n", count: ConfigParser.maxLines - 2) + "[daemon]\nnode_id = x\n"
        let result = parse(most)
        XCTAssertNil(result.error)
        XCTAssertEqual(result.lines.first?.0, ConfigParser.maxLines)
        let tooMany = String(repeating: "#\n", count: ConfigParser.maxLines) + "[daemon]\n"
        XCTAssertEqual(parse(tooMany).error, "site.conf:513: more than 512 lines (the most a configuration file may have)")
    }

    func testFileSizeLimit() {
        let largest = String(repeating: String(repeating: "#", count: 15) + "\n", count: ConfigParser.maxFileBytes / 16)
        XCTAssertEqual(largest.utf8.count, ConfigParser.maxFileBytes)
        XCTAssertNil(parse(largest).error)
        XCTAssertEqual(parse(largest + "#").error, "site.conf: larger than 8192 bytes (the most the daemon reads)")
    }

    /// The daemon's setters refuse values with `ConfigError(value:reason:)`: the message quotes it.
    func testValueErrorMessageQuotesTheValue() {
        var bytes = Array("[uplink]\nrate = fast  # per second\n".utf8)
        let message: String = bytes.withUnsafeMutableBytes { raw in
            let text = UnsafeRawBufferPointer(raw)
            var parser = try! ConfigParser(text)
            let line = try! parser.next()!
            XCTAssertEqual(line.key, .uplinkRate)
            return Self.message(ConfigError(value: line, reason: "wants records per second, 0 (unlimited) to 1000000"), text)
        }
        XCTAssertEqual(message, "site.conf:2: [uplink] rate 'fast': wants records per second, 0 (unlimited) to 1000000")
    }

    /// Every key has a distinct name in its section and a distinct flag, both found again.
    func testKeyTableIsConsistent() {
        var names = Set<String>()
        var flags = Set<String>()
        for raw in 0..<ConfigKey.count {
            let key = ConfigKey(rawValue: UInt8(raw))!
            XCTAssertTrue(names.insert("\(ConfigKey.sectionName(key.section)).\(key.name)").inserted)
            XCTAssertTrue(flags.insert("\(key.flag)").inserted)
            let flagText = "\(key.flag)"
            Array(flagText.utf8).withUnsafeBytes { XCTAssertEqual(ConfigKey(flag: $0), key) }
            Array("\(key.name)".utf8).withUnsafeBytes { XCTAssertEqual(ConfigKey(section: key.section, name: $0), key) }
            Array("\(ConfigKey.sectionName(key.section))".utf8).withUnsafeBytes { XCTAssertEqual(ConfigKey.section(named: $0), key.section) }
            XCTAssertTrue("\(ConfigKey.sectionKeys(key.section))".contains("\(key.name)"))
        }
        XCTAssertNil(ConfigKey(rawValue: UInt8(ConfigKey.count)))
        Array("--config".utf8).withUnsafeBytes { XCTAssertNil(ConfigKey(flag: $0)) }
        XCTAssertEqual((0..<ConfigKey.count).filter { ConfigKey(rawValue: UInt8($0))!.live }.count, 7)
    }

    /// The example at the repository root: every key appears (commented, with its default), and
    /// with the comment marks removed the file parses, giving every key.
    func testExampleFileCoversEveryKeyAndParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = try String(contentsOf: root.appendingPathComponent("outpost.conf"), encoding: .utf8)
        XCTAssertNil(parse(example).error)
        XCTAssertEqual(parse(example).lines.count, 0, "the example shows the defaults commented out")
        let uncommented = example.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // `# key = value` lines become `key = value`; prose comments stay.
            let pattern = #"^# ([a-z_]+) = "#
            if line.range(of: pattern, options: .regularExpression) != nil { return String(line.dropFirst(2)) }
            return String(line)
        }.joined(separator: "\n")
        let result = parse(uncommented)
        XCTAssertNil(result.error)
        let keys = Set(result.lines.map { $0.1 })
        for raw in 0..<ConfigKey.count {
            let key = ConfigKey(rawValue: UInt8(raw))!
            XCTAssertTrue(keys.contains("\(ConfigKey.sectionName(key.section)).\(key.name)"), "\(key.name) missing from outpost.conf")
        }
    }

    func testParsingDoesNotAllocate() {
        var bytes = Array("[daemon]\nnode_id = gw\n[coap]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n[uplink]\nrate = 5\n".utf8)
        bytes.withUnsafeMutableBytes { raw in
            let text = UnsafeRawBufferPointer(raw)
            var count = 0
            // One parse first: the host runtime instantiates the parser's generic metadata
            // (its InlineArray) once per process; that is not the parsing's (Embedded has none).
            var warm = try! ConfigParser(text)
            while try! warm.next() != nil {}
            malloc_counter_start()
            for _ in 0..<1_000 {
                var parser = try! ConfigParser(text)
                while let line = try! parser.next() { count += line.value.count }
            }
            let allocations = malloc_counter_stop()
            XCTAssertEqual(allocations, 0)
            XCTAssertEqual(count, 1_000 * (2 + 11 + 11 + 1))
        }
    }

    func testValueSyntax() {
        func size(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBytes { ConfigValue.size($0) } }
        func count(_ s: String) -> Int64? { Array(s.utf8).withUnsafeBytes { ConfigValue.count($0) } }
        XCTAssertEqual(size("16K"), 16_384)
        XCTAssertEqual(size("16k"), 16_384)
        XCTAssertEqual(size("2M"), 2_097_152)
        XCTAssertEqual(size("123"), 123)
        XCTAssertEqual(size("999999999999"), 999_999_999_999)
        for bad in ["", "K", "-1", "1G", "1.5M", "1 K", "9999999999999"] { XCTAssertNil(size(bad), bad) }
        XCTAssertEqual(count("25"), 25)
        XCTAssertNil(count("25K"))
        XCTAssertNil(count(""))
    }

    func testLogLevels() {
        for level in [LogLevel.error, .warning, .notice, .info, .debug] {
            Array("\(level.name)".utf8).withUnsafeBytes { XCTAssertEqual(LogLevel(name: $0), level) }
        }
        Array("warn".utf8).withUnsafeBytes { XCTAssertNil(LogLevel(name: $0)) }
        XCTAssertEqual(LogLevel.error.rawValue, 3)
        XCTAssertEqual(LogLevel.debug.rawValue, 7)
        XCTAssertTrue(LogLevel.info.admits(.warning))
        XCTAssertTrue(LogLevel.info.admits(.info))
        XCTAssertFalse(LogLevel.info.admits(.debug))
        XCTAssertFalse(LogLevel.error.admits(.warning))
    }

    func testJournalStreamMatchesOnlyItsOwnDeviceAndInode() {
        func matches(_ s: String, _ d: UInt64, _ i: UInt64) -> Bool { Array(s.utf8).withUnsafeBytes { JournalStream.matches($0, device: d, inode: i) } }
        XCTAssertTrue(matches("8:1234567", 8, 1_234_567))
        XCTAssertFalse(matches("8:1234567", 8, 1_234_568))
        XCTAssertFalse(matches("9:1234567", 8, 1_234_567))
        XCTAssertTrue(matches("18446744073709551:1", 18_446_744_073_709_551, 1))
        for bad in ["", ":", "8:", ":5", "8:5:", "8;5", "a:5", "8: 5", "99999999999999999999:1"] {
            XCTAssertNil(Array(bad.utf8).withUnsafeBytes { JournalStream.parse($0) }, bad)
        }
    }

    func testRateLimiterCountsWhatItSuppresses() {
        var limiter = EventRateLimiter<2>(perWindow: 3, windowMs: 60_000)
        var written = 0
        for i in 0..<10 where limiter.admit(0, nowMs: 1_000 + Int64(i)) { written += 1 }
        XCTAssertEqual(written, 3)
        XCTAssertEqual(limiter.pending(0), 7)
        // The other kind has its own budget.
        XCTAssertTrue(limiter.admit(1, nowMs: 2_000))
        // Still inside the window: nothing to report yet.
        XCTAssertEqual(limiter.roll(0, nowMs: 60_999), 0)
        XCTAssertEqual(limiter.roll(0, nowMs: 61_000), 7)
        XCTAssertEqual(limiter.roll(0, nowMs: 61_001), 0)
        XCTAssertTrue(limiter.admit(0, nowMs: 61_002))
        // A window without suppressed lines reports nothing; a clock going back ends the window.
        XCTAssertEqual(limiter.roll(1, nowMs: 1_000), 0)
        XCTAssertTrue(limiter.admit(1, nowMs: 1_000))
    }

    /// The core's errno names are CHAL's (which chal_posix.c checks against <errno.h>).
    func testErrnoCodesAgreeWithCHAL() {
        XCTAssertEqual(ErrnoCode.io, CHAL_EIO)
        XCTAssertEqual(ErrnoCode.fileTooLarge, CHAL_EFBIG)
        XCTAssertEqual(ErrnoCode.noSpace, CHAL_ENOSPC)
        XCTAssertEqual(ErrnoCode.readOnly, CHAL_EROFS)
        XCTAssertEqual(ErrnoCode.quotaExceeded, CHAL_EDQUOT)
        XCTAssertEqual(LogIOError.from(negativeErrno: CHAL_EDQUOT), .noSpace)
        XCTAssertEqual(LogIOError.from(negativeErrno: CHAL_EIO), .io(CHAL_EIO))
        XCTAssertEqual(LogIOError.noSpace.negativeErrno, CHAL_ENOSPC)
    }
}
