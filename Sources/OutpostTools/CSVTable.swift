/// A comma-separated table loaded whole into memory, with a required header line.
///
/// Accepted syntax (RFC 4180 plus common leniencies): fields separated by `,`, records ended by
/// `\n` or `\r\n`, fields optionally in double quotes (a quote inside is written `""`, and a
/// quoted field may span lines), blank lines skipped, a UTF-8 byte order mark ignored. Header
/// names are trimmed of spaces. Every data row must have as many fields as the header.
///
/// Field bytes are copied (unescaped) into one contiguous buffer, and a flat offset table finds
/// field `c` of row `r`, so a million-row file costs two allocations, not millions of strings.
public struct CSVTable {
    /// How the input is named in messages (the path, or `<stdin>`).
    public let name: String
    /// The header's column names, in file order.
    public let columns: [String]
    /// Number of data rows (the header excluded).
    public let rowCount: Int
    /// Unescaped field bytes of the data rows, back to back.
    let storage: [UInt8]
    /// Start of field `c` of row `r` in `storage` at `r * columns.count + c`; one extra entry at
    /// the end, so the end of a field is always the start of the next.
    let offsets: [Int]
    /// Physical line (1-based) on which each data row starts.
    let lines: [Int]

    /// Reads the CSV file at `path` (`-` for standard input).
    /// - Complexity: O(n) in the file size.
    public static func load(_ path: String) throws(ToolError) -> CSVTable {
        let bytes = try FileBytes.read(path)
        return try CSVTable(bytes: bytes, name: FileBytes.displayName(path))
    }

    /// Parses `bytes`; `name` is used in error messages.
    /// - Complexity: O(n) in the number of bytes.
    public init(bytes: [UInt8], name: String) throws(ToolError) {
        var parser = CSVParser(bytes: bytes, name: name)
        var storage: [UInt8] = []
        storage.reserveCapacity(bytes.count)
        var offsets: [Int] = []
        var lines: [Int] = []
        var header: [String] = []
        var fieldStarts: [Int] = []
        // First record: the header.
        guard let headerLine = try parser.nextRecord(into: &storage, fieldStarts: &fieldStarts) else {
            throw ToolError("\(name): empty file (a header line is required)")
        }
        for (index, start) in fieldStarts.enumerated() {
            let end = index + 1 < fieldStarts.count ? fieldStarts[index + 1] : storage.count
            let text = String(decoding: storage[start..<end], as: UTF8.self).trimmingSpaces
            if text.isEmpty { throw ToolError("\(name):\(headerLine):\(index + 1): empty column name in the header") }
            if header.contains(text) { throw ToolError("\(name):\(headerLine):\(index + 1): duplicate column '\(text)'") }
            header.append(text)
        }
        storage.removeAll(keepingCapacity: true)
        let width = header.count
        // Data records; each one consumes at least one byte, so the input size bounds the loop.
        var records = 0
        while records <= bytes.count {
            records += 1
            fieldStarts.removeAll(keepingCapacity: true)
            guard let line = try parser.nextRecord(into: &storage, fieldStarts: &fieldStarts) else { break }
            if fieldStarts.count != width {
                throw ToolError("\(name):\(line): \(fieldStarts.count) field\(fieldStarts.count == 1 ? "" : "s"), expected \(width) as in the header")
            }
            offsets.append(contentsOf: fieldStarts)
            lines.append(line)
        }
        offsets.append(storage.count)
        self.name = name
        self.columns = header
        self.rowCount = lines.count
        self.storage = storage
        self.offsets = offsets
        self.lines = lines
    }

    /// The index of the column named `column`.
    public func columnIndex(_ column: String) throws(ToolError) -> Int {
        if let index = columns.firstIndex(of: column) { return index }
        throw ToolError("\(name): no column '\(column)' (columns: \(columns.joined(separator: ", ")))")
    }

    /// The physical line (1-based) where data row `row` starts.
    public func line(ofRow row: Int) -> Int {
        precondition(row >= 0 && row < rowCount, "row out of range")
        return lines[row]
    }

    /// The unescaped bytes of field `column` of data row `row`.
    @inline(__always)
    public func field(row: Int, column: Int) -> ArraySlice<UInt8> {
        precondition(row >= 0 && row < rowCount, "row out of range")
        precondition(column >= 0 && column < columns.count, "column out of range")
        let index = row * columns.count + column
        return storage[offsets[index]..<offsets[index + 1]]
    }

    /// Field `column` of data row `row` as text.
    public func text(row: Int, column: Int) -> String {
        String(decoding: field(row: row, column: column), as: UTF8.self)
    }

    /// An error about one field, named `file:line:column (column 'name'): what`.
    public func fieldError(row: Int, column: Int, _ what: String) -> ToolError {
        ToolError("\(name):\(line(ofRow: row)):\(column + 1) (column '\(columns[column])'): \(what)")
    }
}
