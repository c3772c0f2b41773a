// SHA-256 of files, for input checksums in the provenance (FIPS 180-4).
#pragma once
#include <cstdint>
#include <string>

namespace cs::pipeline {

/// Hex SHA-256 of a byte string.
std::string sha256_hex(const std::string &data);

/// Hex SHA-256 of a file's contents, read in 1 MiB chunks. Throws OutputError when unreadable.
std::string sha256_file(const std::string &path, uint64_t &size_bytes);

} // namespace cs::pipeline
