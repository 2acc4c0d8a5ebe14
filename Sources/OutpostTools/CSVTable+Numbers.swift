extension CSVTable {
    /// Field `column` of row `row` as an exact decimal number.
    /// - Throws: a `ToolError` naming file, line and column when the field is empty or not a number.
    public func decimal(row: Int, column: Int) throws(ToolError) -> DecimalNumber {
        let bytes = field(row: row, column: column)
        if let number = DecimalNumber(bytes) { return number }
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { throw fieldError(row: row, column: column, "empty value, a number is required") }
        throw fieldError(row: row, column: column, "'\(text(row: row, column: column))' is not a number")
    }

    /// Field `column` of row `row` as a finite `Double`.
    public func double(row: Int, column: Int) throws(ToolError) -> Double {
        let value = try decimal(row: row, column: column).double
        if !value.isFinite { throw fieldError(row: row, column: column, "'\(text(row: row, column: column))' is out of range") }
        return value
    }

    /// Field `column` of row `row` as a 0/1 label.
    public func label(row: Int, column: Int) throws(ToolError) -> Bool {
        let bytes = field(row: row, column: column)
        if let number = DecimalNumber(bytes) {
            if number.digits.isEmpty { return false }
            if number.digits == [1] && number.exponent == 0 && !number.negative { return true }
        }
        throw fieldError(row: row, column: column, "'\(text(row: row, column: column))' is not a label (0 or 1)")
    }
}
