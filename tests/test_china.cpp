// Chinese administrative geography (issue 12 item 6): districts.parents_from_code: china_adcode
// (city and province levels from 6-digit GB/T 2260 codes, names from districts.parent_names)
// and districts.datum: gcj02 (polygons from Chinese web maps converted to WGS 84 before use).
// Real boundaries: ../shared/data/geomapdata-cn-admin (Shenyang's districts and Liaoning's cities
// from DataV.GeoAtlas, GCJ-02; skipped when absent); synthetic polygons for the edge cases.
#include "test_support.hpp"

#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace cs::test;

namespace {

const char *POOLS = "lucode,LULC_Name,C_above,c_below,c_soil,c_dead\n"
                    "1,cropland,10,2,50,1\n"  // 63 Mg C/ha
                    "2,forest,100,20,80,5\n"; // 205 Mg C/ha

/// A run folder: a geographic (EPSG:4326) land-cover grid of 0.01 degree pixels from
/// (west, north), `cols` x `rows`, class 1 west of column `split` and 2 from it on.
struct Folder {
    TempDir dir;
    Folder(double west, double north, int cols, int rows, int split) {
        RasterSpec spec;
        spec.width = cols;
        spec.height = rows;
        spec.origin_x = west;
        spec.origin_y = north;
        spec.pixel_size = 0.01;
        spec.epsg = 4326;
        std::vector<double> lc(static_cast<std::size_t>(cols) * rows);
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) {
                lc[static_cast<std::size_t>(r) * cols + c] = c < split ? 1 : 2;
            }
        }
        write_raster(dir.file("lc.tif"), spec, lc);
        write_text(dir.file("pools.csv"), POOLS);
    }
    std::string config(const std::string &districts) const {
        const std::string path = dir.file("run.yaml");
        write_text(path, "name: china\n"
                         "output_dir: out\n"
                         "land_cover:\n"
                         "  epochs:\n"
                         "    2010: lc.tif\n"
                         "    2020: lc.tif\n"
                         "districts:\n" +
                             districts +
                             "models:\n"
                             "  stocks:\n"
                             "    method: lookup\n"
                             "    table: pools.csv\n"
                             "  sink:\n"
                             "    method: stock_difference\n");
        return path;
    }
};

/// districts.csv rows by id (columns by header name).
struct Table {
    std::vector<std::string> header;
    std::size_t count = 0; ///< data rows
    /// by district_id (the first row with that id: a district before a parent unit)
    std::map<std::string, std::vector<std::string>> rows;
    std::vector<std::vector<std::string>> all;
    std::string at(const std::string &id, const std::string &column) const {
        for (std::size_t c = 0; c < header.size(); ++c) {
            if (header[c] == column) {
                const auto &row = rows.at(id);
                return c < row.size() ? row[c] : std::string();
            }
        }
        ADD_FAILURE() << "no column " << column;
        return {};
    }
    double num(const std::string &id, const std::string &column) const {
        return std::stod(at(id, column));
    }
};

Table read_table(const std::string &path) {
    const auto csv = read_csv(path);
    Table t;
    if (csv.empty()) {
        return t;
    }
    t.header = csv[0];
    for (std::size_t i = 1; i < csv.size(); ++i) {
        t.rows.emplace(csv[i][0], csv[i]);
        t.all.push_back(csv[i]);
    }
    t.count = csv.size() - 1;
    return t;
}

std::string shenyang_dir() { return shared_data("geomapdata-cn-admin"); }

const char *SHENYANG_IDS[] = {"210102", "210103", "210104", "210105", "210106", "210111", "210112",
                              "210113", "210114", "210115", "210123", "210124", "210181"};

std::string shenyang_districts(const std::string &data, const std::string &extra) {
    return "  path: " + data +
           "/210100_shenyang_districts.json\n"
           "  id_field: adcode\n  name_field: name\n  level: county\n" +
           extra;
}

