// The catalogue of bad inputs (tests/bad_inputs.txt): for each case, a setup below breaks one
// thing in a valid scenario, and carbonsink must exit with code 2 and print the catalogue's
// message (input, place and cause) without leaving outputs behind.
#include "raster/raster_error.hpp"
#include "test_support.hpp"

#include <gdal.h>
#include <gtest/gtest.h>

#include <cpl_string.h>
#include <gdal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using namespace cs::test;
namespace fs = std::filesystem;

namespace {

// ---- The catalogue ---------------------------------------------------------------------------

struct CatalogueCase {
    std::string id;
    std::string input;    ///< what is wrong, for the reader
    std::string expected; ///< substring of stderr; "{dir}" stands for the scenario directory
    int line = 0;
};

/// Test names show the case id, not the struct's bytes.
void PrintTo(const CatalogueCase &c, std::ostream *os) { *os << c.id; }

std::string trim(const std::string &s) {
    const auto b = s.find_first_not_of(" \t\r");
    const auto e = s.find_last_not_of(" \t\r");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/// Lines "case_id | input | expected message"; '#' starts a comment line. Malformed lines are
/// kept with an empty expectation so the completeness test reports them.
std::vector<CatalogueCase> load_catalogue() {
    std::vector<CatalogueCase> cases;
    std::ifstream in(CS_BAD_INPUTS);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        const std::string t = trim(line);
        if (t.empty() || t[0] == '#') {
            continue;
        }
        CatalogueCase c;
        c.line = n;
        const auto p1 = t.find(" | ");
        const auto p2 = p1 == std::string::npos ? p1 : t.find(" | ", p1 + 3);
        c.id = trim(t.substr(0, p1));
        if (p2 != std::string::npos) {
            c.input = trim(t.substr(p1 + 3, p2 - p1 - 3));
            c.expected = trim(t.substr(p2 + 3));
        }
        cases.push_back(c);
    }
    return cases;
}

// ---- The valid base scenario -------------------------------------------------------------------

// 40 x 30 px of 30 m on EPSG:6933 (as in test_integration.cpp). 2010: columns 0-19 class 1
// (cropland), 20-39 class 2 (forest); 2020 as 2010 with rows 0-9 of columns 0-19 afforested,
// the block of columns 30-39, rows 20-29 class 3 (settlement), and pixel (col 5, row 25) nodata.
// Three districts on pixel edges. Optional parts (inventory, AGB maps, soil) are written by the
// cases that need them.
const char *POOLS = "lucode,LULC_Name,c_above,c_below,c_soil,c_dead\n"
                    "1,cropland,10,2,50,1\n"
                    "2,forest,100,20,80,5\n"
                    "3,settlement,0,0,30,0\n";

const char *FOREST_TYPES =
    "code,name,method,cbef_forest_type,climate_domain,bcef_forest_type,root_shoot_zone,"
    "root_shoot_type,carbon_fraction\n"
    "1,Chinese fir,china_cbef,cunninghamia_lanceolata,,,,,\n"
    "2,Pines,ipcc_bcef,,temperate,pines,temperate,conifer,0.47\n";

// The disturbance (fd) table of the loss cases.
const char *FD_TABLE = "code,name,fd,source,status\n"
                       "1,none,0,no disturbance,V\n"
                       "2,storm,0.5,user field survey,U\n";

// The disturbance keys of the loss cases (lines 27-29).
const char *DISTURBANCE_KEYS = "    disturbed_fraction: disturbed.tif\n" // 27
                               "    disturbance_type: dtype.tif\n"       // 28
                               "    disturbance_table: fd.csv\n";        // 29

const char *SOIL_MANAGEMENT = "lucode,mode,land_use,lu_level,mg_level,i_level\n"
                              "1,factors,cropland,long_term_cultivated,full_tillage,medium\n"
                              "2,reference,,,,\n"
                              "3,table,,,,\n";

// Line numbers matter: the catalogue's messages quote them.
const char *BASE_CONFIG = "name: bad-inputs\n"              // 1
                          "output_dir: out\n"               // 2
                          "land_cover:\n"                   // 3
                          "  epochs:\n"                     // 4
                          "    2010: lc2010.tif\n"          // 5
                          "    2020: lc2020.tif\n"          // 6
                          "districts:\n"                    // 7
                          "  path: districts.gpkg\n"        // 8
                          "  id_field: code\n"              // 9
                          "  name_field: name\n"            // 10
                          "models:\n"                       // 11
                          "  stocks:\n"                     // 12
                          "    method: lookup\n"            // 13
                          "    table: pools.csv\n"          // 14
                          "  sink:\n"                       // 15
                          "    method: stock_difference\n"; // 16

// stocks.inventory in place of lines 13-14: the table stays on line 14, forest_types on 20.
const char *INVENTORY_STOCKS = "    method: inventory\n"               // 13
                               "    table: pools.csv\n"                // 14
                               "    forest_classes: [2]\n"             // 15
                               "    volume:\n"                         // 16
                               "      2010: vol2010.tif\n"             // 17
                               "      2020: vol2020.tif\n"             // 18
                               "    forest_type: ftype.tif\n"          // 19
                               "    forest_types: forest_types.csv\n"; // 20

// stocks.agb_raster in place of lines 13-14.
const char *AGB_STOCKS = "    method: agb_raster\n"
                         "    table: pools.csv\n"
                         "    agb:\n"
                         "      2010: agb2010.tif\n"
                         "      2020: agb2020.tif\n"
                         "    agb_units: mg_dm_per_ha\n"
                         "    carbon_fraction: 0.47\n"
                         "    root_shoot_ratio: 0.24\n";

// soil.ipcc_tier1 after line 16 (the block starts on line 17).
const char *SOIL_MODEL = "  soil:\n"                              // 17
                         "    method: ipcc_tier1\n"               // 18
                         "    climate_zone: zone.tif\n"           // 19
                         "    soil_type: soil.tif\n"              // 20
                         "    soil_types:\n"                      // 21
                         "      1: hac\n"                         // 22
                         "    management: soil_management.csv\n"; // 23

constexpr int W = 40;
constexpr int H = 30;
constexpr std::size_t CELLS = static_cast<std::size_t>(W) * H;

/// `text` with the first `from` replaced by `to`; throws when `from` is absent (a setup that
/// no longer breaks what it says would otherwise pass silently).
std::string replaced(std::string text, const std::string &from, const std::string &to) {
    const auto pos = text.find(from);
    if (pos == std::string::npos) {
        throw std::runtime_error("setup: \"" + from + "\" not found");
    }
    return text.replace(pos, from.size(), to);
}

struct Base {
    TempDir dir;
    RasterSpec spec;
    std::vector<double> lc2010 = std::vector<double>(CELLS);
    std::vector<double> lc2020 = std::vector<double>(CELLS);

