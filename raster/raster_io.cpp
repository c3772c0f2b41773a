// GDAL-backed raster inspection, per-thread readers and tile-ordered GeoTIFF writers.
#include "raster/raster_io.hpp"

#include "raster/cog.hpp"
#include "raster/raster_error.hpp"

#include <cpl_conv.h>
#include <cpl_minixml.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>

namespace cs::raster {

namespace {
bool little_endian_host() {
    const uint16_t one = 1;
    uint8_t first = 0;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

std::string window_text(const Window &w) {
    return "window x " + std::to_string(w.x_off) + ", y " + std::to_string(w.y_off) + ", " +
           std::to_string(w.x_size) + " x " + std::to_string(w.y_size) + " px";
}

/// GDAL's message for a failed write, with the system's cause when the failing write left one
/// in errno (GDAL's TIFF messages say "IO error writing tag data" without saying why). Callers
/// clear errno before the GDAL call; only causes a write can have are added, never a stale
/// ENOENT of a file GDAL probed for.
std::string write_error() {
    const int err = errno;
    std::string msg = last_gdal_error();
    if (err == ENOSPC || err == EDQUOT || err == EFBIG || err == EIO || err == EROFS ||
        err == EACCES || err == EPERM) {
        const std::string cause = std::strerror(err);
        if (msg.find(cause) == std::string::npos) {
            msg += ": " + cause;
        }
        if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
            msg += " (the disk or the file-size limit is full)";
        }
    }
    return msg;
}

GridSpec grid_of(GDALDatasetH ds) {
    GridSpec g;
    if (GDALGetGeoTransform(ds, g.geotransform.data()) != CE_None) {
        g.geotransform = {0, 1, 0, 0, 0, 1};
    }
    g.width = GDALGetRasterXSize(ds);
    g.height = GDALGetRasterYSize(ds);
    OGRSpatialReferenceH srs = GDALGetSpatialRef(ds);
    if (srs != nullptr) {
        char *wkt = nullptr;
        const char *opts[] = {"FORMAT=WKT2_2019", nullptr};
        if (OSRExportToWktEx(srs, &wkt, opts) == OGRERR_NONE && wkt != nullptr) {
            g.crs_wkt = wkt;
        }
        CPLFree(wkt);
    }
    return g;
}
/// GDAL opens a VRT without opening its sources, so a missing source would show only when a
/// block that needs it is read (as a read failure). For a VRT dataset: the first source file
/// that is missing, as "missing VRT source: <GDAL's message naming it>", else "". Sources that
/// are VRTs themselves are followed, up to `depth` levels; a source name that is not a file
/// (e.g. a subdataset "NETCDF:x.nc:v") counts as missing only when GDAL cannot open it.
std::string missing_vrt_source(GDALDatasetH ds, int depth, std::set<std::string> &seen) {
    GDALDriverH drv = GDALGetDatasetDriver(ds);
    if (drv == nullptr || !EQUAL(GDALGetDriverShortName(drv), "VRT") || depth <= 0) {
        return "";
    }
    char **md = GDALGetMetadata(ds, "xml:VRT");
    if (md == nullptr || md[0] == nullptr) {
        return "";
    }
    CPLXMLNode *root = CPLParseXMLString(md[0]);
    if (root == nullptr) {
        return "";
    }
    const std::string description = GDALGetDescription(ds);
    const std::string vrt_dir =
        !description.empty() && description[0] != '<' ? CPLGetPath(description.c_str()) : "";
    std::vector<std::string> sources;
    std::vector<const CPLXMLNode *> stack = {root};
    while (!stack.empty()) {
        const CPLXMLNode *n = stack.back();
        stack.pop_back();
        for (; n != nullptr; n = n->psNext) {
            if (n->eType != CXT_Element) {
                continue;
            }
            if (EQUAL(n->pszValue, "SourceFilename")) {
                const std::string name = CPLGetXMLValue(n, nullptr, "");
                const bool relative = CPLTestBool(CPLGetXMLValue(n, "relativeToVRT", "0"));
                sources.push_back(
                    relative && !vrt_dir.empty()
                        ? std::string(CPLProjectRelativeFilename(vrt_dir.c_str(), name.c_str()))
                        : name);
            } else if (n->psChild != nullptr) {
                stack.push_back(n->psChild);
            }
        }
    }
    CPLDestroyXMLNode(root);
    for (const auto &src : sources) {
        if (src.empty() || !seen.insert(src).second) {
            continue;
        }
        VSIStatBufL st;
        const bool exists = VSIStatExL(src.c_str(), &st, VSI_STAT_EXISTS_FLAG) == 0;
        const std::string ext = CPLGetExtension(src.c_str());
        if (exists && !EQUAL(ext.c_str(), "vrt")) {
            continue;
        }
        CPLErrorReset();
        GDALDatasetH sds =
            GDALOpenEx(src.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR,
                       nullptr, nullptr, nullptr);
        if (sds == nullptr) {
            if (!exists) {
                return "missing VRT source: " +
                       (CPLGetLastErrorNo() != 0 ? last_gdal_error() : src + ": file not found");
            }
            continue; // exists but does not open: the block reads report GDAL's reason
        }
        std::string nested = missing_vrt_source(sds, depth - 1, seen);
        GDALClose(sds);
        if (!nested.empty()) {
            return nested;
        }
    }
    CPLErrorReset(); // a source that exists but did not open is left to the block reads
    return "";
}
} // namespace

std::string RasterInfo::where() const {
    return label + " (" + path + ", band " + std::to_string(band) + ")";
}

std::vector<std::string> dataset_files(const std::string &path) {
    init_gdal();
    std::vector<std::string> files;
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 nullptr, nullptr, nullptr);
    if (ds == nullptr) {
        return files;
    }
    char **list = GDALGetFileList(ds);
    for (char **f = list; f != nullptr && *f != nullptr; ++f) {
        files.emplace_back(*f);
    }
    CSLDestroy(list);
    GDALClose(ds);
    return files;
}