// The published forward formula re-derived in long double (as in test_gcj02), and its inverse
// by plain iteration: the independent shift the run's conversion must reproduce.
void forward_ld(long double lon, long double lat, long double &glon, long double &glat) {
    const long double pi = 3.141592653589793238462643383279502884L;
    const long double x = lon - 105.0L, y = lat - 35.0L;
    const long double c = (20.0L * sinl(6.0L * x * pi) + 20.0L * sinl(2.0L * x * pi)) * 2.0L / 3.0L;
    const long double e =
        300.0L + x + 2.0L * y + 0.1L * x * x + 0.1L * x * y + 0.1L * sqrtl(fabsl(x)) + c +
        (20.0L * sinl(x * pi) + 40.0L * sinl(x / 3.0L * pi)) * 2.0L / 3.0L +
        (150.0L * sinl(x / 12.0L * pi) + 300.0L * sinl(x / 30.0L * pi)) * 2.0L / 3.0L;
    const long double n =
        -100.0L + 2.0L * x + 3.0L * y + 0.2L * y * y + 0.1L * x * y + 0.2L * sqrtl(fabsl(x)) + c +
        (20.0L * sinl(y * pi) + 40.0L * sinl(y / 3.0L * pi)) * 2.0L / 3.0L +
        (160.0L * sinl(y / 12.0L * pi) + 320.0L * sinl(y * pi / 30.0L)) * 2.0L / 3.0L;
    const long double a = 6378245.0L, e2 = 0.00669342162296594323L;
    const long double s = sinl(lat * pi / 180.0L), q = 1.0L - e2 * s * s;
    glat = lat + n * 180.0L * q * sqrtl(q) / (pi * a * (1.0L - e2));
    glon = lon + e * 180.0L * sqrtl(q) / (pi * a * cosl(lat * pi / 180.0L));
}
void inverse_ld(double glon, double glat, double &lon, double &lat) {
    long double w_lon = glon, w_lat = glat;
    for (int k = 0; k < 30; ++k) {
        long double f_lon = 0, f_lat = 0;
        forward_ld(w_lon, w_lat, f_lon, f_lat);
        w_lon -= f_lon - glon;
        w_lat -= f_lat - glat;
    }
    lon = static_cast<double>(w_lon);
    lat = static_cast<double>(w_lat);
}

std::string h5_root_attribute(const std::string &h5, const char *name) {
    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(
        GDALDataset::Open(h5.c_str(), GDAL_OF_MULTIDIM_RASTER | GDAL_OF_READONLY));
    if (!ds) {
        return "(cannot open " + h5 + ")";
    }
    auto attr = ds->GetRootGroup()->GetAttribute(name);
    return attr ? std::string(attr->ReadAsString()) : std::string("(no attribute)");
}

} // namespace

