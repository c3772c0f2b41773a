// SHA-256 (OpenSSL libcrypto) of byte strings and files, for input checksums in the provenance.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace cs::pipeline {

/// Incremental SHA-256. Not thread-safe (one object per thread).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;
    void update(const void *data, std::size_t n);
    /// Lower-case hex digest; the object is then spent.
    std::string hex();

private:
    void *m_ctx; ///< EVP_MD_CTX
};

/// Hex SHA-256 of a byte string.
std::string sha256_hex(const std::string &data);

/// Hex SHA-256 of a file's contents, read in 1 MiB chunks. Throws OutputError when unreadable.
std::string sha256_file(const std::string &path, uint64_t &size_bytes);

} // namespace cs::pipeline