RasterInfo inspect_raster(const std::string &label, const std::string &path, int band) {
    init_gdal();
    RasterInfo info;
    info.label = label;
    info.path = path;
    info.band = band;
    VSIStatBufL st;
    if (VSIStatL(path.c_str(), &st) != 0) {
        throw RasterError("cannot open raster: " + info.where() + ": file not found");
    }
    CPLErrorReset();
    GDALDatasetH ds =
        GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (ds == nullptr) {
        const std::string why =
            CPLGetLastErrorNo() != 0 ? last_gdal_error() : "not a raster format GDAL can read";
        throw RasterError("cannot open raster: " + info.where() + ": " + why);
    }
    const int bands = GDALGetRasterCount(ds);
    if (band < 1 || band > bands) {
        GDALClose(ds);
        throw RasterError("cannot open raster: " + info.where() + ": band " + std::to_string(band) +
                          " does not exist (the file has " + std::to_string(bands) + " band" +
                          (bands == 1 ? "" : "s") + ")");
    }
    std::set<std::string> seen;
    if (const std::string missing = missing_vrt_source(ds, 8, seen); !missing.empty()) {
        GDALClose(ds);
        throw RasterError("cannot open raster: " + info.where() + ": " + missing);
    }
    info.grid = grid_of(ds);
    GDALRasterBandH b = GDALGetRasterBand(ds, band);
    const GDALDataType t = GDALGetRasterDataType(b);
    info.data_type = GDALGetDataTypeName(t);
    info.is_integer = GDALDataTypeIsInteger(t) != 0 && GDALDataTypeIsComplex(t) == 0;
    // Types whose every value fits in int32 are read directly; wider integer types (UInt32,
    // Int64, UInt64) go through the double path, which range-checks each value.
    info.fits_int32 = info.is_integer && (t == GDT_Byte || t == GDT_UInt16 || t == GDT_Int16 ||
                                          t == GDT_Int32 || GDALGetDataTypeSizeBits(t) <= 8);
    int has = 0;
    const double nd = GDALGetRasterNoDataValue(b, &has);
    info.has_nodata = has != 0;
    info.nodata = nd;
    int has_scale = 0;
    int has_offset = 0;
    const double scale = GDALGetRasterScale(b, &has_scale);
    const double offset = GDALGetRasterOffset(b, &has_offset);
    info.scale = has_scale != 0 ? scale : 1.0;
    info.offset = has_offset != 0 ? offset : 0.0;
    const int flags = GDALGetMaskFlags(b);
    info.has_mask_band = (flags & GMF_ALL_VALID) == 0 && (flags & GMF_NODATA) == 0;
    GDALClose(ds);
    return info;
}