// Shenyang's 13 districts roll up to the city 210100 沈阳市 (named by the Liaoning cities file)
// and the province 210000 辽宁省 (named by a one-line CSV): every county row carries both
// parent ids, and each parent's area is the sum of its districts'.
TEST(ChinaAdcode, ShenyangDistrictsRollUpToCityAndProvinceWithTheirNames) {
    const std::string data = shenyang_dir();
    if (data.empty()) {
        GTEST_SKIP() << "../shared/data/geomapdata-cn-admin is absent; real-data test skipped";
    }
    // lon 122.40-123.85, lat 41.18-43.08: all of Shenyang.
    Folder run(122.40, 43.08, 145, 190, 145);
    write_text(run.dir.file("provinces.csv"), "code,name\n210000,辽宁省\n");
    const auto res = run_carbonsink(
        "run " +
        run.config(shenyang_districts(
            data, "  parents_from_code: china_adcode\n  parent_names:\n    - " + data +
                      "/210000_liaoning_cities.json\n    - provinces.csv\n")) +
        " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_EQ(res.err.find("named by their code"), std::string::npos) << res.err;
    const Table t = read_table(run.dir.file("out/districts.csv"));
    ASSERT_EQ(t.rows.size(), 15u);
    double sum = 0.0;
    for (const char *id : SHENYANG_IDS) {
        ASSERT_TRUE(t.rows.count(id)) << id;
        EXPECT_EQ(t.at(id, "level"), "county") << id;
        EXPECT_EQ(t.at(id, "city_id"), "210100") << id;
        EXPECT_EQ(t.at(id, "province_id"), "210000") << id;
        sum += t.num(id, "area_ha");
    }
    EXPECT_EQ(t.at("210102", "district_name"), "和平区");
    EXPECT_EQ(t.at("210100", "district_name"), "沈阳市");
    EXPECT_EQ(t.at("210100", "level"), "city");
    EXPECT_EQ(t.at("210100", "province_id"), "210000");
    EXPECT_EQ(t.at("210000", "district_name"), "辽宁省");
    EXPECT_EQ(t.at("210000", "level"), "province");
    // The CSV holds areas to 1e-6 ha: 13 roundings of at most 5e-7 ha each.
    EXPECT_NEAR(t.num("210100", "area_ha"), sum, 1e-5);
    EXPECT_NEAR(t.num("210000", "area_ha"), sum, 1e-5);
    // ... and the total is the ground area SOURCE.md computed independently (Albers equal
    // area): 12875.6 km², within what 0.01-degree pixels and the datum (none here) allow.
    EXPECT_NEAR(sum / 100.0, 12875.6, 12875.6 * 3e-3);
    // The province's stock is its only city's: 63 Mg C/ha everywhere.
    EXPECT_NEAR(t.num("210000", "stock_mg_c_2010"), 63.0 * t.num("210000", "area_ha"),
                1e-6 * 63.0 * sum);
}

// Without parent_names the units are named by their codes, with one warning listing them.
TEST(ChinaAdcode, WithoutNamesTheCodesAreTheNamesWithOneWarning) {
    const std::string data = shenyang_dir();
    if (data.empty()) {
        GTEST_SKIP() << "../shared/data/geomapdata-cn-admin is absent; real-data test skipped";
    }
    Folder run(122.40, 43.08, 145, 190, 145);
    const auto res = run_carbonsink(
        "run " + run.config(shenyang_districts(data, "  parents_from_code: china_adcode\n")));
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const std::string warning =
        "parents_from_code without parent_names: the units are named by their code: city "
        "210100, province 210000 (give parent_names: a CSV with columns code,name to name them)";
    const auto at = res.err.find(warning);
    EXPECT_NE(at, std::string::npos) << res.err;
    EXPECT_EQ(res.err.find(warning, at + 1), std::string::npos) << "said twice: " << res.err;
    const Table t = read_table(run.dir.file("out/districts.csv"));
    EXPECT_EQ(t.at("210100", "district_name"), "210100");
    EXPECT_EQ(t.at("210000", "district_name"), "210000");
}

// The edge cases of GB/T 2260 codes, on synthetic squares: a municipality's districts (Beijing
// 110101, 110102 -> 110100 "市辖区" -> 110000), a province-administered county-level city
// (Jiyuan 419001 -> the code's grouping 419000 -> Henan 410000), an ordinary district (410102 ->
// Zhengzhou 410100 -> 410000) and a district that is itself a city (Dongguan 441900: its city
// is itself, 441900 -> 440000). A names table with a code missing warns about that code only;
// custom level names (parent_levels) replace city and province.
TEST(ChinaAdcode, MunicipalitiesProvinceAdministeredUnitsAndCityLevelDistricts) {
    Folder run(100.0, 30.1, 60, 10, 30);
    std::vector<PolygonFeature> f;
    const int64_t ids[] = {110101, 110102, 419001, 410102, 441900};
    for (int i = 0; i < 5; ++i) {
        const double x0 = 100.0 + 0.1 * i;
        f.push_back({ids[i],
                     std::to_string(ids[i]),
                     {{{x0, 30.0}, {x0 + 0.1, 30.0}, {x0 + 0.1, 30.1}, {x0, 30.1}}}});
    }
    write_polygons(run.dir.file("d.geojson"), 4326, f);
    write_text(run.dir.file("names.csv"), "code,name\n110100,市辖区\n110000,北京市\n"
                                          "419000,省直辖县级行政区划\n410100,郑州市\n"
                                          "410000,河南省\n440000,广东省\n");
    const auto res =
        run_carbonsink("run " +
                       run.config("  path: d.geojson\n  id_field: code\n  name_field: name\n"
                                  "  parents_from_code: china_adcode\n  parent_names: names.csv\n"
                                  "  parent_levels: [prefecture, provincial]\n") +
                       " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_NE(res.err.find("names.csv), run.yaml, line 12: no name for prefecture 441900; named "
                           "by their code (add rows code,name for them)"),
              std::string::npos)
        << res.err;
    const Table t = read_table(run.dir.file("out/districts.csv"));
    ASSERT_EQ(t.count, 5u + 4u + 3u);
    const std::map<std::string, std::pair<std::string, std::string>> parents = {
        {"110101", {"110100", "110000"}},
        {"110102", {"110100", "110000"}},
        {"419001", {"419000", "410000"}},
        {"410102", {"410100", "410000"}},
        {"441900", {"441900", "440000"}}};
    for (const auto &[id, p] : parents) {
        EXPECT_EQ(t.at(id, "prefecture_id"), p.first) << id;
        EXPECT_EQ(t.at(id, "provincial_id"), p.second) << id;
    }
    EXPECT_EQ(t.at("110100", "district_name"), "市辖区");
    EXPECT_EQ(t.at("110100", "level"), "prefecture");
    EXPECT_EQ(t.at("419000", "district_name"), "省直辖县级行政区划");
    EXPECT_EQ(t.at("410000", "district_name"), "河南省");
    EXPECT_EQ(t.at("440000", "level"), "provincial");
    // Henan = Jiyuan + Zhengzhou's district; Dongguan's unit has the district's area.
    EXPECT_NEAR(t.num("410000", "area_ha"), t.num("419001", "area_ha") + t.num("410102", "area_ha"),
                1e-5);
    EXPECT_NEAR(t.num("441900", "area_ha"), t.num("440000", "area_ha"), 1e-6);
    // 441900 is both a district row and a prefecture row (the district's parent unit).
    int dongguan_rows = 0;
    for (const auto &row : t.all) {
        dongguan_rows += row[0] == "441900" ? 1 : 0;
    }
    EXPECT_EQ(dongguan_rows, 2);
}

