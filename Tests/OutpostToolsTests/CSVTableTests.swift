import XCTest
@testable import OutpostTools

final class CSVTableTests: XCTestCase {
    func table(_ text: String, name: String = "data.csv") throws -> CSVTable {
        try CSVTable(bytes: Array(text.utf8), name: name)
    }

    func error(_ text: String, name: String = "data.csv") -> String? {
        do {
            _ = try CSVTable(bytes: Array(text.utf8), name: name)
            return nil
        } catch {
            return error.message
        }
    }

    func testParsesHeaderRowsQuotesAndCRLF() throws {
        let t = try table("\u{FEFF}a, b ,c\r\n1,\"x,y\",\"say \"\"hi\"\"\"\r\n\r\n2,,\"multi\nline\"\r\n3,z,last")
        XCTAssertEqual(t.columns, ["a", "b", "c"])
        XCTAssertEqual(t.rowCount, 3)
        XCTAssertEqual(t.text(row: 0, column: 1), "x,y")
        XCTAssertEqual(t.text(row: 0, column: 2), "say \"hi\"")
        XCTAssertEqual(t.text(row: 1, column: 1), "")
        XCTAssertEqual(t.text(row: 1, column: 2), "multi\nline")
        XCTAssertEqual(t.text(row: 2, column: 2), "last")
        // Line numbers are physical: the blank line and the quoted newline count.
        XCTAssertEqual(t.line(ofRow: 0), 2)
        XCTAssertEqual(t.line(ofRow: 1), 4)
        XCTAssertEqual(t.line(ofRow: 2), 6)
    }

    func testTrailingCommaMakesAnEmptyLastField() throws {
        let t = try table("a,b\n1,\n")
        XCTAssertEqual(t.rowCount, 1)
        XCTAssertEqual(t.text(row: 0, column: 0), "1")
        XCTAssertEqual(t.text(row: 0, column: 1), "")
    }

    func testHeaderOnlyHasNoRows() throws {
        XCTAssertEqual(try table("a,b\n").rowCount, 0)
    }

    func testNotANumberNamesFileLineAndColumn() throws {
        let t = try table("sensor_id,temperature,humidity\ns1,20.5,50\ns2,21,abc\n")
        XCTAssertEqual(try t.double(row: 0, column: 1), 20.5)
        XCTAssertThrowsError(try t.double(row: 1, column: 2)) { error in
            XCTAssertEqual((error as? ToolError)?.message, "data.csv:3:3 (column 'humidity'): 'abc' is not a number")
            XCTAssertEqual((error as? ToolError)?.exitCode, 2)
        }
    }

    func testEmptyFieldIsNotANumber() throws {
        let t = try table("a,b\n1,\n")
        XCTAssertThrowsError(try t.double(row: 0, column: 1)) { error in
            XCTAssertEqual((error as? ToolError)?.message, "data.csv:2:2 (column 'b'): empty value, a number is required")
        }
    }

    func testNonFiniteAndHexAreRefused() throws {
        let t = try table("a,b,c\nnan,inf,0x10\n")
        for column in 0..<3 {
            XCTAssertThrowsError(try t.double(row: 0, column: column))
        }
    }

    func testMissingColumnListsTheColumns() throws {
        let t = try table("a,b,c\n1,2,3\n")
        XCTAssertThrowsError(try t.columnIndex("vibration")) { error in
            XCTAssertEqual((error as? ToolError)?.message, "data.csv: no column 'vibration' (columns: a, b, c)")
        }
    }

    func testEmptyFileIsRefused() {
        XCTAssertEqual(error(""), "data.csv: empty file (a header line is required)")
        XCTAssertEqual(error("\n\r\n"), "data.csv: empty file (a header line is required)")
    }

    func testRaggedRowsAreRefused() {
        XCTAssertEqual(error("a,b,c\n1,2,3\n1,2\n"), "data.csv:3: 2 fields, expected 3 as in the header")
        XCTAssertEqual(error("a,b\n1,2,3\n"), "data.csv:2: 3 fields, expected 2 as in the header")
    }

    func testBadQuotingIsRefused() {
        XCTAssertEqual(error("a,b\n1,\"open\n"), "data.csv:2:2: unterminated quoted field")
        XCTAssertEqual(error("a,b\n\"x\"y,2\n"), "data.csv:2:1: unexpected 'y' after a closing quote")
    }

    func testBadHeadersAreRefused() {
        XCTAssertEqual(error("a,,c\n"), "data.csv:1:2: empty column name in the header")
        XCTAssertEqual(error("a,b,a\n"), "data.csv:1:3: duplicate column 'a'")
    }

    func testLabels() throws {
        let t = try table("label\n0\n1\n1.0\n2\nyes\n")
        XCTAssertEqual(try t.label(row: 0, column: 0), false)
        XCTAssertEqual(try t.label(row: 1, column: 0), true)
        XCTAssertEqual(try t.label(row: 2, column: 0), true)
        XCTAssertThrowsError(try t.label(row: 3, column: 0)) { error in
            XCTAssertEqual((error as? ToolError)?.message, "data.csv:5:1 (column 'label'): '2' is not a label (0 or 1)")
        }
        XCTAssertThrowsError(try t.label(row: 4, column: 0))
    }

    func testMissingFileIsABadInputError() {
        XCTAssertThrowsError(try CSVTable.load("/nonexistent/outpost/data.csv")) { error in
            let toolError = error as? ToolError
            XCTAssertEqual(toolError?.exitCode, 2)
            XCTAssertTrue(toolError?.message.hasPrefix("/nonexistent/outpost/data.csv: cannot open") ?? false)
        }
    }
}