RasterReader::RasterReader(const RasterInfo &info) : m_info(info) {
    init_gdal();
    m_ds =
        GDALOpenEx(info.path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (m_ds == nullptr) {
        throw RasterError("cannot open raster: " + info.where() + ": " + last_gdal_error());
    }
    m_band = GDALGetRasterBand(m_ds, info.band);
}

RasterReader::~RasterReader() {
    if (m_ds != nullptr) {
        GDALClose(m_ds);
    }
}

void RasterReader::fail(const Window &w) const {
    throw RasterError("cannot read raster: " + m_info.where() + ", " + window_text(w) + ": " +
                      last_gdal_error());
}

void RasterReader::read_mask(const Window &w, uint8_t *valid) {
    const auto n = static_cast<std::size_t>(w.cells());
    m_mask_scratch.resize(n);
    GDALRasterBandH mask = GDALGetMaskBand(m_band);
    if (GDALRasterIO(mask, GF_Read, static_cast<int>(w.x_off), static_cast<int>(w.y_off),
                     static_cast<int>(w.x_size), static_cast<int>(w.y_size), m_mask_scratch.data(),
                     static_cast<int>(w.x_size), static_cast<int>(w.y_size), GDT_Byte, 0,
                     0) != CE_None) {
        fail(w);
    }
    for (std::size_t i = 0; i < n; ++i) {
        valid[i] = static_cast<uint8_t>(valid[i] & (m_mask_scratch[i] != 0 ? 1 : 0));
    }
}

void RasterReader::read_int32(const Window &w, int32_t *values, uint8_t *valid) {
    const auto n = static_cast<std::size_t>(w.cells());
    const int xs = static_cast<int>(w.x_size);
    const int ys = static_cast<int>(w.y_size);
    CPLErrorReset();
    if (m_info.fits_int32) {
        if (GDALRasterIO(m_band, GF_Read, static_cast<int>(w.x_off), static_cast<int>(w.y_off), xs,
                         ys, values, xs, ys, GDT_Int32, 0, 0) != CE_None) {
            fail(w);
        }
        const double nd = m_info.nodata;
        const bool nd_usable = m_info.has_nodata && std::isfinite(nd) && nd == std::floor(nd) &&
                               nd >= std::numeric_limits<int32_t>::min() &&
                               nd <= std::numeric_limits<int32_t>::max();
        if (nd_usable) {
            const auto ndi = static_cast<int32_t>(nd);
            for (std::size_t i = 0; i < n; ++i) {
                const bool ok = values[i] != ndi;
                valid[i] = ok ? 1 : 0;
                values[i] = ok ? values[i] : 0;
            }
        } else {
            std::fill(valid, valid + n, uint8_t{1});
        }
    } else {
        m_scratch.resize(n);
        if (GDALRasterIO(m_band, GF_Read, static_cast<int>(w.x_off), static_cast<int>(w.y_off), xs,
                         ys, m_scratch.data(), xs, ys, GDT_Float64, 0, 0) != CE_None) {
            fail(w);
        }
        const double nd = m_info.nodata;
        const bool use_nd = m_info.has_nodata && !std::isnan(nd);
        for (std::size_t i = 0; i < n; ++i) {
            const double v = m_scratch[i];
            const bool ok = !std::isnan(v) && !(use_nd && v == nd) && v == std::floor(v) &&
                            v >= std::numeric_limits<int32_t>::min() &&
                            v <= std::numeric_limits<int32_t>::max();
            valid[i] = ok ? 1 : 0;
            values[i] = ok ? static_cast<int32_t>(v) : 0;
        }
    }
    if (m_info.has_mask_band) {
        read_mask(w, valid);
        for (std::size_t i = 0; i < n; ++i) {
            values[i] = valid[i] ? values[i] : 0;
        }
    }
}

void RasterReader::read_double(const Window &w, double *values, uint8_t *valid) {
    const auto n = static_cast<std::size_t>(w.cells());
    const int xs = static_cast<int>(w.x_size);
    const int ys = static_cast<int>(w.y_size);
    CPLErrorReset();
    if (GDALRasterIO(m_band, GF_Read, static_cast<int>(w.x_off), static_cast<int>(w.y_off), xs, ys,
                     values, xs, ys, GDT_Float64, 0, 0) != CE_None) {
        fail(w);
    }
    // Nodata is the band's nodata value (NaN only when the nodata value is NaN) or a masked
    // pixel; it reads as 0. NaN and +-infinity otherwise are bad values: invalid, but kept in
    // `values` so a model can tell them from nodata.
    const double nd = m_info.nodata;
    const bool nd_is_nan = m_info.has_nodata && std::isnan(nd);
    const bool use_nd = m_info.has_nodata && !std::isnan(nd);
    // The band's scale and offset apply to data, never to the nodata value (GDAL's rule).
    const bool scaled = m_info.scale != 1.0 || m_info.offset != 0.0;
    const double scale = m_info.scale;
    const double offset = m_info.offset;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = values[i];
        const bool is_nodata = (use_nd && v == nd) || (nd_is_nan && std::isnan(v));
        valid[i] = !is_nodata && std::isfinite(v) ? 1 : 0;
        values[i] = is_nodata ? 0.0 : (scaled ? v * scale + offset : v);
    }
    if (m_info.has_mask_band) {
        read_mask(w, valid);
        for (std::size_t i = 0; i < n; ++i) {
            values[i] = m_mask_scratch[i] != 0 ? values[i] : 0.0; // masked: nodata
        }
    }
}