// Every refusal says what, where and what to do.
TEST(ChinaAdcode, ErrorsNameTheKeyTheFeatureAndTheValue) {
    Folder run(100.0, 30.1, 20, 10, 10);
    std::vector<PolygonFeature> f = {
        {21010, "five digits", {{{100.0, 30.0}, {100.1, 30.0}, {100.1, 30.1}, {100.0, 30.1}}}},
        {210000, "a province", {{{100.1, 30.0}, {100.2, 30.0}, {100.2, 30.1}, {100.1, 30.1}}}}};
    write_polygons(run.dir.file("d.geojson"), 4326, f);
    const std::string base = "  path: d.geojson\n  id_field: code\n  name_field: name\n";
    auto validate = [&](const std::string &districts) {
        return run_carbonsink("validate " + run.config(districts));
    };
    struct Case {
        std::string districts;
        std::string message;
    };
    write_text(run.dir.file("no_columns.csv"), "adm_code,adm_name\n210000,辽宁省\n");
    const Case cases[] = {
        {base + "  parents_from_code: china_adcode\n  parents:\n    - level: city\n"
                "      id_field: code\n",
         "invalid config value districts.parents_from_code: run.yaml, line 11: give either "
         "parents (parent ids read from fields) or parents_from_code (parent ids derived from "
         "the district codes), not both"},
        {base + "  parents_from_code: china_adcodes\n",
         "invalid config value districts.parents_from_code: run.yaml, line 11: "
         "\"china_adcodes\" is not one of china_adcode (did you mean \"china_adcode\"?)"},
        {base + "  parents_from_code: china_adcode\n",
         "d.geojson), run.yaml, line 8, feature 0: id_field \"code\" value 21010 is not a "
         "6-digit administrative code (100000 to 999999), which parents_from_code: "
         "china_adcode derives the city and province from"},
        {base + "  parents_from_code: china_adcode\n",
         "d.geojson), run.yaml, line 8, feature 1: id_field \"code\" value 210000 is a "
         "province's code (it ends in 0000); parents_from_code: china_adcode needs county- or "
         "city-level districts"},
        {"  path: d.geojson\n  id_field: name\n  parents_from_code: china_adcode\n",
         "d.geojson), run.yaml, line 8, feature 0: id_field \"name\" value \"five digits\" is "
         "not an integer"},
        {base + "  parents_from_code: china_adcode\n  parent_names: missing.csv\n",
         "cannot open districts.parent_names: districts.parent_names (missing.csv), run.yaml, "
         "line 12: file not found"},
        {base + "  parents_from_code: china_adcode\n  parent_names: no_columns.csv\n",
         "invalid districts.parent_names (no_columns.csv), run.yaml, line 12: no column code "
         "(or adcode) and no column name; its columns are: adm_code, adm_name; give a CSV whose "
         "first line is code,name (or a vector file with fields adcode and name)"},
        {base + "  parent_names: no_columns.csv\n",
         "invalid config value districts.parent_names: run.yaml, line 11: it names the levels "
         "derived by districts.parents_from_code, which is not given; add parents_from_code: "
         "china_adcode or remove parent_names"},
        {base + "  parents_from_code: china_adcode\n  parent_levels: [city]\n",
         "invalid config value districts.parent_levels: run.yaml, line 12: expected a list of "
         "two level names (the code's city and province levels, e.g. [prefecture, province]), "
         "got a list"},
        {base + "  level: city\n  parents_from_code: china_adcode\n",
         "invalid config value districts.level: run.yaml, line 11: \"city\" is also a level "
         "parents_from_code derives (city, province); name the districts' level otherwise (e.g. "
         "county) or give parent_levels"},
        {base + "  datum: gcj2\n",
         "invalid config value districts.datum: run.yaml, line 11: \"gcj2\" is not one of "
         "wgs84, gcj02 (did you mean \"gcj02\"?)"},
    };
    for (const auto &c : cases) {
        const auto res = validate(c.districts);
        EXPECT_EQ(res.exit_code, 2) << c.districts;
        EXPECT_NE(res.err.find(c.message), std::string::npos) << c.districts << "\n" << res.err;
    }
}

