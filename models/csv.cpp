// CSV reading for parameter tables.
#include "models/csv.hpp"

#include "models/model_error.hpp"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>

namespace cs::models {

namespace {
std::string trim(const std::string &s) {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) {
        ++b;
    }
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) {
        --e;
    }
    return s.substr(b, e - b);
}

std::string lower(std::string s) {
    for (auto &c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

const char *const SAVE_AS_CSV =
    "save it as CSV with ',' between columns and '.' as the decimal separator";

/// A table saved with ';' between columns (as spreadsheets do where ',' is the decimal
/// separator) reads as one column per row: its header is one cell holding ';' and no ','.
/// Throws naming the first cell that looks like a decimal comma ("12,5": digits on both sides of
/// a ',' that split a row), or the header.
void refuse_semicolon_separated(const CsvTable &table, const std::string &where) {
    if (table.header.size() != 1 || table.header[0].find(';') == std::string::npos) {
        return;
    }
    for (const auto &row : table.rows) {
        for (std::size_t i = 0; i + 1 < row.cells.size(); ++i) {
            const std::string &left = row.cells[i];
            const std::string &right = row.cells[i + 1];
            if (left.empty() || right.empty() || !is_digit(left.back()) || !is_digit(right[0])) {
                continue;
            }
            std::size_t b = left.size();
            while (b > 0 && is_digit(left[b - 1])) {
                --b;
            }
            if (b > 0 && (left[b - 1] == '-' || left[b - 1] == '+')) {
                --b;
            }
            std::size_t e = 0;
            while (e < right.size() && is_digit(right[e])) {
                ++e;
            }
            // The number must be a whole ';'-separated field.
            if ((b > 0 && left[b - 1] != ';') || (e < right.size() && right[e] != ';')) {
                continue;
            }
            throw ModelError(where + ", line " + std::to_string(row.line) +
                             ": the table is separated by semicolons and uses decimal commas (\"" +
                             left.substr(b) + "," + right.substr(0, e) + "\"); " + SAVE_AS_CSV);
        }
    }
    throw ModelError(where + ", line " + std::to_string(table.header_line) +
                     ": the table is separated by semicolons, not commas (the header has ';' and "
                     "no ','); " +
                     SAVE_AS_CSV);
}

/// Columns are looked up by name without case (CsvTable::column), so two header cells that
/// differ only in case or surrounding spaces would make one of them unreachable. Empty names
/// (trailing commas) are not columns anyone can ask for and are allowed to repeat.
void refuse_duplicate_columns(const CsvTable &table, const std::string &where) {
    std::map<std::string, std::size_t> first;
    for (std::size_t i = 0; i < table.header.size(); ++i) {
        std::string key = lower(table.header[i]);
        if (key.empty()) {
            continue;
        }
        const auto [it, fresh] = first.emplace(std::move(key), i);
        if (!fresh) {
            const std::size_t j = it->second;
            throw ModelError(where + ", line " + std::to_string(table.header_line) + ": column \"" +
                             table.header[i] + "\" (column " + std::to_string(i + 1) +
                             ") repeats \"" + table.header[j] + "\" (column " +
                             std::to_string(j + 1) +
                             "); column names are compared without case, so each must be "
                             "distinct");
        }
    }
}
} // namespace

int CsvTable::column(const std::string &name) const {
    const std::string want = lower(trim(name));
    for (std::size_t i = 0; i < header.size(); ++i) {
        if (lower(trim(header[i])) == want) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

CsvTable parse_csv(const std::string &text_in, const std::string &where) {
    std::string_view text(text_in);
    if (text.size() >= 3 && static_cast<unsigned char>(text[0]) == 0xEF &&
        static_cast<unsigned char>(text[1]) == 0xBB &&
        static_cast<unsigned char>(text[2]) == 0xBF) {
        text.remove_prefix(3);
    }
    CsvTable table;
    std::vector<std::string> cells;
    std::string cell;
    bool in_quotes = false;
    bool row_has_content = false;
    int line = 1;
    int row_line = 1;
    auto end_row = [&] {
        cells.push_back(cell);
        cell.clear();
        bool blank = !row_has_content;
        if (!blank) {
            if (table.header.empty()) {
                table.header = cells;
                table.header_line = row_line;
            } else {
                table.rows.push_back({row_line, cells});
            }
        }
        cells.clear();
        row_has_content = false;
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_quotes) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    cell += '"';
                    ++i;
                } else {
                    in_quotes = false;
                }
            } else {
                if (c == '\n') {
                    ++line;
                }
                cell += c;
            }
            continue;
        }
        if (c == '"') {
            in_quotes = true;
            row_has_content = true;
        } else if (c == ',') {
            cells.push_back(cell);
            cell.clear();
            row_has_content = true;
        } else if (c == '\r') {
            continue;
        } else if (c == '\n') {
            end_row();
            ++line;
            row_line = line;
        } else {
            if (!std::isspace(static_cast<unsigned char>(c))) {
                row_has_content = true;
            }
            cell += c;
        }
    }
    if (in_quotes) {
        throw ModelError(where + ", line " + std::to_string(row_line) +
                         ": a quoted field is not closed");
    }
    if (row_has_content || !cell.empty()) {
        end_row();
    }
    if (table.header.empty()) {
        throw ModelError(where + ": the file is empty (a header row is required)");
    }
    for (auto &h : table.header) {
        h = trim(h);
    }
    refuse_semicolon_separated(table, where);
    refuse_duplicate_columns(table, where);
    return table;
}

bool parse_number(const std::string &cell, double &out) {
    const std::string t = trim(cell);
    if (t.empty()) {
        return false;
    }
    errno = 0;
    char *end = nullptr;
    const double v = std::strtod(t.c_str(), &end);
    if (errno == ERANGE || end != t.c_str() + t.size() || !std::isfinite(v)) {
        return false;
    }
    out = v;
    return true;
}

} // namespace cs::models