void float_predictor_rows(const float *values, int64_t width, int64_t rows, uint8_t *out) {
    const auto n = static_cast<std::size_t>(width);
    for (int64_t r = 0; r < rows; ++r) {
        const auto *src = reinterpret_cast<const uint8_t *>(values + r * width);
        uint8_t *row = out + static_cast<std::size_t>(r) * n * 4;
        // Planes, most significant byte first: on a little-endian host byte 3 of each sample.
        for (std::size_t b = 0; b < 4; ++b) {
            uint8_t *plane = row + b * n;
            const uint8_t *s = src + (3 - b);
            for (std::size_t i = 0; i < n; ++i) {
                plane[i] = s[4 * i];
            }
        }
        // Horizontal differencing over the row's bytes, from the end so each byte still sees
        // its undifferenced predecessor.
        for (std::size_t j = n * 4 - 1; j > 0; --j) {
            row[j] = static_cast<uint8_t>(row[j] - row[j - 1]);
        }
    }
}

void set_tiff_predictor(const std::string &path, uint16_t predictor) {
    const auto fail = [&path](const std::string &why) {
        throw RasterError("cannot set the TIFF predictor tag: " + path + ": " + why);
    };
    std::FILE *f = std::fopen(path.c_str(), "r+b");
    if (f == nullptr) {
        fail(std::strerror(errno));
    }
    struct Closer {
        std::FILE *f;
        ~Closer() {
            if (f != nullptr) {
                std::fclose(f);
            }
        }
    } closer{f};
    const auto read_at = [&](uint64_t off, void *buf, std::size_t n) {
        if (fseeko(f, static_cast<off_t>(off), SEEK_SET) != 0 || std::fread(buf, 1, n, f) != n) {
            fail("cannot read " + std::to_string(n) + " bytes at offset " + std::to_string(off));
        }
    };
    uint8_t head[16];
    read_at(0, head, sizeof head);
    const auto u16 = [](const uint8_t *p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); };
    const auto u32 = [](const uint8_t *p) {
        return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
               (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
    };
    const auto u64 = [&u32](const uint8_t *p) {
        return static_cast<uint64_t>(u32(p)) | (static_cast<uint64_t>(u32(p + 4)) << 32);
    };
    if (head[0] != 'I' || head[1] != 'I' || (u16(head + 2) != 42 && u16(head + 2) != 43)) {
        fail("not a little-endian TIFF");
    }
    // TIFF 6.0, section 2 (IFD entries of 12 bytes after a 2-byte count); BigTIFF: entries of
    // 20 bytes after an 8-byte count, first IFD offset at byte 8.
    const bool big = u16(head + 2) == 43;
    const uint64_t ifd = big ? u64(head + 8) : u32(head + 4);
    uint8_t count_buf[8];
    read_at(ifd, count_buf, big ? 8 : 2);
    const uint64_t count = big ? u64(count_buf) : u16(count_buf);
    const uint64_t entry_size = big ? 20 : 12;
    const uint64_t first = ifd + (big ? 8 : 2);
    for (uint64_t k = 0; k < count; ++k) {
        uint8_t entry[20];
        read_at(first + k * entry_size, entry, static_cast<std::size_t>(entry_size));
        if (u16(entry) != 317) {
            continue;
        }
        // Predictor is one SHORT (type 3), stored inline at the value field.
        if (u16(entry + 2) != 3 || (big ? u64(entry + 4) : u32(entry + 4)) != 1) {
            fail("the Predictor tag is not one SHORT value");
        }
        const uint64_t value_at = first + k * entry_size + (big ? 12 : 8);
        const uint8_t value[2] = {static_cast<uint8_t>(predictor & 0xff),
                                  static_cast<uint8_t>(predictor >> 8)};
        if (fseeko(f, static_cast<off_t>(value_at), SEEK_SET) != 0 ||
            std::fwrite(value, 1, 2, f) != 2) {
            fail(std::string("cannot write: ") + std::strerror(errno));
        }
        std::FILE *to_close = closer.f;
        closer.f = nullptr;
        if (std::fclose(to_close) != 0) {
            fail(std::string("cannot write: ") + std::strerror(errno));
        }
        return;
    }
    fail("no Predictor tag (317) in the first IFD");
}

