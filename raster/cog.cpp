// Streamed overview levels and the cloud-optimized GeoTIFF layout (see cog.hpp).
#include "raster/cog.hpp"

#include "raster/raster_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <unistd.h>

namespace cs::raster {

std::vector<LevelSize> overview_levels(int64_t width, int64_t height, int64_t tile) {
    std::vector<LevelSize> levels;
    LevelSize s{width, height};
    while (tile > 0 && (s.width > tile || s.height > tile)) {
        s = {(s.width + 1) / 2, (s.height + 1) / 2};
        levels.push_back(s);
    }
    return levels;
}

OverviewBuilder::OverviewBuilder(int64_t width, int64_t height, int64_t tile, bool categorical,
                                 TileSink sink)
    : m_width(width), m_height(height), m_tile(tile), m_categorical(categorical),
      m_sink(std::move(sink)), m_levels(overview_levels(width, height, tile)) {
    for (const LevelSize &l : m_levels) {
        m_rows.emplace_back(static_cast<std::size_t>(tile * l.width),
                            std::numeric_limits<float>::quiet_NaN());
    }
    m_flushed.assign(m_levels.size(), 0);
    m_tile_buf.resize(static_cast<std::size_t>(tile * tile));
}

bool OverviewBuilder::complete() const {
    for (std::size_t l = 0; l < m_levels.size(); ++l) {
        if (m_flushed[l] != m_levels[l].height) {
            return false;
        }
    }
    return true;
}

void OverviewBuilder::reduce_row(const float *a, const float *b, int64_t n, float *dst) const {
    const int64_t out = (n + 1) / 2;
    if (!m_categorical) {
        // AVERAGE of the valid pixels of the (up to) 2 x 2 block, in double so the result does
        // not depend on the order of the terms beyond the one rounding to float.
        const float nan = std::numeric_limits<float>::quiet_NaN();
        const int64_t pairs = b != nullptr ? n / 2 : 0; // whole 2 x 2 blocks
        for (int64_t i = 0; i < pairs; ++i) {
            const float v0 = a[2 * i], v1 = a[2 * i + 1], v2 = b[2 * i], v3 = b[2 * i + 1];
            if (!std::isnan(v0) && !std::isnan(v1) && !std::isnan(v2) && !std::isnan(v3)) {
                dst[i] = static_cast<float>(
                    ((static_cast<double>(v0) + v1) + static_cast<double>(v2) + v3) / 4.0);
                continue;
            }
            double sum = 0.0;
            int count = 0;
            for (const float f : {v0, v1, v2, v3}) {
                if (!std::isnan(f)) {
                    sum += f;
                    ++count;
                }
            }
            dst[i] = count > 0 ? static_cast<float>(sum / count) : nan;
        }
        // The last row (no second row) or column (odd width): the pixels that exist.
        for (int64_t i = pairs; i < out; ++i) {
            const int64_t x = 2 * i;
            const float v[4] = {a[x], x + 1 < n ? a[x + 1] : nan, b != nullptr ? b[x] : nan,
                                b != nullptr && x + 1 < n ? b[x + 1] : nan};
            double sum = 0.0;
            int count = 0;
            for (const float f : v) {
                if (!std::isnan(f)) {
                    sum += f;
                    ++count;
                }
            }
            dst[i] = count > 0 ? static_cast<float>(sum / count) : nan;
        }
        return;
    }
    // MODE of the non-zero class codes (0 and NaN are nodata); ties go to the smallest code.
    for (int64_t i = 0; i < out; ++i) {
        const int64_t x = 2 * i;
        const float v[4] = {a[x], x + 1 < n ? a[x + 1] : 0.0F, b != nullptr ? b[x] : 0.0F,
                            b != nullptr && x + 1 < n ? b[x + 1] : 0.0F};
        long code[4];
        for (int k = 0; k < 4; ++k) {
            code[k] = std::isnan(v[k]) ? 0 : std::lround(v[k]);
        }
        long best = 0;
        int best_n = 0;
        for (int k = 0; k < 4; ++k) {
            if (code[k] == 0) {
                continue;
            }
            int c = 0;
            for (int j = 0; j < 4; ++j) {
                c += code[j] == code[k] ? 1 : 0;
            }
            if (c > best_n || (c == best_n && code[k] < best)) {
                best = code[k];
                best_n = c;
            }
        }
        dst[i] = static_cast<float>(best);
    }
}

void OverviewBuilder::add_window(const Window &w, const float *values) {
    if (m_levels.empty()) {
        return;
    }
    // Row-major plan order: a strip starts at column 0 on the first row not yet received; the
    // windows after the first of a strip continue it, with the same rows.
    const bool starts_strip = w.x_off == 0 && m_next_x == 0 && w.y_off == m_main_done;
    const bool continues_strip =
        m_next_x > 0 && w.x_off == m_next_x && w.y_off == m_strip_y && w.y_size == m_strip_h;
    const bool one_tile_row = w.y_size <= m_tile || w.x_off + w.x_size == m_width;
    if (!(starts_strip || continues_strip) || !one_tile_row || w.x_off % m_tile != 0 ||
        w.y_off % m_tile != 0) {
        throw RasterError("overviews: window x " + std::to_string(w.x_off) + ", y " +
                          std::to_string(w.y_off) + " came out of block-plan order (expected x " +
                          std::to_string(m_next_x) + ", y " +
                          std::to_string(m_next_x > 0 ? m_strip_y : m_main_done) +
                          "); this is a bug in the caller");
    }
    m_strip_y = w.y_off;
    m_strip_h = w.y_size;
    const int64_t x_end = w.x_off + w.x_size;
    const int64_t y_end = w.y_off + w.y_size;
    const int64_t w0 = m_levels[0].width;
    float *rows0 = m_rows[0].data();
    // One main tile row at a time: it fills half a tile row of level 0, which is sent on (when
    // the strip reaches the right edge) before the next main tile row can overwrite it.
    for (int64_t cy = w.y_off; cy < y_end; cy += m_tile) {
        const int64_t ch = std::min(m_tile, y_end - cy);
        for (int64_t r = 0; r < ch; r += 2) {
            const float *a = values + (cy - w.y_off + r) * w.x_size;
            const float *b = r + 1 < ch ? a + w.x_size : nullptr;
            const int64_t dst_row = (cy + r) / 2;
            reduce_row(a, b, w.x_size, rows0 + (dst_row % m_tile) * w0 + w.x_off / 2);
        }
        if (x_end == m_width) {
            m_main_done = cy + ch;
            advance(0, m_main_done == m_height ? m_levels[0].height : m_main_done / 2);
        }
    }
    m_next_x = x_end == m_width ? 0 : x_end;
}

void OverviewBuilder::advance(std::size_t level, int64_t complete_rows) {
    const LevelSize size = m_levels[level];
    const int64_t t = m_tile;
    int64_t &flushed = m_flushed[level];
    while (flushed < complete_rows &&
           (complete_rows - flushed >= t || complete_rows == size.height)) {
        const int64_t ty = flushed / t;
        const int64_t n = std::min(t, size.height - flushed);
        const float *rows = m_rows[level].data();
        const float nan = std::numeric_limits<float>::quiet_NaN();
        for (int64_t tx = 0; tx * t < size.width; ++tx) {
            const int64_t cols = std::min(t, size.width - tx * t);
            if (cols < t || n < t) {
                std::fill(m_tile_buf.begin(), m_tile_buf.end(), nan);
            }
            for (int64_t r = 0; r < n; ++r) {
                const float *src = rows + r * size.width + tx * t;
                std::copy(src, src + cols, m_tile_buf.data() + r * t);
            }
            m_sink(level, tx, ty, m_tile_buf.data());
        }
        if (level + 1 < m_levels.size()) {
            const int64_t next_w = m_levels[level + 1].width;
            float *next = m_rows[level + 1].data();
            for (int64_t r = 0; r < n; r += 2) {
                const float *a = rows + r * size.width;
                const float *b = r + 1 < n ? a + size.width : nullptr;
                const int64_t dst_row = (flushed + r) / 2;
                reduce_row(a, b, size.width, next + (dst_row % t) * next_w);
            }
        }
        flushed += n;
        if (level + 1 < m_levels.size()) {
            advance(level + 1, flushed == size.height ? m_levels[level + 1].height : flushed / 2);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// TIFF relayout. Little-endian only (GDAL writes the byte order of the machine; every platform
// carbonsink builds on is little-endian). TIFF 6.0 (Adobe 1992) section 2 for the classic
// structure, the BigTIFF proposal (Aware Systems) for 64-bit offsets.

namespace {

constexpr uint16_t TAG_NEW_SUBFILE_TYPE = 254;
constexpr uint16_t TAG_STRIP_OFFSETS = 273;
constexpr uint16_t TAG_TILE_OFFSETS = 324;
constexpr uint16_t TAG_TILE_BYTE_COUNTS = 325;
constexpr uint16_t TAG_SUB_IFDS = 330;
constexpr uint16_t TAG_EXIF_IFD = 34665;
constexpr uint16_t TAG_GPS_IFD = 34853;
constexpr uint16_t TYPE_LONG = 4;
constexpr uint16_t TYPE_LONG8 = 16;

/// Size in bytes of one value of TIFF field type `type`; 0 when unknown.
std::size_t type_size(uint16_t type) {
    switch (type) {
    case 1: // BYTE
    case 2: // ASCII
    case 6: // SBYTE
    case 7: // UNDEFINED
        return 1;
    case 3: // SHORT
    case 8: // SSHORT
        return 2;
    case 4:  // LONG
    case 9:  // SLONG
    case 11: // FLOAT
    case 13: // IFD
        return 4;
    case 5:  // RATIONAL
    case 10: // SRATIONAL
    case 12: // DOUBLE
    case 16: // LONG8
    case 17: // SLONG8
    case 18: // IFD8
        return 8;
    default:
        return 0;
    }
}

template <typename T> T get(const uint8_t *p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}
template <typename T> void put(std::vector<uint8_t> &out, std::size_t at, T v) {
    std::memcpy(out.data() + at, &v, sizeof(T));
}

struct Entry {
    uint16_t tag = 0;
    uint16_t type = 0;
    uint64_t count = 0;
    std::vector<uint8_t> data; ///< count x type_size bytes
};

struct Image {
    std::string path;
    int fd = -1;
    bool bigtiff = false;
    std::vector<Entry> entries;
    std::vector<uint64_t> offsets; ///< per tile, in the source file
    std::vector<uint64_t> counts;  ///< per tile
};

class Fd {
public:
    explicit Fd(int fd) : m_fd(fd) {}
    ~Fd() {
        if (m_fd >= 0) {
            ::close(m_fd);
        }
    }
    Fd(const Fd &) = delete;
    Fd &operator=(const Fd &) = delete;
    int get() const { return m_fd; }
    int release() {
        const int fd = m_fd;
        m_fd = -1;
        return fd;
    }

private:
    int m_fd;
};

[[noreturn]] void fail(const std::string &out, const std::string &what) {
    throw RasterError("cannot write cloud-optimized GeoTIFF: " + out + ": " + what);
}

void read_at(int fd, uint64_t offset, void *buf, std::size_t n, const std::string &out,
             const std::string &path) {
    auto *p = static_cast<uint8_t *>(buf);
    while (n > 0) {
        const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (got <= 0) {
            fail(out, path + ": " +
                          (got == 0 ? std::string("file ends before byte ") +
                                          std::to_string(offset + n) + " (truncated TIFF)"
                                    : std::string(std::strerror(errno))));
        }
        p += got;
        n -= static_cast<std::size_t>(got);
        offset += static_cast<uint64_t>(got);
    }
}

std::vector<uint64_t> as_integers(const Entry &e, const std::string &out, const std::string &path) {
    std::vector<uint64_t> v(e.count);
    const std::size_t sz = type_size(e.type);
    for (uint64_t i = 0; i < e.count; ++i) {
        const uint8_t *p = e.data.data() + i * sz;
        if (e.type == 3) {
            v[i] = get<uint16_t>(p);
        } else if (e.type == TYPE_LONG) {
            v[i] = get<uint32_t>(p);
        } else if (e.type == TYPE_LONG8) {
            v[i] = get<uint64_t>(p);
        } else {
            fail(out, path + ": tag " + std::to_string(e.tag) + " has field type " +
                          std::to_string(e.type) + ", not an unsigned integer");
        }
    }
    return v;
}

Image read_image(const std::string &path, const std::string &out) {
    Image img;
    img.path = path;
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        fail(out, path + ": " + std::strerror(errno));
    }
    uint8_t head[16];
    read_at(fd.get(), 0, head, 8, out, path);
    if (head[0] != 'I' || head[1] != 'I') {
        fail(out, path + ": not a little-endian TIFF");
    }
    const auto version = get<uint16_t>(head + 2);
    uint64_t ifd = 0;
    if (version == 42) {
        ifd = get<uint32_t>(head + 4);
    } else if (version == 43) {
        img.bigtiff = true;
        read_at(fd.get(), 8, head + 8, 8, out, path);
        ifd = get<uint64_t>(head + 8);
    } else {
        fail(out, path + ": not a TIFF (version " + std::to_string(version) + ")");
    }
    const std::size_t count_size = img.bigtiff ? 8 : 2;
    const std::size_t entry_size = img.bigtiff ? 20 : 12;
    const std::size_t inline_size = img.bigtiff ? 8 : 4;
    uint8_t cbuf[8];
    read_at(fd.get(), ifd, cbuf, count_size, out, path);
    const uint64_t n = img.bigtiff ? get<uint64_t>(cbuf) : get<uint16_t>(cbuf);
    if (n == 0 || n > 4096) {
        fail(out, path + ": first IFD has " + std::to_string(n) + " entries");
    }
    std::vector<uint8_t> raw(n * entry_size);
    read_at(fd.get(), ifd + count_size, raw.data(), raw.size(), out, path);
    for (uint64_t i = 0; i < n; ++i) {
        const uint8_t *p = raw.data() + i * entry_size;
        Entry e;
        e.tag = get<uint16_t>(p);
        e.type = get<uint16_t>(p + 2);
        e.count = img.bigtiff ? get<uint64_t>(p + 4) : get<uint32_t>(p + 4);
        const uint8_t *value = p + (img.bigtiff ? 12 : 8);
        const std::size_t sz = type_size(e.type);
        if (sz == 0) {
            fail(out, path + ": tag " + std::to_string(e.tag) + " has unknown field type " +
                          std::to_string(e.type));
        }
        if (e.tag == TAG_STRIP_OFFSETS || e.tag == TAG_SUB_IFDS || e.tag == TAG_EXIF_IFD ||
            e.tag == TAG_GPS_IFD) {
            fail(out, path + ": tag " + std::to_string(e.tag) +
                          " (strips or sub-IFDs) cannot be relaid out");
        }
        const uint64_t bytes = e.count * sz;
        if (e.count > (uint64_t{1} << 40) / sz) {
            fail(out, path + ": tag " + std::to_string(e.tag) + " has a count too large");
        }
        e.data.resize(bytes);
        if (bytes <= inline_size) {
            std::memcpy(e.data.data(), value, bytes);
        } else {
            const uint64_t at = img.bigtiff ? get<uint64_t>(value) : get<uint32_t>(value);
            read_at(fd.get(), at, e.data.data(), bytes, out, path);
        }
        img.entries.push_back(std::move(e));
    }
    for (const Entry &e : img.entries) {
        if (e.tag == TAG_TILE_OFFSETS) {
            img.offsets = as_integers(e, out, path);
        } else if (e.tag == TAG_TILE_BYTE_COUNTS) {
            img.counts = as_integers(e, out, path);
        }
    }
    if (img.offsets.empty() || img.offsets.size() != img.counts.size()) {
        fail(out, path + ": not a tiled TIFF (no or inconsistent TileOffsets/TileByteCounts)");
    }
    img.fd = fd.release();
    return img;
}

/// Entries of image `k` as written: NewSubfileType 1 on overviews, the tile tags re-typed for
/// the output (their values are filled in later), sorted by tag as TIFF requires.
std::vector<Entry> output_entries(const Image &img, bool overview, bool bigtiff) {
    std::vector<Entry> entries;
    bool has_subfile = false;
    for (const Entry &e : img.entries) {
        Entry o = e;
        if (e.tag == TAG_NEW_SUBFILE_TYPE) {
            has_subfile = true;
            o.type = TYPE_LONG;
            o.count = 1;
            o.data.assign(4, 0);
            put<uint32_t>(o.data, 0, overview ? 1U : 0U);
            if (!overview) {
                o = e;
            }
        } else if (e.tag == TAG_TILE_OFFSETS || e.tag == TAG_TILE_BYTE_COUNTS) {
            o.type = bigtiff ? TYPE_LONG8 : TYPE_LONG;
            o.count = img.offsets.size();
            o.data.assign(o.count * type_size(o.type), 0);
        }
        entries.push_back(std::move(o));
    }
    if (overview && !has_subfile) {
        Entry o;
        o.tag = TAG_NEW_SUBFILE_TYPE;
        o.type = TYPE_LONG;
        o.count = 1;
        o.data.assign(4, 0);
        put<uint32_t>(o.data, 0, 1U);
        entries.push_back(std::move(o));
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry &a, const Entry &b) { return a.tag < b.tag; });
    return entries;
}

struct Layout {
    std::vector<std::vector<Entry>> entries;    ///< per image
    std::vector<uint64_t> ifd_at;               ///< per image
    std::vector<std::vector<uint64_t>> data_at; ///< per image, per entry (0 = inline)
    uint64_t header_end = 0;                    ///< where the tile data starts
    uint64_t total = 0;
};

Layout plan_layout(const std::vector<Image> &images, bool bigtiff) {
    Layout l;
    const uint64_t entry_size = bigtiff ? 20 : 12;
    const uint64_t count_size = bigtiff ? 8 : 2;
    const uint64_t next_size = bigtiff ? 8 : 4;
    const uint64_t inline_size = bigtiff ? 8 : 4;
    uint64_t pos = bigtiff ? 16 : 8;
    for (std::size_t k = 0; k < images.size(); ++k) {
        l.entries.push_back(output_entries(images[k], k > 0, bigtiff));
        const auto &entries = l.entries.back();
        pos += pos % 2; // IFDs and values start on a word boundary (TIFF 6.0 section 2)
        l.ifd_at.push_back(pos);
        pos += count_size + entries.size() * entry_size + next_size;
        std::vector<uint64_t> at;
        for (const Entry &e : entries) {
            if (e.data.size() > inline_size) {
                pos += pos % 2;
                at.push_back(pos);
                pos += e.data.size();
            } else {
                at.push_back(0);
            }
        }
        l.data_at.push_back(std::move(at));
    }
    l.header_end = pos;
    for (const Image &img : images) {
        for (const uint64_t c : img.counts) {
            pos += c;
        }
    }
    l.total = pos;
    return l;
}

void write_all(int fd, const uint8_t *p, std::size_t n, const std::string &out) {
    while (n > 0) {
        errno = 0;
        const ssize_t put_n = ::write(fd, p, n);
        if (put_n <= 0) {
            const int err = errno;
            std::string why = err != 0 ? std::strerror(err) : "write failed";
            if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
                why += " (the disk or the file-size limit is full)";
            }
            fail(out, why);
        }
        p += put_n;
        n -= static_cast<std::size_t>(put_n);
    }
}

} // namespace

bool assemble_cog(const std::string &out_path, const std::vector<std::string> &levels) {
    std::vector<Image> images;
    struct Closer {
        std::vector<Image> &images;
        ~Closer() {
            for (Image &img : images) {
                if (img.fd >= 0) {
                    ::close(img.fd);
                }
            }
        }
    } closer{images};
    bool bigtiff = false;
    for (const std::string &p : levels) {
        images.push_back(read_image(p, out_path));
        bigtiff = bigtiff || images.back().bigtiff;
    }
    if (images.empty()) {
        fail(out_path, "no image to write");
    }
    Layout l = plan_layout(images, bigtiff);
    if (!bigtiff && l.total > std::numeric_limits<uint32_t>::max()) {
        bigtiff = true; // classic offsets are 32-bit
        l = plan_layout(images, bigtiff);
    }
    // Tile data: the smallest overview first, the main image last (the order the COG validator
    // checks), each image's tiles in row-major order.
    std::vector<std::vector<uint64_t>> new_offsets(images.size());
    uint64_t pos = l.header_end;
    for (std::size_t k = images.size(); k-- > 0;) {
        const Image &img = images[k];
        new_offsets[k].resize(img.offsets.size());
        for (std::size_t t = 0; t < img.offsets.size(); ++t) {
            new_offsets[k][t] = img.counts[t] > 0 ? pos : 0;
            pos += img.counts[t];
        }
    }
    // The header, IFDs and out-of-line values, built in memory.
    std::vector<uint8_t> head(l.header_end, 0);
    head[0] = 'I';
    head[1] = 'I';
    if (bigtiff) {
        put<uint16_t>(head, 2, 43);
        put<uint16_t>(head, 4, 8);
        put<uint16_t>(head, 6, 0);
        put<uint64_t>(head, 8, l.ifd_at[0]);
    } else {
        put<uint16_t>(head, 2, 42);
        put<uint32_t>(head, 4, static_cast<uint32_t>(l.ifd_at[0]));
    }
    for (std::size_t k = 0; k < images.size(); ++k) {
        auto &entries = l.entries[k];
        for (Entry &e : entries) {
            if (e.tag == TAG_TILE_OFFSETS || e.tag == TAG_TILE_BYTE_COUNTS) {
                const auto &v = e.tag == TAG_TILE_OFFSETS ? new_offsets[k] : images[k].counts;
                for (std::size_t t = 0; t < v.size(); ++t) {
                    if (bigtiff) {
                        put<uint64_t>(e.data, t * 8, v[t]);
                    } else {
                        put<uint32_t>(e.data, t * 4, static_cast<uint32_t>(v[t]));
                    }
                }
            }
            if (!bigtiff && (e.type == TYPE_LONG8 || e.type == 17 || e.type == 18)) {
                fail(out_path, images[k].path + ": tag " + std::to_string(e.tag) +
                                   " holds 64-bit values a classic TIFF cannot");
            }
        }
        uint64_t p = l.ifd_at[k];
        if (bigtiff) {
            put<uint64_t>(head, p, entries.size());
            p += 8;
        } else {
            put<uint16_t>(head, p, static_cast<uint16_t>(entries.size()));
            p += 2;
        }
        for (std::size_t i = 0; i < entries.size(); ++i) {
            const Entry &e = entries[i];
            put<uint16_t>(head, p, e.tag);
            put<uint16_t>(head, p + 2, e.type);
            if (bigtiff) {
                put<uint64_t>(head, p + 4, e.count);
            } else {
                put<uint32_t>(head, p + 4, static_cast<uint32_t>(e.count));
            }
            const uint64_t value = p + (bigtiff ? 12 : 8);
            if (l.data_at[k][i] == 0) {
                std::memcpy(head.data() + value, e.data.data(), e.data.size());
            } else {
                std::memcpy(head.data() + l.data_at[k][i], e.data.data(), e.data.size());
                if (bigtiff) {
                    put<uint64_t>(head, value, l.data_at[k][i]);
                } else {
                    put<uint32_t>(head, value, static_cast<uint32_t>(l.data_at[k][i]));
                }
            }
            p += bigtiff ? 20 : 12;
        }
        const uint64_t next = k + 1 < images.size() ? l.ifd_at[k + 1] : 0;
        if (bigtiff) {
            put<uint64_t>(head, p, next);
        } else {
            put<uint32_t>(head, p, static_cast<uint32_t>(next));
        }
    }

    Fd out(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (out.get() < 0) {
        fail(out_path, std::strerror(errno));
    }
    write_all(out.get(), head.data(), head.size(), out_path);
    // The tiles, copied raw; runs of tiles that follow each other in the source are copied in
    // one go through a bounded buffer.
    std::vector<uint8_t> buf(std::size_t{4} << 20);
    for (std::size_t k = images.size(); k-- > 0;) {
        const Image &img = images[k];
        std::size_t t = 0;
        while (t < img.offsets.size()) {
            if (img.counts[t] == 0) {
                ++t;
                continue;
            }
            const uint64_t start = img.offsets[t];
            uint64_t len = img.counts[t];
            std::size_t u = t + 1;
            while (u < img.offsets.size() && img.counts[u] > 0 && img.offsets[u] == start + len) {
                len += img.counts[u];
                ++u;
            }
            uint64_t done = 0;
            while (done < len) {
                const auto n = static_cast<std::size_t>(std::min<uint64_t>(buf.size(), len - done));
                read_at(img.fd, start + done, buf.data(), n, out_path, img.path);
                write_all(out.get(), buf.data(), n, out_path);
                done += n;
            }
            t = u;
        }
    }
    // No fsync here: the output folder flushes every staged file before its commit.
    if (::close(out.release()) != 0) {
        fail(out_path, std::strerror(errno));
    }
    return bigtiff;
}

} // namespace cs::raster
