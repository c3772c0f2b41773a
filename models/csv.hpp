// Minimal RFC 4180 CSV reader for parameter tables (header row, quoted fields, CRLF, BOM).
#pragma once
#include <string>
#include <vector>

namespace cs::models {

/// A parsed CSV: a header and data rows, each row remembering its 1-based line number.
struct CsvTable {
    std::vector<std::string> header;
    int header_line = 1; ///< 1-based line of the header row
    struct Row {
        int line = 0;
        std::vector<std::string> cells;
        /// Cell `column`, or "" when the column is absent (< 0) or the row is short.
        std::string cell(int column) const {
            return column >= 0 && column < static_cast<int>(cells.size())
                       ? cells[static_cast<std::size_t>(column)]
                       : std::string();
        }
    };
    std::vector<Row> rows;

    /// Index of the column named `name`, compared case-insensitively and ignoring surrounding
    /// spaces; -1 when absent.
    int column(const std::string &name) const;
};

/// Parse CSV text. Blank lines are skipped. Throws ModelError("<where>, line N: <why>") for an
/// unterminated quote, an empty header, a table separated by semicolons (a header of one cell
/// holding ';'; the first decimal comma such as "12,5" is named when a row has one) and a column
/// name given twice (compared as column() does: without case and surrounding spaces; empty
/// names may repeat). Every table parser of models/ reads through here, so each refuses these.
CsvTable parse_csv(const std::string &text, const std::string &where);

/// Parse a decimal number (leading/trailing spaces allowed). False when not a finite number.
bool parse_number(const std::string &cell, double &out);

} // namespace cs::models