std::string partial_path(const std::string &final_path) {
    const std::filesystem::path p(final_path);
    std::string name = ".";
    name += p.filename().string();
    name += ".partial";
    return (p.parent_path() / name).string();
}

bool needs_bigtiff(int64_t width, int64_t height, int64_t tile, int64_t bytes_per_pixel) {
    // Whole tiles, in double: exact below 2^53 and never overflowing above.
    const auto whole = [tile](int64_t n) {
        return tile > 0 ? static_cast<double>((n + tile - 1) / tile) * static_cast<double>(tile)
                        : static_cast<double>(n);
    };
    const double bytes = whole(width) * whole(height) * static_cast<double>(bytes_per_pixel);
    return bytes > static_cast<double>(BIGTIFF_ABOVE_BYTES);
}

namespace {
/// Number of `tile`-px tiles across `n` px.
int64_t tiles_across(int64_t n, int64_t tile) { return (n + tile - 1) / tile; }
} // namespace

GeoTiffWriter::GeoTiffWriter(const std::string &final_path, const GridSpec &grid,
                             const std::string &description, const std::string &units,
                             const std::map<std::string, std::string> &metadata,
                             const GeoTiffOptions &options)
    : m_final(final_path), m_temp(partial_path(final_path)), m_grid(grid), m_tile(options.tile) {
    init_gdal();
    if (const std::string why = describe_oversized_grid(grid.width, grid.height); !why.empty()) {
        throw RasterError("cannot create output: " + m_final + ": grid " + why);
    }
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    const std::string tile = std::to_string(options.tile);
    const std::string zlevel = std::to_string(options.zlevel);
    CPLStringList opts;
    opts.SetNameValue("TILED", "YES");
    opts.SetNameValue("BLOCKXSIZE", tile.c_str());
    opts.SetNameValue("BLOCKYSIZE", tile.c_str());
    opts.SetNameValue("COMPRESS", options.compress.c_str());
    if (options.compress == "DEFLATE" || options.compress == "ZSTD" || options.compress == "LZW") {
        opts.SetNameValue("PREDICTOR", "3");
    }
    if (options.compress == "DEFLATE") {
        opts.SetNameValue("ZLEVEL", zlevel.c_str());
    }
    m_byte = options.data_type == "Byte";
    m_bigtiff = needs_bigtiff(grid.width, grid.height, options.tile, m_byte ? 1 : 4);
    opts.SetNameValue("BIGTIFF", m_bigtiff ? "YES" : "NO");
    opts.SetNameValue("SPARSE_OK", "FALSE");
    CPLErrorReset();
    if (m_byte) {
        opts.SetNameValue("PREDICTOR", "1");
    }
    // The main image: with the floating-point predictor, encoded here (m_own_predictor).
    CPLStringList main_opts(opts);
    const char *predictor = opts.FetchNameValue("PREDICTOR");
    m_own_predictor =
        !m_byte && predictor != nullptr && std::strcmp(predictor, "3") == 0 && little_endian_host();
    if (m_own_predictor) {
        main_opts.SetNameValue("PREDICTOR", "1");
        m_tile_written.assign(static_cast<std::size_t>(tiles_across(grid.width, m_tile) *
                                                       tiles_across(grid.height, m_tile)),
                              0);
    }
    if (options.compress_threads > 1 && options.compress != "NONE") {
        // GDAL compresses the main image's tiles on its worker pool and writes them in the
        // order they were submitted, so the file is the same bytes (issue 13).
        main_opts.SetNameValue("NUM_THREADS", std::to_string(options.compress_threads).c_str());
    }
    errno = 0;
    m_ds =
        GDALCreate(drv, m_temp.c_str(), static_cast<int>(grid.width), static_cast<int>(grid.height),
                   1, m_byte ? GDT_Byte : GDT_Float32, main_opts.List());
    if (m_ds == nullptr) {
        throw RasterError("cannot create output: " + m_final + ": " + write_error());
    }
    GDALSetGeoTransform(m_ds, const_cast<double *>(grid.geotransform.data()));
    if (!grid.crs_wkt.empty()) {
        GDALSetProjection(m_ds, grid.crs_wkt.c_str());
    }
    m_band = GDALGetRasterBand(m_ds, 1);
    GDALSetRasterNoDataValue(m_band, m_byte ? 0.0 : std::numeric_limits<double>::quiet_NaN());
    if (m_byte) {
        // The legend as band metadata, stored inside the TIFF (GDAL_METADATA tag).
        for (std::size_t i = 0; i < options.category_names.size(); ++i) {
            GDALSetMetadataItem(m_band, ("code_" + std::to_string(i)).c_str(),
                                options.category_names[i].c_str(), nullptr);
        }
    }
    GDALSetDescription(m_band, description.c_str());
    GDALSetRasterUnitType(m_band, units.c_str());
    GDALSetMetadataItem(m_band, "units", units.c_str(), nullptr);
    for (const auto &[k, v] : metadata) {
        GDALSetMetadataItem(m_ds, k.c_str(), v.c_str(), nullptr);
    }
    m_tile_buf.resize(static_cast<std::size_t>(m_tile) * static_cast<std::size_t>(m_tile));
    if (m_byte) {
        m_byte_buf.resize(m_tile_buf.size());
    } else if (m_own_predictor) {
        m_byte_buf.resize(m_tile_buf.size() * sizeof(float));
    }
    if (!options.overviews || overview_levels(grid.width, grid.height, m_tile).empty()) {
        return;
    }
    // One temporary file per overview level, with the main file's tile size, compression and
    // BigTIFF choice, so their tiles can be copied as they are; the nodata value is repeated on
    // each level (GDAL_NODATA), as GDAL does for overviews.
    const auto levels = overview_levels(grid.width, grid.height, m_tile);
    if (!m_byte && options.compress == "DEFLATE") {
        // No floating-point predictor on the overviews, and the fastest DEFLATE level: averages
        // of neighbouring pixels have noisy low mantissa bits, which the predictor turns into
        // more work for DEFLATE, not less. Measured on scripts/bench.sh (20000^2, three Float32
        // outputs, CPU seconds of the run): with the predictor 121 MB of outputs and 66 s, without
        // it 84 MB and 57 s, and at ZLEVEL 1 88 MB and 55 s (51 s without overviews). Each IFD
        // carries its own Predictor tag; the level only changes the encoder's effort.
        opts.SetNameValue("PREDICTOR", "1");
        opts.SetNameValue("ZLEVEL", "1");
    }
    for (std::size_t k = 0; k < levels.size(); ++k) {
        m_ovr_paths.push_back(m_temp + ".ovr" + std::to_string(k + 1));
        errno = 0;
        GDALDatasetH ds = GDALCreate(
            drv, m_ovr_paths.back().c_str(), static_cast<int>(levels[k].width),
            static_cast<int>(levels[k].height), 1, m_byte ? GDT_Byte : GDT_Float32, opts.List());
        if (ds == nullptr) {
            const std::string why = write_error();
            close_all_discarding();
            throw RasterError("cannot create output: " + m_final + " (overview level " +
                              std::to_string(k + 1) + "): " + why);
        }
        GDALSetRasterNoDataValue(GDALGetRasterBand(ds, 1),
                                 m_byte ? 0.0 : std::numeric_limits<double>::quiet_NaN());
        m_ovr_ds.push_back(ds);
    }
    m_overviews = std::make_unique<OverviewBuilder>(
        grid.width, grid.height, m_tile, m_byte,
        [this](std::size_t level, int64_t tx, int64_t ty, const float *tile) {
            write_tile(GDALGetRasterBand(m_ovr_ds[level], 1), tx, ty, tile, level + 1);
        });
}