// districts.datum: gcj02 on Shenyang's boundaries. The conversion is a shift of about 580 m,
// nearly rigid but not quite: the formula's fastest term, 2/3 · 20 sin(6πx) m, stretches ground
// by up to about 3e-3 (250 m per degree of longitude), so district areas change by up to a few
// 1e-3, and by exactly what converting the vertices predicts. The prediction here is independent
// of the program: each vertex through the long-double inverse above, both polygons to an Albers
// equal-area projection with OGR, ratio of the areas. results.h5 says the polygons were
// converted.
TEST(Gcj02Datum, ShenyangAreasChangeAsTheConvertedVerticesPredictAndTheProvenanceSaysSo) {
    const std::string data = shenyang_dir();
    if (data.empty()) {
        GTEST_SKIP() << "../shared/data/geomapdata-cn-admin is absent; real-data test skipped";
    }
    Folder plain(122.40, 43.08, 145, 190, 145);
    Folder gcj(122.40, 43.08, 145, 190, 145);
    ASSERT_EQ(
        run_carbonsink("run " + plain.config(shenyang_districts(data, "")) + " --quiet").exit_code,
        0);
    const auto res = run_carbonsink(
        "run " + gcj.config(shenyang_districts(data, "  datum: gcj02\n")) + " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const Table a = read_table(plain.dir.file("out/districts.csv"));
    const Table b = read_table(gcj.dir.file("out/districts.csv"));
    ASSERT_EQ(a.count, 13u);
    ASSERT_EQ(b.count, 13u);

    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(GDALDataset::Open(
        (data + "/210100_shenyang_districts.json").c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    ASSERT_TRUE(ds);
    OGRSpatialReference wgs, albers;
    wgs.importFromEPSG(4326);
    wgs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    albers.importFromProj4("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +ellps=WGS84");
    std::unique_ptr<OGRCoordinateTransformation> ct(
        OGRCreateCoordinateTransformation(&wgs, &albers));
    ASSERT_TRUE(ct);
    std::map<std::string, double> predicted; // area after / area before
    for (auto &feature : *ds->GetLayer(0)) {
        std::unique_ptr<OGRGeometry> before(feature->GetGeometryRef()->clone());
        // The conversion cuts edges longer than 0.01 degree (gcj02.hpp "Edges"), then moves
        // every vertex: the same outline, converted here in long double. The run's areas take
        // edges as straight in degrees (a geographic grid); cutting both outlines the same way
        // makes their Albers areas see the same edges.
        before->segmentize(0.01);
        std::unique_ptr<OGRGeometry> after(before->clone());
        auto *mp = after->toMultiPolygon();
        for (auto *poly : *mp) {
            for (auto *ring : *poly) {
                for (int k = 0; k < ring->getNumPoints(); ++k) {
                    double lon = 0, lat = 0;
                    inverse_ld(ring->getX(k), ring->getY(k), lon, lat);
                    ring->setPoint(k, lon, lat);
                }
            }
        }
        before->assignSpatialReference(nullptr);
        after->assignSpatialReference(nullptr);
        ASSERT_EQ(before->transform(ct.get()), OGRERR_NONE);
        ASSERT_EQ(after->transform(ct.get()), OGRERR_NONE);
        predicted[std::to_string(feature->GetFieldAsInteger64("adcode"))] =
            after->toMultiPolygon()->get_Area() / before->toMultiPolygon()->get_Area();
    }
    ASSERT_EQ(predicted.size(), 13u);
    double largest = 0.0;
    for (const char *id : SHENYANG_IDS) {
        const double ratio = b.num(id, "area_ha") / a.num(id, "area_ha");
        // 1e-6: the run measures areas on 0.01-degree pixels of the ellipsoid, the prediction
        // in Albers; both see the same outline, so their ratios agree far below the change
        // (observed: 1e-7 at most).
        EXPECT_NEAR(ratio, predicted.at(id), 1e-6) << id;
        EXPECT_LT(std::fabs(ratio - 1.0), 5e-3) << id; // nearly rigid
        largest = std::max(largest, std::fabs(ratio - 1.0));
    }
    EXPECT_GT(largest, 1e-3); // the polygons really were converted
    const std::string note = "district polygons converted from GCJ-02 (datum of Chinese web "
                             "maps) to WGS 84 before reprojection (districts.datum: gcj02";
    EXPECT_NE(h5_root_attribute(gcj.dir.file("out/results.h5"), "district_assignment").find(note),
              std::string::npos);
    EXPECT_EQ(
        h5_root_attribute(plain.dir.file("out/results.h5"), "district_assignment").find("GCJ-02"),
        std::string::npos);
}

// The coverage really moves: a 0.1 x 0.1 degree square given in GCJ-02 at Shenyang straddles a
// cropland (63 Mg C/ha, west of 123.45E) / forest (205 Mg C/ha) edge. Read as WGS 84 it is half
// forest; converted it moves about 0.006 degree west, so its forest share drops to
// (x_east - 123.45) / (x_east - x_west) with the edges where the independent long-double
// inverse puts them (mean of each edge's two corners: the edges stay straight).
TEST(Gcj02Datum, ASquareShiftsAcrossALandCoverEdgeAsTheFormulaPredicts) {
    Folder run(123.30, 42.00, 30, 30, 15);
    std::vector<PolygonFeature> f = {
        {210102, "square", {{{123.40, 41.80}, {123.50, 41.80}, {123.50, 41.90}, {123.40, 41.90}}}}};
    write_polygons(run.dir.file("d.geojson"), 4326, f);
    const std::string base = "  path: d.geojson\n  id_field: code\n";
    auto stock_and_area = [&](const std::string &extra) {
        const std::string out = run.dir.file(extra.empty() ? "plain" : "gcj02");
        const auto res =
            run_carbonsink("run " + run.config(base + extra) + " --quiet --output-dir " + out);
        EXPECT_EQ(res.exit_code, 0) << res.err;
        const Table t = read_table(out + "/districts.csv");
        return std::make_pair(t.num("210102", "stock_mg_c_2010"), t.num("210102", "area_ha"));
    };
    const auto [plain_stock, plain_area] = stock_and_area("");
    EXPECT_NEAR(plain_stock / plain_area, 63.0 + 0.5 * 142.0, 1e-3);
    const auto [gcj_stock, gcj_area] = stock_and_area("  datum: gcj02\n");
    double sw_lon, sw_lat, nw_lon, nw_lat, se_lon, se_lat, ne_lon, ne_lat;
    inverse_ld(123.40, 41.80, sw_lon, sw_lat);
    inverse_ld(123.40, 41.90, nw_lon, nw_lat);
    inverse_ld(123.50, 41.80, se_lon, se_lat);
    inverse_ld(123.50, 41.90, ne_lon, ne_lat);
    const double x_west = (sw_lon + nw_lon) / 2, x_east = (se_lon + ne_lon) / 2;
    const double forest = (x_east - 123.45) / (x_east - x_west);
    EXPECT_GT(0.5 - forest, 0.05); // moved west by more than 5 % of the square's width
    // 1e-5: the slant of the converted edges (metres over 11 km) and the change of pixel area
    // with latitude across the square are neglected by the hand computation (observed: 4e-7);
    // the shift itself changes the density by about 6.5 %.
    EXPECT_NEAR(gcj_stock / gcj_area, 63.0 + forest * 142.0, 1e-5 * (63.0 + forest * 142.0));
    // The area changes by the formula's local stretch (about 2e-3 here): the converted
    // quadrilateral's area by the shoelace formula in degrees, each scaled by the cosine of its
    // mid latitude, against the original square's.
    auto shoelace = [](const double(&p)[4][2]) {
        double twice = 0.0;
        for (int i = 0; i < 4; ++i) {
            twice += p[i][0] * p[(i + 1) % 4][1] - p[(i + 1) % 4][0] * p[i][1];
        }
        const double mid_lat = (p[0][1] + p[1][1] + p[2][1] + p[3][1]) / 4;
        return std::fabs(twice) / 2 * std::cos(mid_lat * M_PI / 180);
    };
    const double square[4][2] = {
        {123.40, 41.80}, {123.50, 41.80}, {123.50, 41.90}, {123.40, 41.90}};
    const double moved[4][2] = {
        {sw_lon, sw_lat}, {se_lon, se_lat}, {ne_lon, ne_lat}, {nw_lon, nw_lat}};
    const double area_ratio = shoelace(moved) / shoelace(square);
    EXPECT_GT(std::fabs(area_ratio - 1.0), 1e-3);
    EXPECT_NEAR(gcj_area / plain_area, area_ratio, 1e-5); // observed: 5e-7
}

// A projected layer cannot hold GCJ-02 longitudes and latitudes: refused, saying what to do.
TEST(Gcj02Datum, AProjectedLayerIsRefused) {
    Folder run(123.30, 42.00, 30, 30, 15);
    std::vector<PolygonFeature> f = {
        {1, "utm", {{{500000, 4600000}, {501000, 4600000}, {501000, 4601000}, {500000, 4601000}}}}};
    write_polygons(run.dir.file("d.gpkg"), 32651, f);
    const auto res = run_carbonsink(
        "validate " + run.config("  path: d.gpkg\n  id_field: code\n  datum: gcj02\n"));
    EXPECT_EQ(res.exit_code, 2);
    EXPECT_NE(res.err.find("datum: gcj02 converts longitudes and latitudes, but the layer's CRS "
                           "is WGS 84 / UTM zone 51N (projected): GCJ-02 offsets are defined in "
                           "degrees; give the layer as downloaded (longitude/latitude, e.g. "
                           "GeoJSON read as WGS 84) or remove datum: gcj02 if the coordinates "
                           "are not GCJ-02"),
              std::string::npos)
        << res.err;
}

// Taicang (320585) in Suzhou's DataV file: with datum gcj02 its polygon in districts.gpkg moves
// by a few hundred metres, west and north (the formula puts GCJ-02 east and south of WGS 84
// there), as the independent inverse predicts at its centroid.
TEST(Gcj02Datum, TaicangMovesWestAndNorthByAFewHundredMetres) {
    const std::string data = shenyang_dir();
    if (data.empty()) {
        GTEST_SKIP() << "../shared/data/geomapdata-cn-admin is absent; real-data test skipped";
    }
    // lon 119.90-121.40, lat 30.74-32.06: all of Suzhou.
    Folder run(119.90, 32.06, 150, 132, 150);
    const std::string districts = "  path: " + data +
                                  "/320500_suzhou_districts.json\n  id_field: adcode\n"
                                  "  name_field: name\n";
    auto centroid = [&](const std::string &extra, const std::string &out) {
        const auto res =
            run_carbonsink("run " + run.config(districts + extra) + " --quiet --output-dir " + out);
        EXPECT_EQ(res.exit_code, 0) << res.err;
        GDALAllRegister();
        std::unique_ptr<GDALDataset> ds(GDALDataset::Open((out + "/districts.gpkg").c_str(),
                                                          GDAL_OF_VECTOR | GDAL_OF_READONLY));
        OGRPoint c;
        if (!ds) {
            ADD_FAILURE() << "no districts.gpkg in " << out;
            return c;
        }
        OGRLayer *layer = ds->GetLayer(0);
        for (auto &f : *layer) {
            if (f->GetFieldAsInteger64("district_id") == 320585) {
                f->GetGeometryRef()->Centroid(&c);
            }
        }
        return c;
    };
    const OGRPoint plain = centroid("", run.dir.file("plain"));
    const OGRPoint moved = centroid("  datum: gcj02\n", run.dir.file("gcj02"));
    ASSERT_GT(plain.getX(), 120.9);
    ASSERT_LT(plain.getX(), 121.4);
    double lon = 0, lat = 0;
    inverse_ld(plain.getX(), plain.getY(), lon, lat);
    EXPECT_LT(moved.getX(), plain.getX()); // west
    EXPECT_GT(moved.getY(), plain.getY()); // north
    const double r = 6371008.8, d = M_PI / 180.0;
    const double east_m = (moved.getX() - plain.getX()) * d * r * std::cos(plain.getY() * d);
    const double north_m = (moved.getY() - plain.getY()) * d * r;
    const double shift = std::hypot(east_m, north_m);
    EXPECT_GT(shift, 100.0);
    EXPECT_LT(shift, 1000.0);
    // The centroid of the converted polygon is the converted centroid up to the formula's
    // stretch (a few 1e-3) over Taicang's ~15 km radius: tens of metres at most (observed 8 m).
    const double expect_east = (lon - plain.getX()) * d * r * std::cos(plain.getY() * d);
    const double expect_north = (lat - plain.getY()) * d * r;
    EXPECT_NEAR(east_m, expect_east, 25.0);
    EXPECT_NEAR(north_m, expect_north, 25.0);
}