    Base() {
        spec.width = W;
        spec.height = H;
        spec.epsg = 6933;
        for (int r = 0; r < H; ++r) {
            for (int c = 0; c < W; ++c) {
                const auto i = static_cast<std::size_t>(r * W + c);
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
        lc2020[25 * W + 5] = 255;
        write_raster(file("lc2010.tif"), spec, lc2010);
        write_raster(file("lc2020.tif"), spec, lc2020);
        write_text(file("pools.csv"), POOLS);
        write_polygons(file("districts.gpkg"), 6933, three_districts());
    }
    /// The three districts of the base scenario.
    std::vector<PolygonFeature> three_districts() const {
        return {rect(11, "A", 0, 0, 20, 30), rect(22, "B", 20, 0, 40, 15),
                rect(33, "C", 20, 15, 40, 30)};
    }
    std::string file(const std::string &name) const { return dir.file(name); }
    /// Rectangle covering pixel columns [c0, c1) and rows [r0, r1).
    PolygonFeature rect(int64_t id, const std::string &name, int c0, int r0, int c1, int r1) const {
        const double x0 = spec.origin_x + c0 * 30.0;
        const double x1 = spec.origin_x + c1 * 30.0;
        const double y0 = spec.origin_y - r0 * 30.0;
        const double y1 = spec.origin_y - r1 * 30.0;
        return {id, name, {{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}}};
    }
    /// Write `text` as run.yaml; returns its path.
    std::string config(const std::string &text = BASE_CONFIG) const {
        write_text(file("run.yaml"), text);
        return file("run.yaml");
    }
    std::string validate(const std::string &text = BASE_CONFIG) const {
        return "validate " + config(text);
    }
    std::string run(const std::string &text = BASE_CONFIG) const {
        return "run " + config(text) + " --quiet --threads 2";
    }
    /// models.nep with method npp_raster over 2020-01 .. 2020-03 (lines 17-24): monthly NPP,
    /// temperature and precipitation rasters (Float32, nodata -9999) and a vegetation mapping;
    /// the config text.
    std::string nep() const {
        RasterSpec f = spec;
        f.type = "Float32";
        f.nodata = -9999;
        for (const char *ym : {"202001", "202002", "202003"}) {
            write_raster(file(std::string("npp_") + ym + ".tif"), f,
                         std::vector<double>(CELLS, 30));
            write_raster(file(std::string("t_") + ym + ".tif"), f, std::vector<double>(CELLS, 5));
            write_raster(file(std::string("p_") + ym + ".tif"), f, std::vector<double>(CELLS, 20));
        }
        write_text(file("casa_types.csv"), "lucode,casa_type\n2,grassland\n");
        return std::string(BASE_CONFIG) + "  nep:\n"                                    // 17
                                          "    method: npp_raster\n"                    // 18
                                          "    months: [2020-01, 2020-03]\n"            // 19
                                          "    vegetation: casa_types.csv\n"            // 20
                                          "    layers:\n"                               // 21
                                          "      npp_g_c_per_m2: npp_{yyyy}{mm}.tif\n"  // 22
                                          "      temperature_c: t_{yyyy}{mm}.tif\n"     // 23
                                          "      precipitation_mm: p_{yyyy}{mm}.tif\n"; // 24
    }
    /// Float32 rasters (nodata -1): volume 100 m3/ha in both epochs unless given.
    std::string inventory(const std::vector<double> &vol2020 = {}) const {
        RasterSpec f = spec;
        f.type = "Float32";
        f.nodata = -1;
        write_raster(file("vol2010.tif"), f, std::vector<double>(CELLS, 100));
        write_raster(file("vol2020.tif"), f,
                     vol2020.empty() ? std::vector<double>(CELLS, 100) : vol2020);
        RasterSpec t = spec;
        t.type = "Byte";
        t.nodata = 0;
        std::vector<double> ft(CELLS);
        for (std::size_t i = 0; i < CELLS; ++i) {
            ft[i] = static_cast<int>(i % W) < 30 ? 1 : 2;
        }
        write_raster(file("ftype.tif"), t, ft);
        write_text(file("forest_types.csv"), FOREST_TYPES);
        return replaced(BASE_CONFIG, "    method: lookup\n    table: pools.csv\n",
                        INVENTORY_STOCKS);
    }
    /// Float32 AGB maps (nodata -9999): 10 Mg dm/ha on cropland columns, 200 on forest.
    std::string agb(const std::vector<double> &agb2020 = {}) const {
        RasterSpec f = spec;
        f.type = "Float32";
        f.nodata = -9999;
        std::vector<double> a(CELLS);
        for (std::size_t i = 0; i < CELLS; ++i) {
            a[i] = static_cast<int>(i % W) < 20 ? 10 : 200;
        }
        write_raster(file("agb2010.tif"), f, a);
        write_raster(file("agb2020.tif"), f, agb2020.empty() ? a : agb2020);
        return replaced(BASE_CONFIG, "    method: lookup\n    table: pools.csv\n", AGB_STOCKS);
    }
    /// soil.ipcc_tier1 with the given management table.
    std::string soil(const std::string &management = SOIL_MANAGEMENT) const {
        write_raster(file("zone.tif"), spec, std::vector<double>(CELLS, 3));
        write_raster(file("soil.tif"), spec, std::vector<double>(CELLS, 1));
        write_text(file("soil_management.csv"), management);
        return std::string(BASE_CONFIG) + SOIL_MODEL;
    }
    /// stocks.inventory with flux.gain_loss (volume_increment) and losses: the flux block
    /// starts on line 23, `keys` follow it from line 27. Writes iv.tif (5 m3/ha/yr),
    /// harvest.tif (1 m3/ha/yr), disturbed.tif (0.1), dtype.tif (code 1 on columns 0-29, 2 on
    /// 30-39) and fd.csv (codes 1 and 2).
    std::string losses(const std::string &keys) const {
        const std::string cfg = inventory();
        RasterSpec f = spec;
        f.type = "Float32";
        f.nodata = -1;
        write_raster(file("iv.tif"), f, std::vector<double>(CELLS, 5));
        write_raster(file("harvest.tif"), f, std::vector<double>(CELLS, 1));
        write_raster(file("disturbed.tif"), f, std::vector<double>(CELLS, 0.1));
        RasterSpec t = spec;
        t.type = "Byte";
        t.nodata = 0;
        std::vector<double> d(CELLS);
        for (std::size_t i = 0; i < CELLS; ++i) {
            d[i] = static_cast<int>(i % W) < 30 ? 1 : 2;
        }
        write_raster(file("dtype.tif"), t, d);
        write_text(file("fd.csv"), FD_TABLE);
        return cfg +
               "  flux:\n"                        // 23
               "    method: gain_loss\n"          // 24
               "    growth: volume_increment\n"   // 25
               "    volume_increment: iv.tif\n" + // 26
               keys;
    }
    std::vector<double> vol_with(std::size_t row, std::size_t col, double v) const {
        std::vector<double> vol(CELLS, 100);
        vol[row * W + col] = v;
        return vol;
    }
    /// The 2010 AGB map with pixels (row, col) set to v.
    std::vector<double> agb_with(const std::vector<std::pair<std::size_t, std::size_t>> &pixels,
                                 double v) const {
        std::vector<double> a(CELLS);
        for (std::size_t i = 0; i < CELLS; ++i) {
            a[i] = static_cast<int>(i % W) < 20 ? 10 : 200;
        }
        for (const auto &[r, c] : pixels) {
            a[r * W + c] = v;
        }
        return a;
    }
    /// A GeoJSON district layer with one feature of geometry `geometry_json` (EPSG:6933) and
    /// properties `properties_json`.
    void
    geojson_districts(const std::string &geometry_json,
                      const std::string &properties_json = "{\"code\": 1, \"name\": \"x\"}") const {
        write_text(file("districts.geojson"),
                   "{\"type\": \"FeatureCollection\", \"crs\": {\"type\": \"name\", "
                   "\"properties\": {\"name\": \"urn:ogc:def:crs:EPSG::6933\"}}, \"features\": "
                   "[{\"type\": \"Feature\", \"properties\": " +
                       properties_json + ", \"geometry\": " + geometry_json + "}]}\n");
    }
    /// A GeoJSON polygon covering pixel columns [c0, c1) and rows [r0, r1).
    std::string geojson_rect(int c0, int r0, int c1, int r1) const {
        const auto ring = rect(0, "", c0, r0, c1, r1).rings[0];
        std::string coords;
        for (std::size_t i = 0; i <= ring.size(); ++i) {
            const auto &[x, y] = ring[i % ring.size()];
            coords += (i ? ", [" : "[") + std::to_string(x) + ", " + std::to_string(y) + "]";
        }
        return "{\"type\": \"Polygon\", \"coordinates\": [[" + coords + "]]}";
    }
};

/// A GeoPackage with no layer at all.
void write_empty_geopackage(const std::string &path) {
    cs::raster::init_gdal();
    GDALDatasetH ds =
        GDALCreate(GDALGetDriverByName("GPKG"), path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (ds == nullptr) {
        throw std::runtime_error("cannot create " + path);
    }
    GDALClose(ds);
}

/// How to run a case: carbonsink arguments, or a reason to skip it here; `env` is prefixed to
/// the command (e.g. an address-space limit, "ulimit -v N &&").
struct Invocation {
    std::string args;
    std::string skip = {};
    /// When > 0: stderr must hold exactly this many "error: " lines (a problem of a whole input
    /// is said once, not once per district).
    int error_lines = 0;
    std::string env = {};
};

using Setup = std::function<Invocation(Base &)>;

const double NaN = std::numeric_limits<double>::quiet_NaN();
const double INF = std::numeric_limits<double>::infinity();

/// A VRT of constant class 1 (its hidden nodata value fills every read) of `size` x `size` px
/// of 30 m on EPSG:6933, at the scenario's origin.
std::string constant_vrt(int64_t size) {
    return "<VRTDataset rasterXSize=\"" + std::to_string(size) + "\" rasterYSize=\"" +
           std::to_string(size) +
           "\">\n  <SRS>EPSG:6933</SRS>\n"
           "  <GeoTransform>500000, 30, 0, 4600000, 0, -30</GeoTransform>\n"
           "  <VRTRasterBand dataType=\"Byte\" band=\"1\">\n"
           "    <NoDataValue>1</NoDataValue>\n    <HideNoDataValue>1</HideNoDataValue>\n"
           "  </VRTRasterBand>\n</VRTDataset>\n";
}

/// A GeoTIFF of a few hundred bytes declaring 10^6 x 10^6 px (UTM 51N, 30 m): one sparse,
/// DEFLATE-compressed strip, so no pixel is stored.
void write_tiny_huge_tiff(const std::string &path) {
    GDALAllRegister();
    CPLStringList opts;
    opts.SetNameValue("SPARSE_OK", "TRUE");
    opts.SetNameValue("COMPRESS", "DEFLATE");
    opts.SetNameValue("BLOCKYSIZE", "1000000");
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path.c_str(), 1000000, 1000000, 1,
                                 GDT_Byte, opts.List());
    if (ds == nullptr) {
        throw std::runtime_error("setup: cannot create " + path);
    }
    double gt[6] = {500000, 30, 0, 4600000, 0, -30};
    GDALSetGeoTransform(ds, gt);
    GDALSetProjection(ds, "EPSG:32651");
    GDALClose(ds);
}

const std::map<std::string, Setup> &setups() {
    static const std::map<std::string, Setup> s = {
        // ---- files and formats
        {"missing_land_cover_file",
         [](Base &b) -> Invocation {
             fs::remove(b.file("lc2020.tif"));
             return {b.validate()};
         }},
        {"missing_pools_table",
         [](Base &b) -> Invocation {
             fs::remove(b.file("pools.csv"));
             return {b.validate()};
         }},
        {"missing_district_file",
         [](Base &b) -> Invocation {
             fs::remove(b.file("districts.gpkg"));
             return {b.validate()};
         }},
        {"missing_forest_types_table",
         [](Base &b) -> Invocation {
             const std::string cfg = b.inventory();
             fs::remove(b.file("forest_types.csv"));
             return {b.validate(cfg)};
         }},
        {"nep_unknown_casa_type",
         [](Base &b) -> Invocation {
             const std::string cfg = b.nep();
             write_text(b.file("casa_types.csv"), "lucode,casa_type\n2,rainforest\n");
             return {b.validate(cfg)};
         }},
        {"nep_months_out_of_order",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(b.nep(), "[2020-01, 2020-03]", "[2020-03, 2020-01]"))};
         }},
        {"nep_month_not_yyyy_mm",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(b.nep(), "[2020-01, 2020-03]", "[2020-1, 2020-03]"))};
         }},
        {"nep_missing_month",
         [](Base &b) -> Invocation {
             const std::string cfg = b.nep();
             fs::remove(b.file("p_202002.tif"));
             return {b.validate(cfg)};
         }},
        {"nep_layer_without_month_in_its_name",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(b.nep(), "npp_{yyyy}{mm}.tif", "npp.tif"))};
         }},
        {"nep_month_on_another_grid_with_strict",
         [](Base &b) -> Invocation {
             const std::string cfg = b.nep() + "grid:\n  strict: true\n";
             RasterSpec f = b.spec;
             f.type = "Float32";
             f.nodata = -9999;
             f.origin_x += 15.0; // half a pixel east
             write_raster(b.file("t_202002.tif"), f, std::vector<double>(CELLS, 5));
             return {b.validate(cfg)};
         }},
        {"missing_config_file",
         [](Base &b) -> Invocation { return {"validate " + b.file("absent.yaml")}; }},
        {"text_file_named_tif",
         [](Base &b) -> Invocation {
             write_text(b.file("lc2020.tif"), "land cover 2020: ask the survey office\n");
             return {b.validate()};
         }},
        {"truncated_geotiff_pixels",
         [](Base &b) -> Invocation {
             const std::string bytes = read_text(b.file("lc2020.tif"));
             write_text(b.file("lc2020.tif"), bytes.substr(0, bytes.size() / 2));
             return {b.validate()};
         }},
        {"truncated_geotiff_header",
         [](Base &b) -> Invocation {
             const std::string bytes = read_text(b.file("lc2020.tif"));
             write_text(b.file("lc2020.tif"), bytes.substr(0, 100));
             return {b.validate()};
         }},
        {"corrupt_geotiff_signature",
         [](Base &b) -> Invocation {
             std::string bytes = read_text(b.file("lc2020.tif"));
             bytes.replace(0, 4, "XXXX");
             write_text(b.file("lc2020.tif"), bytes);
             return {b.validate()};
         }},
        {"wrong_band_number",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "  epochs:\n", "  band: 2\n  epochs:\n"))};
         }},
        {"land_cover_vrt_missing_source",
         [](Base &b) -> Invocation {
             // A mosaic of two halves; the east half's file is not there.
             write_text(b.file("lc2020.vrt"), R"(<VRTDataset rasterXSize="40" rasterYSize="30">
  <SRS>EPSG:6933</SRS>
  <GeoTransform>500000, 30, 0, 4600000, 0, -30</GeoTransform>
  <VRTRasterBand dataType="Byte" band="1">
    <NoDataValue>255</NoDataValue>
    <SimpleSource>
      <SourceFilename relativeToVRT="1">lc2020.tif</SourceFilename>
      <SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="20" ySize="30"/>
      <DstRect xOff="0" yOff="0" xSize="20" ySize="30"/>
    </SimpleSource>
    <SimpleSource>
      <SourceFilename relativeToVRT="1">tiles/lc2020_east.tif</SourceFilename>
      <SourceBand>1</SourceBand>
      <SrcRect xOff="0" yOff="0" xSize="20" ySize="30"/>
      <DstRect xOff="20" yOff="0" xSize="20" ySize="30"/>
    </SimpleSource>
  </VRTRasterBand>
</VRTDataset>
)");
             return {b.validate(replaced(BASE_CONFIG, "2020: lc2020.tif", "2020: lc2020.vrt"))};
         }},
        {"land_cover_float_values_not_class_codes",
         [](Base &b) -> Invocation {
             RasterSpec f = b.spec;
             f.type = "Float32";
             std::vector<double> v = b.lc2020;
             v[7 * W + 30] = 2.5;
             v[2 * W + 5] = 3e9;
             v[9 * W + 9] = -3e9;
             write_raster(b.file("lc2020.tif"), f, v);
             return {b.validate()};
         }},
        // ---- grids and CRS
        {"reference_raster_without_crs",
         [](Base &b) -> Invocation {
             RasterSpec no_crs = b.spec;
             no_crs.epsg = 0;
             write_raster(b.file("lc2010.tif"), no_crs, b.lc2010);
             write_raster(b.file("lc2020.tif"), no_crs, b.lc2020);
             return {b.validate()};
         }},
        {"grid_beyond_the_pole",
         [](Base &b) -> Invocation {
             RasterSpec geo = b.spec;
             geo.epsg = 4326;
             geo.origin_x = 100.0;
             geo.origin_y = 92.0;
             geo.pixel_size = 1.0;
             write_raster(b.file("lc2010.tif"), geo, b.lc2010);
             write_raster(b.file("lc2020.tif"), geo, b.lc2020);
             return {b.validate()};
         }},
        {"raster_without_crs",
         [](Base &b) -> Invocation {
             RasterSpec no_crs = b.spec;
             no_crs.epsg = 0;
             write_raster(b.file("lc2020.tif"), no_crs, b.lc2020);
             return {b.validate()};
         }},
        {"different_crs_strict",
         [](Base &b) -> Invocation {
             RasterSpec utm = b.spec;
             utm.epsg = 32651;
             write_raster(b.file("lc2020.tif"), utm, b.lc2020);
             return {b.validate(std::string(BASE_CONFIG) + "grid:\n  strict: true\n")};
         }},
        {"misaligned_grid_strict",
         [](Base &b) -> Invocation {
             RasterSpec shifted = b.spec;
             shifted.origin_x += 15.0; // half a pixel
             write_raster(b.file("lc2020.tif"), shifted, b.lc2020);
             return {b.validate(std::string(BASE_CONFIG) + "grid:\n  strict: true\n")};
         }},
        // ---- class codes missing from tables
        {"land_cover_codes_missing_from_pools_table",
         [](Base &b) -> Invocation {
             std::vector<double> v = b.lc2020;
             v[3] = 7;
             v[50] = 200;
             v[51] = 7;
             write_raster(b.file("lc2020.tif"), b.spec, v);
             return {b.run()};
         }},
        {"forest_type_codes_missing_from_table",
         [](Base &b) -> Invocation {
             const std::string cfg = b.inventory();
             write_text(b.file("forest_types.csv"),
                        "code,name,method,cbef_forest_type\n"
                        "1,Chinese fir,china_cbef,cunninghamia_lanceolata\n");
             return {b.validate(cfg)};
         }},
        {"land_cover_class_without_soil_rule",
         [](Base &b) -> Invocation {
             return {b.validate(b.soil("lucode,mode,land_use,lu_level,mg_level,i_level\n"
                                       "1,factors,cropland,long_term_cultivated,full_tillage,"
                                       "medium\n"
                                       "2,reference,,,,\n"))};
         }},
        // ---- bad values in continuous layers and tables
        {"volume_negative",
         [](Base &b) -> Invocation { return {b.run(b.inventory(b.vol_with(3, 25, -5)))}; }},
        {"volume_nan",
         [](Base &b) -> Invocation { return {b.run(b.inventory(b.vol_with(3, 25, NaN)))}; }},
        {"volume_infinite",
         [](Base &b) -> Invocation { return {b.run(b.inventory(b.vol_with(3, 25, INF)))}; }},
        {"agb_negative",
         [](Base &b) -> Invocation {
             return {b.run(b.agb(b.agb_with({{7, 33}, {0, 31}}, -5)))};
         }},
        {"agb_nan",
         [](Base &b) -> Invocation {
             return {b.run(b.agb(b.agb_with({{12, 2}}, NaN)))};
         }},
        {"pools_table_negative_density",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"),
                        replaced(POOLS, "1,cropland,10,2,", "1,cropland,10,-2,"));
             return {b.validate()};
         }},
        {"pools_table_nan_density",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"),
                        replaced(POOLS, "1,cropland,10,2,", "1,cropland,10,nan,"));
             return {b.validate()};
         }},
        {"pools_table_infinite_density",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"),
                        replaced(POOLS, "2,forest,100,20,80", "2,forest,100,20,inf"));
             return {b.validate()};
         }},
        // ---- nodata everywhere
        {"land_cover_all_nodata",
         [](Base &b) -> Invocation {
             write_raster(b.file("lc2020.tif"), b.spec, std::vector<double>(CELLS, 255));
             return {b.validate()};
         }},
        {"volume_all_nodata",
         [](Base &b) -> Invocation {
             return {b.validate(b.inventory(std::vector<double>(CELLS, -1)))};
         }},
        {"epoch_without_any_valid_pixel",
         [](Base &b) -> Invocation {
             // AGB only where the 2020 land cover is nodata: no 2020 pixel has both.
             std::vector<double> a(CELLS, -9999);
             a[25 * W + 5] = 50;
             return {b.run(b.agb(a))};
         }},
        // ---- epochs
        {"epochs_out_of_order",
         [](Base &b) -> Invocation {
             return {
                 b.validate(replaced(BASE_CONFIG, "    2010: lc2010.tif\n    2020: lc2020.tif\n",
                                     "    2020: lc2020.tif\n    2010: lc2010.tif\n"))};
         }},
        {"epoch_year_duplicated",
         [](Base &b) -> Invocation {
             return {b.validate(
                 replaced(BASE_CONFIG, "    2010: lc2010.tif\n", "    2020: lc2010.tif\n"))};
         }},
        {"epochs_empty",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG,
                                         "  epochs:\n    2010: lc2010.tif\n    2020: lc2020.tif\n",
                                         "  epochs: {}\n"))};
         }},
        // ---- districts
        {"district_layer_empty",
         [](Base &b) -> Invocation {
             fs::remove(b.file("districts.gpkg"));
             write_polygons(b.file("districts.gpkg"), 6933, {});
             return {b.validate()};
         }},
        {"district_id_duplicated",
         [](Base &b) -> Invocation {
             fs::remove(b.file("districts.gpkg"));
             write_polygons(b.file("districts.gpkg"), 6933,
                            {b.rect(5, "a", 0, 0, 10, 10), b.rect(5, "b", 10, 0, 20, 10)});
             return {b.validate()};
         }},
        {"district_id_field_missing",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "  id_field: code\n", "  id_field: kode\n"))};
         }},
        {"district_id_field_not_given",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "  id_field: code\n", ""))};
         }},
        {"district_geometry_is_a_point",
         [](Base &b) -> Invocation {
             b.geojson_districts("{\"type\": \"Point\", \"coordinates\": [500100, 4599900]}");
             return {b.validate(replaced(BASE_CONFIG, "districts.gpkg", "districts.geojson"))};
         }},
        {"district_geometry_is_a_line",
         [](Base &b) -> Invocation {
             b.geojson_districts("{\"type\": \"LineString\", \"coordinates\": [[500100, 4599900], "
                                 "[500200, 4599800]]}");
             return {b.validate(replaced(BASE_CONFIG, "districts.gpkg", "districts.geojson"))};
         }},
        {"districts_wholly_outside_the_grid",
         [](Base &b) -> Invocation {
             fs::remove(b.file("districts.gpkg"));
             // 3 km west of the grid: the coordinates of another zone.
             write_polygons(
                 b.file("districts.gpkg"), 6933,
                 {b.rect(1, "west", -110, 0, -100, 10), b.rect(2, "far", -90, 0, -80, 10)});
             return {b.validate()};
         }},
        {"district_shapefile_without_dbf",
         [](Base &b) -> Invocation {
             write_polygons(b.file("districts.shp"), 6933, b.three_districts());
             fs::remove(b.file("districts.dbf"));
             return {b.validate(replaced(BASE_CONFIG, "districts.gpkg", "districts.shp"))};
         }},
        {"district_geopackage_without_layers",
         [](Base &b) -> Invocation {
             fs::remove(b.file("districts.gpkg"));
             write_empty_geopackage(b.file("districts.gpkg"));
             return {b.validate()};
         }},
        {"district_layer_without_crs",
         [](Base &b) -> Invocation {
             write_polygons(b.file("districts.shp"), 0, b.three_districts()); // no .prj
             return {b.validate(replaced(BASE_CONFIG, "districts.gpkg", "districts.shp")), "", 1};
         }},
        {"district_geojson_in_metres_without_crs",
         [](Base &b) -> Invocation {
             // No "crs" member: GDAL reads the layer as WGS 84 (RFC 7946), but the coordinates
             // are the metres of EPSG:6933.
             std::string features;
             for (const auto &[c0, r0, c1, r1] : std::vector<std::array<int, 4>>{
                      {0, 0, 20, 30}, {20, 0, 40, 15}, {20, 15, 40, 30}}) {
                 features += std::string(features.empty() ? "" : ", ") +
                             "{\"type\": \"Feature\", \"properties\": {\"code\": " +
                             std::to_string(c0 + r0 + 1) +
                             "}, \"geometry\": " + b.geojson_rect(c0, r0, c1, r1) + "}";
             }
             write_text(b.file("districts.geojson"),
                        "{\"type\": \"FeatureCollection\", \"features\": [" + features + "]}\n");
             return {
                 b.validate(replaced(replaced(BASE_CONFIG, "districts.gpkg", "districts.geojson"),
                                     "  name_field: name\n", "")),
                 "", 1};
         }},
        {"district_vertex_not_finite",
         [](Base &b) -> Invocation {
             auto districts = b.three_districts();
             districts[1].rings[0][2].first = NaN;
             fs::remove(b.file("districts.gpkg"));
             write_polygons(b.file("districts.gpkg"), 6933, districts);
             return {b.validate()};
         }},
        {"district_id_beyond_int64",
         [](Base &b) -> Invocation {
             b.geojson_districts(b.geojson_rect(0, 0, 20, 30),
                                 "{\"code\": \"9223372036854775808\", \"name\": \"x\"}");
             return {b.validate(replaced(BASE_CONFIG, "districts.gpkg", "districts.geojson"))};
         }},
        {"district_id_real_beyond_int64",
         [](Base &b) -> Invocation {
             b.geojson_districts(b.geojson_rect(0, 0, 20, 30), "{\"code\": 1e30, \"name\": \"x\"}");
             return {b.validate(replaced(BASE_CONFIG, "districts.gpkg", "districts.geojson"))};
         }},
        // ---- tables: missing columns, non-numeric cells, duplicate keys
        {"pools_table_missing_column",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"),
                        "lucode,c_above,c_below,c_soil\n1,10,2,50\n2,100,20,80\n3,0,0,30\n");
             return {b.validate()};
         }},
        {"pools_table_non_numeric_cell",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"),
                        replaced(POOLS, "1,cropland,10,2,50", "1,cropland,10,2,fifty"));
             return {b.validate()};
         }},
        {"pools_table_duplicate_key",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"), std::string(POOLS) + "2,forest again,90,20,80,5\n");
             return {b.validate()};
         }},
        {"forest_types_table_missing_column",
         [](Base &b) -> Invocation {
             const std::string cfg = b.inventory();
             write_text(b.file("forest_types.csv"),
                        "code,name,cbef_forest_type\n1,fir,cunninghamia_lanceolata\n"
                        "2,pine,cunninghamia_lanceolata\n");
             return {b.validate(cfg)};
         }},
        {"forest_types_table_non_numeric_cell",
         [](Base &b) -> Invocation {
             const std::string cfg = b.inventory();
             write_text(b.file("forest_types.csv"),
                        replaced(FOREST_TYPES, "conifer,0.47", "conifer,half"));
             return {b.validate(cfg)};
         }},
        {"forest_types_table_duplicate_key",
         [](Base &b) -> Invocation {
             const std::string cfg = b.inventory();
             write_text(b.file("forest_types.csv"),
                        std::string(FOREST_TYPES) +
                            "1,Chinese fir again,china_cbef,cunninghamia_lanceolata,,,,,\n");
             return {b.validate(cfg)};
         }},
        {"disturbance_table_missing",
         [](Base &b) -> Invocation {
             const std::string cfg = b.losses(DISTURBANCE_KEYS);
             fs::remove(b.file("fd.csv"));
             return {b.validate(cfg)};
         }},
        {"disturbance_table_missing_column",
         [](Base &b) -> Invocation {
             const std::string cfg = b.losses(DISTURBANCE_KEYS);
             write_text(b.file("fd.csv"), "code,name,fd,status\n1,none,0,V\n2,storm,0.5,U\n");
             return {b.validate(cfg)};
         }},
        {"disturbance_table_fd_out_of_range",
         [](Base &b) -> Invocation {
             const std::string cfg = b.losses(DISTURBANCE_KEYS);
             write_text(b.file("fd.csv"), replaced(FD_TABLE, "storm,0.5", "storm,50"));
             return {b.validate(cfg)};
         }},
        {"disturbance_table_duplicate_code",
         [](Base &b) -> Invocation {
             const std::string cfg = b.losses(DISTURBANCE_KEYS);
             write_text(b.file("fd.csv"), std::string(FD_TABLE) + "2,fire,0.9,survey,V\n");
             return {b.validate(cfg)};
         }},
        {"disturbance_code_missing_from_table",
         [](Base &b) -> Invocation {
             const std::string cfg = b.losses(DISTURBANCE_KEYS);
             write_text(b.file("fd.csv"), "code,name,fd,source,status\n1,none,0,none,V\n");
             return {b.validate(cfg)};
         }},
        {"disturbance_without_table",
         [](Base &b) -> Invocation {
             return {b.validate(b.losses("    disturbed_fraction: disturbed.tif\n"
                                         "    disturbance_type: dtype.tif\n"))};
         }},
        {"loss_period_not_two_consecutive_epochs",
         [](Base &b) -> Invocation {
             return {b.validate(b.losses("    harvest_volume:\n      2010-2015: harvest.tif\n"))};
         }},
        {"loss_period_not_first_year_dash_last_year",
         [](Base &b) -> Invocation {
             return {b.validate(b.losses("    harvest_volume:\n      2010to2020: harvest.tif\n"))};
         }},
        {"harvest_volume_negative",
         [](Base &b) -> Invocation {
             const std::string cfg = b.losses("    harvest_volume: harvest.tif\n");
             RasterSpec f = b.spec;
             f.type = "Float32";
             f.nodata = -1;
             std::vector<double> h(CELLS, 1);
             h[3 * W + 25] = -2; // fir remaining fir, district B
             h[3 * W + 5] = -2;  // cropland: not needed, not checked
             write_raster(b.file("harvest.tif"), f, h);
             return {b.run(cfg)};
         }},
        {"disturbed_fraction_above_one",
         [](Base &b) -> Invocation {
             const std::string cfg = b.losses(DISTURBANCE_KEYS);
             RasterSpec f = b.spec;
             f.type = "Float32";
             f.nodata = -1;
             std::vector<double> d(CELLS, 0.1);
             d[3 * W + 35] = 15; // pines remaining pines, district B: a percentage
             d[19 * W + 35] = 15; // in district C
             write_raster(b.file("disturbed.tif"), f, d);
             return {b.run(cfg)};
         }},
        {"loss_period_given_twice",
         [](Base &b) -> Invocation {
             return {b.validate(b.losses("    harvest_volume:\n      2010-2020: harvest.tif\n"
                                         "      2010-2030: harvest.tif\n"))};
         }},
        {"harvest_volume_with_tier1_growth",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(b.losses("    harvest_volume: harvest.tif\n"),
                                         "growth: volume_increment", "growth: tier1"))};
         }},
        {"fuelwood_parts_without_wood_density",
         [](Base &b) -> Invocation {
             return {b.validate(b.losses("    fuelwood_parts_volume: harvest.tif\n"))};
         }},
        {"wood_density_out_of_range",
         [](Base &b) -> Invocation {
             return {b.validate(b.losses("    fuelwood_parts_volume: harvest.tif\n"
                                         "    wood_density: 450\n"))};
         }},
        {"soil_management_table_missing_column",
         [](Base &b) -> Invocation {
             return {b.validate(b.soil("lucode,land_use,lu_level,mg_level,i_level\n"
                                       "1,cropland,long_term_cultivated,full_tillage,medium\n"))};
         }},
        {"soil_management_table_non_numeric_cell",
         [](Base &b) -> Invocation {
             return {b.validate(b.soil(replaced(SOIL_MANAGEMENT, "3,table", "three,table")))};
         }},
        {"soil_management_table_duplicate_key",
         [](Base &b) -> Invocation {
             return {b.validate(b.soil(std::string(SOIL_MANAGEMENT) + "2,table,,,,\n"))};
         }},
        {"pools_table_semicolon_separated",
         [](Base &b) -> Invocation {
             std::string text = POOLS;
             std::replace(text.begin(), text.end(), ',', ';');
             write_text(b.file("pools.csv"), text);
             return {b.validate()};
         }},
        {"forest_types_table_decimal_commas",
         [](Base &b) -> Invocation {
             const std::string cfg = b.inventory();
             std::string text = FOREST_TYPES;
             std::replace(text.begin(), text.end(), ',', ';');
             write_text(b.file("forest_types.csv"), replaced(text, "0.47", "0,47"));
             return {b.validate(cfg)};
         }},
        {"pools_table_duplicate_column",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"),
                        "lucode,LULC_Name,c_above,c_below,c_soil,c_dead,C_Soil\n"
                        "1,cropland,10,2,50,1,50\n"
                        "2,forest,100,20,80,5,80\n"
                        "3,settlement,0,0,30,0,30\n");
             return {b.validate()};
         }},
        // ---- YAML
        {"yaml_syntax_error",
         [](Base &b) -> Invocation {
             return {b.validate(
                 replaced(BASE_CONFIG, "    2020: lc2020.tif\n", "   2020: lc2020.tif\n"))};
         }},
        {"yaml_tab_indentation",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "  sink:\n", "\tsink:\n"))};
         }},
        {"unknown_key_with_suggestion",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "land_cover:", "land_cvoer:"))};
         }},
        {"unknown_nested_key_with_suggestion",
         [](Base &b) -> Invocation {
             return {b.validate(
                 replaced(BASE_CONFIG, "    table: pools.csv\n", "    tabel: pools.csv\n"))};
         }},
        {"unknown_method_with_suggestion",
         [](Base &b) -> Invocation {
             return {
                 b.validate(replaced(BASE_CONFIG, "    method: lookup\n", "    method: lokup\n"))};
         }},
        {"text_where_a_number_is_expected",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "  epochs:\n", "  band: one\n  epochs:\n"))};
         }},
        {"sink_pools_unknown_without_flux",
         [](Base &b) -> Invocation {
             return {b.validate(std::string(BASE_CONFIG) + "    pools: [soil, biomass]\n")};
         }},
        {"list_where_a_mapping_is_expected",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "  sink:\n    method: stock_difference\n",
                                         "  sink: [stock_difference]\n"))};
         }},
        {"text_where_true_or_false_is_expected",
         [](Base &b) -> Invocation {
             return {b.validate(std::string(BASE_CONFIG) + "grid:\n  strict: perhaps\n")};
         }},
        {"config_too_large",
         [](Base &b) -> Invocation {
             // A valid config followed by a 2 MiB comment.
             return {
                 b.validate(std::string(BASE_CONFIG) + "# " + std::string(2 << 20, 'x') + "\n")};
         }},
        {"yaml_nesting_too_deep",
         [](Base &b) -> Invocation {
             // 100000 lists inside each other (balanced, so the YAML itself is well formed).
             return {b.validate(
                 replaced(BASE_CONFIG, "name: bad-inputs\n",
                          "name: " + std::string(100000, '[') + std::string(100000, ']') + "\n"))};
         }},
        {"yaml_value_too_long",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "name: bad-inputs\n",
                                         "name: " + std::string(100000, 'x') + "\n"))};
         }},
        {"list_where_text_is_expected",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "name: bad-inputs\n", "name: [a, b]\n"))};
         }},
        // ---- output directory
        {"output_dir_is_a_file",
         [](Base &b) -> Invocation {
             write_text(b.file("out"), "not a directory\n");
             return {b.run()};
         }},
        {"output_dir_under_a_file",
         [](Base &b) -> Invocation {
             return {
                 b.run(replaced(BASE_CONFIG, "output_dir: out\n", "output_dir: pools.csv/out\n"))};
         }},
        {"output_dir_not_writable",
         [](Base &b) -> Invocation {
             if (geteuid() == 0) {
                 return {"", "running as root, where directory permissions do not bind (see "
                             "output_dir_under_a_file for a case that works as root)"};
             }
             fs::create_directory(b.file("out"));
             fs::permissions(b.file("out"), fs::perms::owner_read | fs::perms::owner_exec |
                                                fs::perms::group_read | fs::perms::others_read);
             return {b.run()};
         }},
        {"output_dir_symlink_loop",
         [](Base &b) -> Invocation {
             fs::create_symlink("loop", b.file("loop"));
             return {
                 b.validate(replaced(BASE_CONFIG, "output_dir: out\n", "output_dir: loop/out\n"))};
         }},
        {"output_dir_dangling_symlink",
         [](Base &b) -> Invocation {
             fs::create_symlink(b.file("gone/away"), b.file("out"));
             return {b.validate()};
         }},
        {"output_would_overwrite_input_table",
         [](Base &b) -> Invocation {
             fs::rename(b.file("pools.csv"), b.file("districts.csv"));
             return {
                 b.validate(replaced(replaced(BASE_CONFIG, "output_dir: out\n", "output_dir: .\n"),
                                     "table: pools.csv", "table: districts.csv"))};
         }},
        {"output_would_overwrite_input_through_links",
         [](Base &b) -> Invocation {
             fs::create_directories(b.file("data/sub"));
             fs::rename(b.file("lc2010.tif"), b.file("data/stock_2010.tif"));
             fs::create_directory_symlink("data/sub", b.file("proj"));
             fs::create_directory_symlink("data", b.file("outlink"));
             return {b.validate(
                 replaced(replaced(BASE_CONFIG, "output_dir: out\n", "output_dir: outlink\n"),
                          "2010: lc2010.tif", "2010: proj/../stock_2010.tif"))};
         }},
        // ---- text encodings
        {"config_utf16_with_bom",
         [](Base &b) -> Invocation {
             std::string utf16 = "\xFF\xFE";
             for (char c : std::string(BASE_CONFIG)) {
                 utf16 += c;
                 utf16 += '\0';
             }
             write_text(b.file("run.yaml"), utf16);
             return {"validate " + b.file("run.yaml")};
         }},
        {"config_invalid_utf8",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "name: bad-inputs\n", "name: caf\xE9\n"))};
         }},
        {"config_nul_byte",
         [](Base &b) -> Invocation {
             return {b.validate(replaced(BASE_CONFIG, "name: bad-inputs\n",
                                         std::string("name: bad-inputs\n\0\n", 19)))};
         }},
        {"pools_table_not_utf8",
         [](Base &b) -> Invocation {
             write_text(b.file("pools.csv"), replaced(POOLS, "2,forest,", "2,for\xEAt,"));
             return {b.validate()};
         }},
        {"district_name_not_utf8",
         [](Base &b) -> Invocation {
             write_polygons(b.file("districts.shp"), 6933,
                            {b.rect(11, "和平区", 0, 0, 20, 30),
                             b.rect(22, "沈河区", 20, 0, 40, 15),
                             b.rect(33, "皇姑区", 20, 15, 40, 30)},
                            "GBK");
             fs::remove(b.file("districts.cpg"));
             return {
                 b.validate(replaced(BASE_CONFIG, "path: districts.gpkg", "path: districts.shp"))};
         }},
        // ---- sizes, threads and memory
        {"threads_beyond_maximum",
         [](Base &b) -> Invocation { return {"run " + b.config() + " --quiet --threads 10000"}; }},
        {"block_cells_beyond_range",
         [](Base &b) -> Invocation {
             return {
                 b.validate(std::string(BASE_CONFIG) + "processing:\n  block_cells: 268435456\n")};
         }},
        {"grid_beyond_machine",
         [](Base &b) -> Invocation {
             write_text(b.file("huge.vrt"), constant_vrt(2000000000));
             return {b.run(replaced(replaced(BASE_CONFIG, "2010: lc2010.tif", "2010: huge.vrt"),
                                    "2020: lc2020.tif", "2020: huge.vrt"))};
         }},
        {"memory_beyond_machine",
         [](Base &b) -> Invocation {
             write_text(b.file("big.vrt"), constant_vrt(400000));
             const std::string cfg =
                 replaced(replaced(BASE_CONFIG, "2010: lc2010.tif", "2010: big.vrt"),
                          "2020: lc2020.tif", "2020: big.vrt") +
                 "processing:\n  block_cells: 67108864\n";
             return {"run " + b.config(cfg) + " --quiet --threads 1024"};
         }},
        {"transitions_beyond_machine",
         [](Base &b) -> Invocation {
             std::string pools = "lucode,c_above,c_below,c_soil,c_dead\n";
             for (int code = 1; code <= 200000; ++code) {
                 pools += std::to_string(code) + ",1,1,1,1\n";
             }
             write_text(b.file("pools.csv"), pools);
             return {b.run()};
         }},
        {"tiny_tiff_declaring_huge_grid",
         [](Base &b) -> Invocation {
             write_tiny_huge_tiff(b.file("lc2010.tif"));
             fs::copy_file(b.file("lc2010.tif"), b.file("lc2020.tif"),
                           fs::copy_options::overwrite_existing);
             if (fs::file_size(b.file("lc2010.tif")) > 1000) {
                 throw std::runtime_error("setup: the sparse GeoTIFF is not tiny");
             }
        // Sanitizers reserve terabytes of address space: no limit under them.
#if defined(CS_SANITIZED)
             return {b.run()};
#else
             return {b.run(), {}, 0, "ulimit -v 2000000 &&"};
#endif
         }},
        {"output_would_overwrite_input_raster",
         [](Base &b) -> Invocation {
             fs::create_directory(b.file("data"));
             fs::rename(b.file("lc2010.tif"), b.file("data/stock_2010.tif"));
             return {b.validate(
                 replaced(replaced(BASE_CONFIG, "output_dir: out\n", "output_dir: data\n"),
                          "2010: lc2010.tif", "2010: data/stock_2010.tif"))};
         }},
    };
    return s;
}

