// SHA-256 through OpenSSL's libcrypto (about 1.5 GB/s on one core with SHA extensions, six
// times a portable C++ implementation), so checksumming inputs keeps up with reading them.
#include "pipeline/sha256.hpp"

#include "pipeline/problems.hpp"

#include <openssl/evp.h>

#include <fstream>
#include <new>
#include <vector>

namespace cs::pipeline {

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
    if (m_ctx == nullptr ||
        EVP_DigestInit_ex(static_cast<EVP_MD_CTX *>(m_ctx), EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_ctx));
        throw std::bad_alloc();
    }
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX *>(m_ctx)); }

void Sha256::update(const void *data, std::size_t n) {
    if (n > 0) {
        EVP_DigestUpdate(static_cast<EVP_MD_CTX *>(m_ctx), data, n);
    }
}

std::string Sha256::hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX *>(m_ctx), digest, &len);
    static const char *digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
        out += digits[digest[i] >> 4];
        out += digits[digest[i] & 15];
    }
    return out;
}

std::string sha256_hex(const std::string &data) {
    Sha256 s;
    s.update(data.data(), data.size());
    return s.hex();
}

std::string sha256_file(const std::string &path, uint64_t &size_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw OutputError("cannot checksum input: " + path + ": cannot be read");
    }
    Sha256 s;
    std::vector<char> buf(1 << 20);
    size_bytes = 0;
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        s.update(buf.data(), got);
        size_bytes += got;
    }
    return s.hex();
}

} // namespace cs::pipeline