GeoTiffWriter::~GeoTiffWriter() { discard(); }

void GeoTiffWriter::write_tile(GDALRasterBandH band, int64_t tx, int64_t ty, const float *tile,
                               std::size_t level) {
    void *block = const_cast<float *>(tile);
    if (m_byte) {
        for (std::size_t i = 0; i < m_byte_buf.size(); ++i) {
            const float v = tile[i];
            m_byte_buf[i] = std::isnan(v) ? 0 : static_cast<uint8_t>(std::lround(v));
        }
        block = m_byte_buf.data();
    } else if (m_own_predictor && level == 0) {
        float_predictor_rows(tile, m_tile, m_tile, m_byte_buf.data());
        block = m_byte_buf.data();
        m_tile_written[static_cast<std::size_t>(ty * tiles_across(m_grid.width, m_tile) + tx)] = 1;
    }
    errno = 0;
    if (GDALWriteBlock(band, static_cast<int>(tx), static_cast<int>(ty), block) != CE_None) {
        const std::string what =
            level > 0 ? " (overview level " + std::to_string(level) + ")" : std::string();
        throw RasterError("cannot write output: " + m_final + what + ", tile x " +
                          std::to_string(tx) + ", y " + std::to_string(ty) + ": " + write_error());
    }
}

void GeoTiffWriter::write_window(const Window &w, const float *values) {
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const int64_t t = m_tile;
    CPLErrorReset();
    for (int64_t ty = w.y_off; ty < w.y_off + w.y_size; ty += t) {
        for (int64_t tx = w.x_off; tx < w.x_off + w.x_size; tx += t) {
            const int64_t rows = std::min(t, w.y_off + w.y_size - ty);
            const int64_t cols = std::min(t, w.x_off + w.x_size - tx);
            if (rows < t || cols < t) {
                std::fill(m_tile_buf.begin(), m_tile_buf.end(), nan);
            }
            for (int64_t r = 0; r < rows; ++r) {
                const float *src = values + (ty - w.y_off + r) * w.x_size + (tx - w.x_off);
                std::copy(src, src + cols, m_tile_buf.data() + r * t);
            }
            write_tile(m_band, tx / t, ty / t, m_tile_buf.data(), 0);
        }
    }
    if (m_overviews) {
        m_overviews->add_window(w, values);
    }
}

