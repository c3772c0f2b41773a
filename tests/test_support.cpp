// Shared test helpers.
#include "test_support.hpp"

#include "raster/raster_error.hpp"

#include <cpl_string.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace cs::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "cstest-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    m_path = buf.data();
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::permissions(m_path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(m_path, ec);
}

void write_raster(const std::string &path, const RasterSpec &s, const std::vector<double> &values) {
    cs::raster::init_gdal();
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    CPLStringList opts;
    if (s.tiled) {
        opts.SetNameValue("TILED", "YES");
        opts.SetNameValue("BLOCKXSIZE", "16");
        opts.SetNameValue("BLOCKYSIZE", "16");
    }
    GDALDatasetH ds = GDALCreate(drv, path.c_str(), s.width, s.height, 1,
                                 GDALGetDataTypeByName(s.type.c_str()), opts.List());
    if (ds == nullptr) {
        throw std::runtime_error("cannot create " + path);
    }
    double gt[6] = {s.origin_x, s.pixel_size, 0, s.origin_y, 0, -s.pixel_size};
    GDALSetGeoTransform(ds, gt);
    if (s.epsg != 0) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, s.epsg);
        GDALSetSpatialRef(ds, srs);
        OSRDestroySpatialReference(srs);
    }
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    if (s.has_nodata) {
        GDALSetRasterNoDataValue(b, s.nodata);
    }
    std::vector<double> v = values;
    if (GDALRasterIO(b, GF_Write, 0, 0, s.width, s.height, v.data(), s.width, s.height, GDT_Float64,
                     0, 0) != CE_None) {
        GDALClose(ds);
        throw std::runtime_error("cannot write " + path);
    }
    GDALClose(ds);
}

void write_polygons(const std::string &path, int epsg, const std::vector<PolygonFeature> &features,
                    const std::string &shapefile_encoding) {
    cs::raster::init_gdal();
    const std::string ext = fs::path(path).extension().string();
    const char *driver = ext == ".gpkg" ? "GPKG" : ext == ".shp" ? "ESRI Shapefile" : "GeoJSON";
    GDALDriverH drv = GDALGetDriverByName(driver);
    GDALDatasetH ds = GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (ds == nullptr) {
        throw std::runtime_error("cannot create " + path);
    }
    OGRSpatialReferenceH srs = nullptr;
    if (epsg != 0) {
        srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, epsg);
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    }
    CPLStringList layer_opts;
    if (!shapefile_encoding.empty()) {
        layer_opts.SetNameValue("ENCODING", shapefile_encoding.c_str());
    }
    OGRLayerH layer =
        GDALDatasetCreateLayer(ds, "districts", srs, wkbMultiPolygon, layer_opts.List());
    OGRFieldDefnH f1 = OGR_Fld_Create("code", OFTInteger64);
    OGR_L_CreateField(layer, f1, 1);
    OGR_Fld_Destroy(f1);
    OGRFieldDefnH f2 = OGR_Fld_Create("name", OFTString);
    OGR_L_CreateField(layer, f2, 1);
    OGR_Fld_Destroy(f2);
    for (const auto &feat : features) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        OGR_F_SetFieldInteger64(f, 0, feat.id);
        OGR_F_SetFieldString(f, 1, feat.name.c_str());
        if (!feat.rings.empty()) {
            OGRGeometryH poly = OGR_G_CreateGeometry(wkbPolygon);
            for (const auto &ring : feat.rings) {
                OGRGeometryH r = OGR_G_CreateGeometry(wkbLinearRing);
                for (const auto &[x, y] : ring) {
                    OGR_G_AddPoint_2D(r, x, y);
                }
                OGR_G_CloseRings(r);
                OGR_G_AddGeometryDirectly(poly, r);
            }
            OGRGeometryH multi = OGR_G_CreateGeometry(wkbMultiPolygon);
            OGR_G_AddGeometryDirectly(multi, poly);
            OGR_F_SetGeometryDirectly(f, multi);
        }
        if (OGR_L_CreateFeature(layer, f) != OGRERR_NONE) {
            OGR_F_Destroy(f);
            throw std::runtime_error("cannot write a feature to " + path);
        }
        OGR_F_Destroy(f);
    }
    if (srs != nullptr) {
        OSRDestroySpatialReference(srs);
    }
    GDALClose(ds);
}

RasterSpec write_two_epoch_city(const TempDir &dir, bool nodata_pixel) {
    RasterSpec spec;
    spec.width = 40;
    spec.height = 30;
    spec.epsg = 6933;
    std::vector<double> lc2010(40 * 30), lc2020(40 * 30);
    for (int r = 0; r < 30; ++r) {
        for (int c = 0; c < 40; ++c) {
            const int i = r * 40 + c;
            lc2010[i] = c < 20 ? 1 : 2;
            lc2020[i] = lc2010[i];
            if (c < 20 && r < 10) {
                lc2020[i] = 2;
            }
            if (c >= 30 && r >= 20) {
                lc2020[i] = 3;
            }
        }
    }
    if (nodata_pixel) {
        lc2020[25 * 40 + 5] = 255;
    }
    write_raster(dir.file("lc2010.tif"), spec, lc2010);
    write_raster(dir.file("lc2020.tif"), spec, lc2020);
    return spec;
}

PolygonFeature pixel_rectangle(const RasterSpec &spec, int64_t id, const std::string &name, int c0,
                               int r0, int c1, int r1) {
    const double x0 = spec.origin_x + c0 * spec.pixel_size;
    const double x1 = spec.origin_x + c1 * spec.pixel_size;
    const double y0 = spec.origin_y - r0 * spec.pixel_size;
    const double y1 = spec.origin_y - r1 * spec.pixel_size;
    return {id, name, {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}};
}

void write_text(const std::string &path, const std::string &text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

std::string read_text(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CliResult run_carbonsink(const std::string &args, const std::string &env) {
    TempDir capture;
    const std::string out = capture.file("out.txt");
    const std::string err = capture.file("err.txt");
    const std::string cmd = (env.empty() ? "" : env + " ") + std::string(CS_CARBONSINK_EXE) + " " +
                            args + " >" + out + " 2>" + err + " </dev/null";
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_text(out);
    r.err = read_text(err);
    return r;
}

std::string gdal_read_problems(const std::string &h5_path) {
    TempDir capture;
    const std::string log = capture.file("gdal.txt");
    const std::string cmd = "sh " + std::string(CS_SOURCE_DIR) + "/tests/gdal_reads.sh '" +
                            h5_path + "' >" + log + " 2>&1";
    const int status = std::system(cmd.c_str());
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        return "";
    }
    return "GDAL cannot read " + h5_path + ":\n" + read_text(log);
}

std::string shared_data(const std::string &sub) {
    const fs::path p = fs::path(CS_SHARED_DATA) / sub;
    return fs::is_directory(p) ? p.string() : std::string();
}

std::vector<std::vector<std::string>> read_csv(const std::string &path) {
    std::vector<std::vector<std::string>> rows;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> cells;
        std::string cell;
        bool quoted = false;
        for (char c : line) {
            if (c == '"') {
                quoted = !quoted;
            } else if (c == ',' && !quoted) {
                cells.push_back(cell);
                cell.clear();
            } else {
                cell += c;
            }
        }
        cells.push_back(cell);
        rows.push_back(cells);
    }
    return rows;
}

} // namespace cs::test
