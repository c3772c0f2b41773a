// UTF-8 checks for text that comes from users' files (configs, tables, attribute fields).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace cs::raster {

/// Where the first invalid UTF-8 sequence of a text starts.
struct Utf8Problem {
    bool found = false;
    std::size_t offset = 0; ///< byte offset of the sequence's first byte
    std::size_t line = 0;   ///< 1-based line of that byte
    std::size_t column = 0; ///< 1-based column, counted in characters
    unsigned char byte = 0; ///< the offending byte
    /// "byte 0xBA at line 3, column 7" (column counted in characters).
    std::string where() const;
};

/// The first byte of `text` that does not begin a valid UTF-8 sequence (RFC 3629: overlong
/// forms, UTF-16 surrogates and code points above U+10FFFF are invalid), or found = false. A NUL
/// byte is valid UTF-8 but is reported too when `nul_is_invalid` (C strings and HDF5 strings
/// would end there).
Utf8Problem find_invalid_utf8(std::string_view text, bool nul_is_invalid = true);

} // namespace cs::raster