void GeoTiffWriter::commit() {
    if (m_ds == nullptr) {
        throw RasterError("cannot finish output: " + m_final + ": already closed");
    }
    if (m_overviews && !m_overviews->complete()) {
        close_all_discarding();
        throw RasterError("cannot finish output: " + m_final +
                          ": not every tile was written, so the overviews are incomplete");
    }
    if (m_own_predictor) {
        // Tiles no window covered (a writer used on its own; a run writes every tile) are
        // nodata, encoded like the others (see m_tile_written).
        const int64_t across = tiles_across(m_grid.width, m_tile);
        bool filled = false;
        for (std::size_t i = 0; i < m_tile_written.size(); ++i) {
            if (m_tile_written[i] == 0) {
                if (!filled) {
                    std::fill(m_tile_buf.begin(), m_tile_buf.end(),
                              std::numeric_limits<float>::quiet_NaN());
                    filled = true;
                }
                const int64_t k = static_cast<int64_t>(i);
                try {
                    write_tile(m_band, k % across, k / across, m_tile_buf.data(), 0);
                } catch (...) {
                    close_all_discarding();
                    throw;
                }
            }
        }
    }
    // Close the main file and every level file; the first failure is reported.
    std::vector<GDALDatasetH> all = {m_ds};
    all.insert(all.end(), m_ovr_ds.begin(), m_ovr_ds.end());
    m_ds = nullptr;
    m_ovr_ds.clear();
    std::string why;
    for (GDALDatasetH ds : all) {
        CPLErrorReset();
        errno = 0;
        GDALFlushCache(ds);
        const bool flush_failed = CPLGetLastErrorType() == CE_Failure;
        const int flush_errno = errno;
        GDALClose(ds);
        if ((flush_failed || CPLGetLastErrorType() == CE_Failure) && why.empty()) {
            if (flush_failed) {
                errno = flush_errno;
            }
            why = write_error();
        }
    }
    const auto remove_levels = [this] {
        for (const auto &p : m_ovr_paths) {
            std::remove(p.c_str());
        }
    };
    if (why.empty() && m_own_predictor) {
        try {
            set_tiff_predictor(m_temp, 3);
        } catch (const RasterError &e) {
            why = e.what();
        }
    }
    if (!why.empty()) {
        std::remove(m_temp.c_str());
        remove_levels();
        throw RasterError("cannot finish output: " + m_final + ": " + why);
    }
    std::string source = m_temp;
    if (!m_ovr_paths.empty()) {
        // The cloud-optimized layout, assembled from the main file and the levels.
        const std::string cog = m_temp + ".cog";
        std::vector<std::string> levels = {m_temp};
        levels.insert(levels.end(), m_ovr_paths.begin(), m_ovr_paths.end());
        try {
            m_bigtiff = assemble_cog(cog, levels);
        } catch (const RasterError &e) {
            std::remove(cog.c_str());
            std::remove(m_temp.c_str());
            remove_levels();
            throw RasterError("cannot finish output: " + m_final + ": " + e.what());
        }
        std::remove(m_temp.c_str());
        remove_levels();
        source = cog;
    }
    std::error_code ec;
    // GDAL keeps what TIFF tags cannot hold (e.g. category names) in a PAM side-car.
    if (std::filesystem::exists(m_temp + ".aux.xml")) {
        std::filesystem::rename(m_temp + ".aux.xml", m_final + ".aux.xml", ec);
    }
    std::filesystem::rename(source, m_final, ec);
    if (ec) {
        std::remove(source.c_str());
        throw RasterError("cannot finish output: " + m_final + ": rename failed: " + ec.message());
    }
}

void GeoTiffWriter::close_all_discarding() noexcept {
    // The files are deleted just after: tell GDAL not to flush them, or the GeoTIFF driver
    // fills every block never written on close (a run interrupted early on a 10^12 px grid spent
    // hours here, deaf to the signal that stopped it).
    if (m_ds != nullptr) {
        GDALDataset::FromHandle(m_ds)->MarkSuppressOnClose();
        GDALClose(m_ds);
        m_ds = nullptr;
        std::remove(m_temp.c_str());
        std::remove((m_temp + ".aux.xml").c_str());
    }
    for (GDALDatasetH ds : m_ovr_ds) {
        GDALDataset::FromHandle(ds)->MarkSuppressOnClose();
        GDALClose(ds);
    }
    m_ovr_ds.clear();
    for (const auto &p : m_ovr_paths) {
        std::remove(p.c_str());
        std::remove((p + ".aux.xml").c_str());
    }
}

void GeoTiffWriter::discard() noexcept { close_all_discarding(); }

} // namespace cs::raster