std::string substitute_dir(std::string text, const std::string &dir) {
    for (auto pos = text.find("{dir}"); pos != std::string::npos; pos = text.find("{dir}", pos)) {
        text.replace(pos, 5, dir);
        pos += dir.size();
    }
    return text;
}

class BadInput : public ::testing::TestWithParam<CatalogueCase> {};

} // namespace

TEST(BadInputCatalogue, EveryCaseHasASetupAndEverySetupACase) {
    const auto cases = load_catalogue();
    ASSERT_FALSE(cases.empty()) << "cannot read " << CS_BAD_INPUTS;
    EXPECT_GE(cases.size(), 30u) << "the catalogue must list at least 30 bad inputs";
    std::set<std::string> ids;
    for (const auto &c : cases) {
        SCOPED_TRACE("bad_inputs.txt line " + std::to_string(c.line) + ": " + c.id);
        EXPECT_TRUE(ids.insert(c.id).second) << "case id listed twice";
        EXPECT_FALSE(c.input.empty()) << "no input description (case_id | input | message)";
        EXPECT_FALSE(c.expected.empty()) << "no expected message (case_id | input | message)";
        EXPECT_EQ(c.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_"),
                  std::string::npos)
            << "case ids are lower-case letters, digits and _";
        EXPECT_EQ(setups().count(c.id), 1u) << "no setup in test_bad_inputs.cpp";
    }
    for (const auto &[id, setup] : setups()) {
        EXPECT_EQ(ids.count(id), 1u) << "setup " << id << " has no line in bad_inputs.txt";
    }
    // The README's Testing section states the count.
    const std::string readme = read_text(std::string(CS_SOURCE_DIR) + "/README.md");
    const std::string count =
        "`tests/bad_inputs.txt` holds " + std::to_string(cases.size()) + " cases";
    EXPECT_NE(readme.find(count), std::string::npos) << "README.md (Testing) should say: " << count;
}

