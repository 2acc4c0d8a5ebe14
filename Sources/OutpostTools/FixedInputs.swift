/// Builds the row-major fixed-point input matrix the forest reads, straight from CSV text.
enum FixedInputs {
    /// `rowCount × columns.count` values: row r, input i is the exact decimal in column
    /// `columns[i]` scaled by `10^decimals[i]`, rounded half away from zero, saturated to Int32.
    /// - Throws: a `ToolError` naming file, line and column for a field that is not a number.
    /// - Complexity: O(rows × columns × field length).
    static func matrix(table: CSVTable, columns: [Int], decimals: [Int]) throws(ToolError) -> [Int32] {
        precondition(columns.count == decimals.count, "one decimals entry per column")
        var values = [Int32](repeating: 0, count: table.rowCount * columns.count)
        for row in 0..<table.rowCount {
            for (input, column) in columns.enumerated() {
                let number = try table.decimal(row: row, column: column)
                values[row * columns.count + input] = number.fixed(decimals: decimals[input])
            }
        }
        return values
    }
}
