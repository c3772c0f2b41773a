// A block's district partial as bytes: the layout shared by a checkpoint record
// (checkpoint.cpp) and an MPI result message (mpi_run.cpp). Lengths are uint64 and values raw,
// in host byte order: both are read back by the same build on the same kind of machine.
#pragma once
#include "pipeline/accumulator.hpp"

#include <cstdint>
#include <cstring>
#include <set>
#include <stdexcept>
#include <vector>

namespace cs::pipeline {

/// Appends values and length-prefixed vectors to `buf`.
class ByteWriter {
public:
    std::vector<unsigned char> buf;
    template <class T> void put(const T &v) {
        const auto *p = reinterpret_cast<const unsigned char *>(&v);
        buf.insert(buf.end(), p, p + sizeof(T));
    }
    template <class T> void put_vector(const std::vector<T> &v) {
        put<uint64_t>(v.size());
        if (!v.empty()) {
            const auto *p = reinterpret_cast<const unsigned char *>(v.data());
            buf.insert(buf.end(), p, p + v.size() * sizeof(T));
        }
    }
    /// The partial's district records, pixel counts, class areas and unknown codes.
    void put_partial(const BlockPartial &partial) {
        put_vector(partial.districts);
        put_vector(partial.records);
        put_vector(partial.status_pixels);
        put_vector(partial.class_pixels);
        put_vector(partial.class_area);
        put<uint64_t>(partial.unknown_codes.size());
        for (const auto &codes : partial.unknown_codes) {
            put_vector(std::vector<int32_t>(codes.begin(), codes.end()));
        }
    }
};

/// Reads what ByteWriter wrote from [p, p + n). Throws std::runtime_error when the bytes end
/// early or a length does not fit in them (a torn record, a truncated message).
class ByteReader {
public:
    ByteReader(const unsigned char *p, std::size_t n) : m_p(p), m_end(p + n) {}
    template <class T> T get() {
        need(sizeof(T));
        T v;
        std::memcpy(&v, m_p, sizeof(T));
        m_p += sizeof(T);
        return v;
    }
    template <class T> void get_vector(std::vector<T> &v) {
        const auto n = get<uint64_t>();
        if (n > static_cast<uint64_t>(m_end - m_p) / sizeof(T)) {
            throw std::runtime_error("bad length");
        }
        v.resize(n);
        if (n > 0) { // memcpy with a null pointer is undefined even for 0 bytes
            std::memcpy(v.data(), m_p, n * sizeof(T));
        }
        m_p += n * sizeof(T);
    }
    const unsigned char *take(std::size_t n) {
        need(n);
        const unsigned char *p = m_p;
        m_p += n;
        return p;
    }
    void get_partial(BlockPartial &partial) {
        get_vector(partial.districts);
        get_vector(partial.records);
        get_vector(partial.status_pixels);
        get_vector(partial.class_pixels);
        get_vector(partial.class_area);
        partial.unknown_codes.resize(get<uint64_t>());
        for (auto &codes : partial.unknown_codes) {
            std::vector<int32_t> v;
            get_vector(v);
            codes = std::set<int32_t>(v.begin(), v.end());
        }
    }

private:
    void need(std::size_t n) const {
        if (n > static_cast<std::size_t>(m_end - m_p)) {
            throw std::runtime_error("too short");
        }
    }
    const unsigned char *m_p;
    const unsigned char *m_end;
};

} // namespace cs::pipeline