TEST_P(BadInput, ExitsTwoWithItsMessage) {
    const CatalogueCase &c = GetParam();
    SCOPED_TRACE("bad_inputs.txt line " + std::to_string(c.line) + ": " + c.input);
    const auto it = setups().find(c.id);
    ASSERT_NE(it, setups().end()) << "no setup for " << c.id;
    Base base;
    const Invocation inv = it->second(base);
    if (!inv.skip.empty()) {
        GTEST_SKIP() << inv.skip;
    }
    const auto r = run_carbonsink(inv.args, inv.env);
    EXPECT_EQ(r.exit_code, 2) << r.err;
    const std::string expected = substitute_dir(c.expected, base.dir.path());
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos)
        << "expected message:\n  " << expected << "\nstderr:\n"
        << r.err;
    if (inv.error_lines > 0) {
        int lines = 0;
        for (auto pos = r.err.find("error: "); pos != std::string::npos;
             pos = r.err.find("error: ", pos + 1)) {
            lines += pos == 0 || r.err[pos - 1] == '\n' ? 1 : 0;
        }
        EXPECT_EQ(lines, inv.error_lines) << r.err;
    }
    if (inv.args.rfind("run ", 0) == 0) {
        for (const char *f : {"results.h5", "districts.csv"}) {
            EXPECT_FALSE(fs::exists(base.file(std::string("out/") + f))) << f << " was written";
        }
        if (fs::is_directory(base.file("out"))) {
            EXPECT_TRUE(fs::is_empty(base.file("out"))) << "outputs left behind in out/";
        }
    }
}

INSTANTIATE_TEST_SUITE_P(Catalogue, BadInput, ::testing::ValuesIn(load_catalogue()),
                         [](const ::testing::TestParamInfo<CatalogueCase> &info) {
                             return info.param.id;
                         });
