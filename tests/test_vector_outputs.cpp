// districts.gpkg, districts.xlsx and districts.csvt (pipeline/vector_outputs.hpp), read back the
// way GIS and spreadsheet users read them: with OGR. The run is the hand-worked 40 x 30 px
// scenario of test_integration (EPSG:6933, 0.09 ha pixels) with a park -> city -> province
// hierarchy and Chinese names.
#include "pipeline/vector_outputs.hpp"
#include "test_support.hpp"

#include <gdal.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <thread>
#include <tuple>

using namespace cs::test;
namespace fs = std::filesystem;

namespace {

// Pools (Mg C/ha): 1 = 63, 2 = 205, 3 = 30 (as test_integration's scenario).
const char *POOLS = TWO_EPOCH_CITY_POOLS;

const char *PARK_11 = "和平区";  // Heping District
const char *CITY_210 = "沈阳市"; // Shenyang
const char *PROVINCE = "辽宁省"; // Liaoning

struct Scenario {
    TempDir dir;
    RasterSpec spec;
    Scenario() {
        spec = write_two_epoch_city(dir, false);
        write_text(dir.file("pools.csv"), POOLS);
        std::string f;
        // Park 11 = columns 0-19; 22 = columns 20-39 rows 0-14; 33 = columns 20-39 rows 15-29.
        const std::vector<std::tuple<int, int, std::string, std::string, int, int, int, int>> d = {
            {11, 210, PARK_11, CITY_210, 0, 0, 20, 30},
            {22, 210, "park 22", CITY_210, 20, 0, 40, 15},
            {33, 220, "park 33", "Beta City", 20, 15, 40, 30}};
        for (const auto &[id, city, name, cname, c0, r0, c1, r1] : d) {
            const double x0 = spec.origin_x + c0 * 30.0, x1 = spec.origin_x + c1 * 30.0;
            const double y0 = spec.origin_y - r0 * 30.0, y1 = spec.origin_y - r1 * 30.0;
            char buf[800];
            std::snprintf(
                buf, sizeof buf,
                R"({"type": "Feature", "properties": {"code": %d, "name": "%s", "city": %d, "city_name": "%s", "prov": 2000, "prov_name": "%s"},
 "geometry": {"type": "Polygon", "coordinates": [[[%f, %f], [%f, %f], [%f, %f], [%f, %f], [%f, %f]]]}})",
                id, name.c_str(), city, cname.c_str(), PROVINCE, x0, y0, x1, y0, x1, y1, x0, y1, x0,
                y0);
            f += (f.empty() ? "" : ",\n") + std::string(buf);
        }
        write_text(dir.file("districts.geojson"),
                   R"({"type": "FeatureCollection",
"crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::6933"}},
"features": [
)" + f + "]}\n");
    }
    std::string config(const std::string &districts, const std::string &extra = "") const {
        const std::string path = dir.file("run.yaml");
        write_text(path, "name: scenario\n"
                         "output_dir: out\n"
                         "land_cover:\n"
                         "  epochs:\n"
                         "    2010: lc2010.tif\n"
                         "    2020: lc2020.tif\n" +
                             districts +
                             "models:\n"
                             "  stocks:\n"
                             "    method: lookup\n"
                             "    table: pools.csv\n"
                             "  sink:\n"
                             "    method: stock_difference\n" +
                             extra);
        return path;
    }
};

const char *HIERARCHY =
    "districts:\n  path: districts.geojson\n  id_field: code\n"
    "  name_field: name\n  level: park\n  parents:\n"
    "    - level: city\n      id_field: city\n      name_field: city_name\n"
    "    - level: province\n      id_field: prov\n      name_field: prov_name\n";

struct DsCloser {
    void operator()(GDALDataset *d) const { GDALClose(d); }
};
using Ds = std::unique_ptr<GDALDataset, DsCloser>;

Ds open_vector(const std::string &path, const char *const *open_options = nullptr) {
    GDALAllRegister();
    return Ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                                open_options, nullptr));
}

/// The run of the hierarchy scenario, done once for the tests that only read its outputs.
const Scenario &hierarchy_run() {
    static Scenario *run = [] {
        auto *r = new Scenario;
        const auto res = run_carbonsink("run " + r->config(HIERARCHY) + " --quiet",
                                        "SOURCE_DATE_EPOCH=1700000000");
        EXPECT_EQ(res.exit_code, 0) << res.err;
        return r;
    }();
    return *run;
}

} // namespace

TEST(VectorOutputs, CsvtNamesTheTypeOfEveryColumn) {
    // Hand-written: ids Integer64, names and level String, figures Real, parent ids Integer64.
    EXPECT_EQ(cs::pipeline::districts_csv_types({"district_id", "district_name", "area_ha",
                                                 "stock_mg_c_2010", "level", "city_id",
                                                 "parent_district_id"}),
              (std::vector<std::string>{"Integer64", "String", "Real", "Real", "String",
                                        "Integer64", "Integer64"}));
    const Scenario &r = hierarchy_run();
    const auto rows = read_csv(r.dir.file("out/districts.csv"));
    ASSERT_FALSE(rows.empty());
    const std::string csvt = read_text(r.dir.file("out/districts.csvt"));
    // 3 leading columns, 2 stocks, change and emissions, 2 invalid areas, level, 2 parent ids.
    EXPECT_EQ(csvt, "Integer64,String,Real,Real,Real,Real,Real,Real,Real,String,Integer64,"
                    "Integer64\n");
    EXPECT_EQ(rows[0].size(), 12u);
    // OGR's CSV driver reads the sidecar: numbers come out as numbers.
    Ds ds = open_vector(r.dir.file("out/districts.csv"));
    ASSERT_TRUE(ds);
    OGRFeatureDefn *defn = ds->GetLayer(0)->GetLayerDefn();
    EXPECT_EQ(defn->GetFieldDefn(defn->GetFieldIndex("district_id"))->GetType(), OFTInteger64);
    EXPECT_EQ(defn->GetFieldDefn(defn->GetFieldIndex("district_name"))->GetType(), OFTString);
    EXPECT_EQ(defn->GetFieldDefn(defn->GetFieldIndex("stock_mg_c_2010"))->GetType(), OFTReal);
    EXPECT_EQ(defn->GetFieldDefn(defn->GetFieldIndex("city_id"))->GetType(), OFTInteger64);
}

TEST(VectorOutputs, ParseCsvHandlesQuotesCommasAndLineBreaks) {
    const auto rows = cs::pipeline::parse_csv("a,b\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n1,\n");
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[1], (std::vector<std::string>{"x, \"y\"", "two\nlines"}));
    EXPECT_EQ(rows[2], (std::vector<std::string>{"1", ""}));
}

TEST(VectorOutputs, GraduatedStyleHasSixSymmetricClassesWithZeroAsABound) {
    // max |v| = 9: class bounds -9, -6, -3, 0, 3, 6, 9; losses red to pale orange, sinks pale
    // to dark green (ColorBrewer RdYlGn 6: d73027 fc8d59 fee08b d9ef8b 91cf60 1a9850).
    const std::string qml = cs::pipeline::graduated_qml("chg", {-9, 3, 7});
    EXPECT_NE(qml.find("type=\"graduatedSymbol\" attr=\"chg\""), std::string::npos) << qml;
    EXPECT_NE(qml.find("lower=\"-9\" upper=\"-6\""), std::string::npos) << qml;
    EXPECT_NE(qml.find("lower=\"-3\" upper=\"0\""), std::string::npos) << qml;
    EXPECT_NE(qml.find("lower=\"0\" upper=\"3\""), std::string::npos) << qml;
    EXPECT_NE(qml.find("lower=\"6\" upper=\"9\""), std::string::npos) << qml;
    EXPECT_EQ(qml.find("lower=\"9\""), std::string::npos) << qml;
    const auto colour_of = [&](int symbol) {
        const auto at = qml.find("<symbol type=\"fill\" name=\"" + std::to_string(symbol) + "\"");
        const std::string key = "<prop k=\"color\" v=\"";
        const auto c = qml.find(key, at) + key.size();
        return qml.substr(c, qml.find('"', c) - c);
    };
    EXPECT_EQ(colour_of(0), "215,48,39,255");   // #d73027
    EXPECT_EQ(colour_of(2), "254,224,139,255"); // #fee08b: the loss class next to 0
    EXPECT_EQ(colour_of(3), "217,239,139,255"); // #d9ef8b: the sink class next to 0
    EXPECT_EQ(colour_of(5), "26,152,80,255");   // #1a9850
    // All zero: one class around zero.
    const std::string one = cs::pipeline::graduated_qml("chg", {0, 0});
    EXPECT_NE(one.find("lower=\"-1\" upper=\"1\""), std::string::npos) << one;
    EXPECT_EQ(one.find("symbol=\"1\""), std::string::npos) << one;
}

TEST(VectorOutputs, GeoPackageHasOneLayerPerLevelWithTheCsvValues) {
    const Scenario &r = hierarchy_run();
    const auto rows = read_csv(r.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 1u + 3 + 2 + 1);
    const auto &header = rows[0];
    const auto types =
        cs::pipeline::districts_csv_types(std::vector<std::string>(header.begin(), header.end()));
    Ds ds = open_vector(r.dir.file("out/districts.gpkg"));
    ASSERT_TRUE(ds) << "districts.gpkg does not open";
    std::vector<std::string> names;
    for (int i = 0; i < ds->GetLayerCount(); ++i) {
        names.emplace_back(ds->GetLayer(i)->GetName());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"park", "city", "province", "layer_styles"}));
    OGRSpatialReference grid;
    grid.importFromEPSG(6933);
    // Hand-worked areas (ha): parks 54, 27, 27; city 210 = 54 + 27, 220 = 27; province 108.
    const std::map<int64_t, double> area = {{11, 54},  {22, 27},  {33, 27},
                                            {210, 81}, {220, 27}, {2000, 108}};
    const std::map<std::string, int> counts = {{"park", 3}, {"city", 2}, {"province", 1}};
    const std::size_t level_col = std::find(header.begin(), header.end(), "level") - header.begin();
    for (const auto &[level, count] : counts) {
        OGRLayer *layer = ds->GetLayerByName(level.c_str());
        ASSERT_NE(layer, nullptr) << level;
        EXPECT_EQ(layer->GetFeatureCount(), count) << level;
        ASSERT_NE(layer->GetSpatialRef(), nullptr) << level;
        EXPECT_TRUE(layer->GetSpatialRef()->IsSame(&grid)) << level;
        OGRFeatureDefn *defn = layer->GetLayerDefn();
        ASSERT_EQ(defn->GetFieldCount(), static_cast<int>(header.size())) << level;
        std::vector<std::vector<std::string>> level_rows;
        for (std::size_t i = 1; i < rows.size(); ++i) {
            if (rows[i][level_col] == level) {
                level_rows.push_back(rows[i]);
            }
        }
        layer->ResetReading();
        std::size_t n = 0;
        for (auto &f : *layer) {
            ASSERT_LT(n, level_rows.size());
            const auto &row = level_rows[n++];
            for (std::size_t c = 0; c < header.size(); ++c) {
                const int i = defn->GetFieldIndex(header[c].c_str());
                ASSERT_GE(i, 0) << header[c];
                const OGRFieldType t = defn->GetFieldDefn(i)->GetType();
                if (row[c].empty() && types[c] != "String") {
                    EXPECT_TRUE(f->IsFieldNull(i)) << level << " " << header[c];
                } else if (types[c] == "Real") {
                    EXPECT_EQ(t, OFTReal) << header[c];
                    EXPECT_EQ(f->GetFieldAsDouble(i), std::stod(row[c])) << header[c];
                } else if (types[c] == "Integer64") {
                    EXPECT_EQ(t, OFTInteger64) << header[c];
                    EXPECT_EQ(f->GetFieldAsInteger64(i), std::stoll(row[c])) << header[c];
                } else {
                    EXPECT_EQ(t, OFTString) << header[c];
                    EXPECT_EQ(std::string(f->GetFieldAsString(i)), row[c]) << header[c];
                }
            }
            const int64_t id = f->GetFieldAsInteger64("district_id");
            const OGRGeometry *g = f->GetGeometryRef();
            ASSERT_NE(g, nullptr) << level << " " << id;
            ASSERT_EQ(wkbFlatten(g->getGeometryType()), wkbMultiPolygon);
            // EPSG:6933 is equal-area: polygon area = ground area = the CSV's area_ha.
            const double ha = g->toMultiPolygon()->get_Area() / 1e4;
            EXPECT_NEAR(ha, area.at(id), 1e-6) << level << " " << id;
            EXPECT_NEAR(ha, f->GetFieldAsDouble("area_ha"), 1e-6) << level << " " << id;
            // The union dissolves the border between parks 11 and 22: one polygon, not two.
            EXPECT_EQ(g->toMultiPolygon()->getNumGeometries(), 1) << level << " " << id;
        }
        EXPECT_EQ(n, level_rows.size()) << level;
    }
    // A Chinese name is intact.
    OGRLayer *park = ds->GetLayerByName("park");
    std::unique_ptr<OGRFeature> first(park->GetFeature(1));
    ASSERT_TRUE(first);
    EXPECT_EQ(std::string(first->GetFieldAsString("district_name")), PARK_11);
    // The default style of every level: a graduated choropleth of the stock change.
    OGRLayer *styles = ds->GetLayerByName("layer_styles");
    ASSERT_NE(styles, nullptr);
    std::set<std::string> styled;
    for (auto &f : *styles) {
        styled.insert(f->GetFieldAsString("f_table_name"));
        EXPECT_EQ(std::string(f->GetFieldAsString("f_geometry_column")), "geom");
        EXPECT_EQ(f->GetFieldAsInteger("useAsDefault"), 1);
        const std::string qml = f->GetFieldAsString("styleQML");
        EXPECT_NE(qml.find("graduatedSymbol"), std::string::npos);
        EXPECT_NE(qml.find("attr=\"stock_change_mg_c_per_yr_2010_2020\""), std::string::npos);
        EXPECT_EQ(std::string(f->GetFieldAsString("update_time")).rfind("2023/11/14 22:13:20", 0),
                  0u)
            << f->GetFieldAsString("update_time");
    }
    EXPECT_EQ(styled, (std::set<std::string>{"park", "city", "province"}));
}

TEST(VectorOutputs, XlsxHasDistrictsTransitionsAndUnits) {
    const Scenario &r = hierarchy_run();
    const auto rows = read_csv(r.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 7u);
    Ds ds = open_vector(r.dir.file("out/districts.xlsx"));
    ASSERT_TRUE(ds) << "districts.xlsx does not open";
    std::vector<std::string> names;
    for (int i = 0; i < ds->GetLayerCount(); ++i) {
        names.emplace_back(ds->GetLayer(i)->GetName());
    }
    EXPECT_EQ(names, (std::vector<std::string>{"districts", "transitions", "columns"}));
    OGRLayer *d = ds->GetLayerByName("districts");
    EXPECT_EQ(d->GetFeatureCount(), 6); // every level
    OGRFeatureDefn *defn = d->GetLayerDefn();
    EXPECT_EQ(defn->GetFieldCount(), static_cast<int>(rows[0].size()));
    // Numbers are cells of type number; OGR's XLSX reader types a column from its values, so a
    // column of whole numbers (these stocks) reads as Integer, a fractional one as Real.
    const auto type_of = [&](const char *c) {
        return defn->GetFieldDefn(defn->GetFieldIndex(c))->GetType();
    };
    EXPECT_NE(type_of("stock_mg_c_2010"), OFTString);
    EXPECT_EQ(type_of("stock_change_mg_c_per_yr_2010_2020"), OFTReal); // 255.6, -157.5
    EXPECT_EQ(type_of("district_name"), OFTString);
    d->ResetReading();
    std::size_t i = 1;
    for (auto &f : *d) {
        EXPECT_EQ(std::to_string(f->GetFieldAsInteger64("district_id")), rows[i][0]);
        EXPECT_EQ(std::string(f->GetFieldAsString("district_name")), rows[i][1]);
        EXPECT_EQ(f->GetFieldAsDouble("area_ha"), std::stod(rows[i][2]));
        ++i;
    }
    // Hand-worked: park 11 = 54 ha, its name in Chinese; the province 108 ha, 14472 Mg C (2010).
    d->ResetReading();
    std::unique_ptr<OGRFeature> f1(d->GetNextFeature());
    ASSERT_TRUE(f1);
    EXPECT_EQ(std::string(f1->GetFieldAsString("district_name")), PARK_11);
    EXPECT_DOUBLE_EQ(f1->GetFieldAsDouble("area_ha"), 54.0);
    std::unique_ptr<OGRFeature> last;
    for (OGRFeature *f = d->GetNextFeature(); f != nullptr; f = d->GetNextFeature()) {
        last.reset(f);
    }
    ASSERT_TRUE(last);
    EXPECT_EQ(std::string(last->GetFieldAsString("district_name")), PROVINCE);
    EXPECT_NEAR(last->GetFieldAsDouble("stock_mg_c_2010"), 14472.0, 1e-6);
    // Transitions: as transitions.csv, row for row.
    const auto trows = read_csv(r.dir.file("out/transitions.csv"));
    OGRLayer *t = ds->GetLayerByName("transitions");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->GetFeatureCount(), static_cast<GIntBig>(trows.size() - 1));
    // ... with the pools table's LULC_Name of each code beside it (1 cropland, 2 forest,
    // 3 settlement), the other columns unchanged.
    const std::map<std::string, std::string> class_name = {
        {"1", "cropland"}, {"2", "forest"}, {"3", "settlement"}};
    OGRFeatureDefn *tdefn = t->GetLayerDefn();
    std::vector<std::string> tcols;
    for (int k = 0; k < tdefn->GetFieldCount(); ++k) {
        tcols.emplace_back(tdefn->GetFieldDefn(k)->GetNameRef());
    }
    std::vector<std::string> expected_cols;
    for (const auto &c : trows[0]) {
        expected_cols.push_back(c);
        if (c == "from_class" || c == "to_class") {
            expected_cols.push_back(c + "_name");
        }
    }
    EXPECT_EQ(tcols, expected_cols);
    const auto col = [&](const std::string &c) {
        return static_cast<std::size_t>(std::find(trows[0].begin(), trows[0].end(), c) -
                                        trows[0].begin());
    };
    t->ResetReading();
    std::size_t ti = 1;
    int forest_to_cropland = 0;
    for (auto &f : *t) {
        ASSERT_LT(ti, trows.size());
        const std::string from = trows[ti][col("from_class")], to = trows[ti][col("to_class")];
        EXPECT_EQ(std::to_string(f->GetFieldAsInteger64("from_class")), from);
        EXPECT_EQ(std::string(f->GetFieldAsString("from_class_name")), class_name.at(from));
        EXPECT_EQ(std::string(f->GetFieldAsString("to_class_name")), class_name.at(to));
        forest_to_cropland += from == "1" && to == "2" ? 1 : 0;
        ++ti;
    }
    EXPECT_GT(forest_to_cropland, 0); // the scenario's 1 -> 2 change is there, named
    // Units sheet: one row per districts column.
    OGRLayer *u = ds->GetLayerByName("columns");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->GetFeatureCount(), static_cast<GIntBig>(rows[0].size()));
    std::map<std::string, std::string> unit;
    for (auto &f : *u) {
        unit[f->GetFieldAsString("column")] = f->GetFieldAsString("unit");
    }
    EXPECT_EQ(unit["area_ha"], "ha");
    EXPECT_EQ(unit["district_name"], "");
    EXPECT_EQ(unit["stock_mg_c_2010"], "Mg C");
    EXPECT_EQ(unit["stock_change_mg_c_per_yr_2010_2020"], "Mg C / yr");
    EXPECT_EQ(unit["net_emissions_mg_co2_per_yr_2010_2020"], "Mg CO2 / yr");
}

TEST(VectorOutputs, SameInputsGiveTheSameBytes) {
    const Scenario &r = hierarchy_run();
    // Two seconds apart: zip (XLSX) entries stamp time in 2-second steps.
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));
    const auto res = run_carbonsink("run " + r.dir.file("run.yaml") + " --quiet --output-dir " +
                                        r.dir.file("again"),
                                    "SOURCE_DATE_EPOCH=1700000000");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    for (const char *name : {"districts.gpkg", "districts.xlsx", "districts.csvt"}) {
        const std::string a = read_text(r.dir.file(std::string("out/") + name));
        EXPECT_FALSE(a.empty()) << name;
        EXPECT_TRUE(a == read_text(r.dir.file(std::string("again/") + name))) << name;
    }
}

TEST(VectorOutputs, NoPolygonsNoGeoPackage) {
    Scenario r;
    // Without districts (the whole grid is district 0) there is nothing to draw.
    auto res = run_carbonsink("run " + r.config("") + " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_FALSE(fs::exists(r.dir.file("out/districts.gpkg")));
    EXPECT_TRUE(fs::exists(r.dir.file("out/districts.xlsx")));
    EXPECT_TRUE(fs::exists(r.dir.file("out/districts.csvt")));
    // District raster: no polygons either.
    std::vector<double> ids(40 * 30);
    for (int i = 0; i < 40 * 30; ++i) {
        ids[i] = (i % 40) < 20 ? 11 : 22;
    }
    write_raster(r.dir.file("ids.tif"), r.spec, ids);
    res = run_carbonsink("run " + r.config("districts:\n  path: ids.tif\n") + " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_FALSE(fs::exists(r.dir.file("out/districts.gpkg")));
    EXPECT_TRUE(fs::exists(r.dir.file("out/districts.xlsx")));
}

TEST(VectorOutputs, ConfigTurnsThemOffAndRejectsNonBooleans) {
    Scenario r;
    auto res = run_carbonsink(
        "run " + r.config(HIERARCHY, "outputs:\n  geopackage: false\n  xlsx: no\n") + " --quiet");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    EXPECT_FALSE(fs::exists(r.dir.file("out/districts.gpkg")));
    EXPECT_FALSE(fs::exists(r.dir.file("out/districts.xlsx")));
    EXPECT_TRUE(fs::exists(r.dir.file("out/districts.csv")));
    // Config lines: 1 name, 2 output_dir, 3-6 land_cover, 7-18 districts, 19-24 models,
    // 25 outputs, 26 geopackage.
    res = run_carbonsink("validate " + r.config(HIERARCHY, "outputs:\n  geopackage: maybe\n"));
    EXPECT_EQ(res.exit_code, 2);
    EXPECT_NE(res.err.find("invalid config value outputs.geopackage: run.yaml, line 26: expected "
                           "true or false"),
              std::string::npos)
        << res.err;
    res = run_carbonsink("validate " + r.config(HIERARCHY, "outputs:\n  xlsx: [1]\n"));
    EXPECT_EQ(res.exit_code, 2);
    EXPECT_NE(res.err.find("invalid config value outputs.xlsx: run.yaml, line 26"),
              std::string::npos)
        << res.err;
}

TEST(VectorOutputs, AnInputNamedDistrictsGpkgInTheOutputFolderIsNeverOverwritten) {
    Scenario r;
    fs::create_directories(r.dir.file("out"));
    const double x0 = r.spec.origin_x, y0 = r.spec.origin_y;
    write_polygons(
        r.dir.file("out/districts.gpkg"), 6933,
        {{7, "all", {{{x0, y0}, {x0 + 1200, y0}, {x0 + 1200, y0 - 900}, {x0, y0 - 900}}}}});
    const std::string before = read_text(r.dir.file("out/districts.gpkg"));
    const auto res = run_carbonsink(
        "run " +
        r.config("districts:\n  path: out/districts.gpkg\n  id_field: code\n  name_field: name\n") +
        " --quiet");
    EXPECT_EQ(res.exit_code, 2) << res.err;
    EXPECT_NE(res.err.find("output districts.gpkg would overwrite the input"), std::string::npos)
        << res.err;
    EXPECT_TRUE(read_text(r.dir.file("out/districts.gpkg")) == before);
}

// districts.name_field_en (issue 12 item 6): the second name of each district reaches
// districts.csv (district_name_en, right after district_name), its .csvt, results.h5
// (/districts/name_en), districts.gpkg and districts.xlsx; parent units have none.
TEST(VectorOutputs, SecondNamesReachEveryOutput) {
    Scenario s;
    std::string text = read_text(s.dir.file("districts.geojson"));
    const std::pair<std::string, std::string> en[] = {
        {std::string("\"name\": \"") + PARK_11 + "\"", "Heping District"},
        {"\"name\": \"park 22\"", "Park Twenty-Two"},
        {"\"name\": \"park 33\"", ""}}; // no English name: an empty cell
    for (const auto &[from, name] : en) {
        const auto at = text.find(from);
        ASSERT_NE(at, std::string::npos) << from;
        if (!name.empty()) {
            text.insert(at + from.size(), ", \"name_en\": \"" + name + "\"");
        }
    }
    write_text(s.dir.file("districts.geojson"), text);
    const std::string districts = std::string(HIERARCHY) + "  name_field_en: name_en\n";
    const auto res =
        run_carbonsink("run " + s.config(districts) + " --quiet", "SOURCE_DATE_EPOCH=1700000000");
    ASSERT_EQ(res.exit_code, 0) << res.err;
    const auto rows = read_csv(s.dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 7u);
    ASSERT_GE(rows[0].size(), 4u);
    EXPECT_EQ(rows[0][1], "district_name");
    EXPECT_EQ(rows[0][2], "district_name_en");
    EXPECT_EQ(rows[0][3], "area_ha");
    EXPECT_EQ(rows[1][1], PARK_11);
    EXPECT_EQ(rows[1][2], "Heping District");
    EXPECT_EQ(rows[2][2], "Park Twenty-Two");
    EXPECT_EQ(rows[3][2], "");
    EXPECT_EQ(rows[4][1], CITY_210); // a city: no second name
    EXPECT_EQ(rows[4][2], "");
    const std::string csvt = read_text(s.dir.file("out/districts.csvt"));
    EXPECT_EQ(csvt.rfind("Integer64,String,String,Real,", 0), 0u) << csvt;
    // results.h5: /districts/name_en beside /districts/name.
    {
        GDALAllRegister();
        const std::string h5 = s.dir.file("out/results.h5");
        std::unique_ptr<GDALDataset> md(
            GDALDataset::Open(h5.c_str(), GDAL_OF_MULTIDIM_RASTER | GDAL_OF_READONLY));
        ASSERT_TRUE(md);
        auto group = md->GetRootGroup()->OpenGroup("districts");
        ASSERT_TRUE(group);
        auto arr = group->OpenMDArray("name_en");
        ASSERT_TRUE(arr) << "no /districts/name_en";
        std::vector<char *> values(3, nullptr);
        const GUInt64 start[1] = {0};
        const size_t count[1] = {3};
        ASSERT_TRUE(arr->Read(start, count, nullptr, nullptr, GDALExtendedDataType::CreateString(),
                              values.data()));
        EXPECT_STREQ(values[0], "Heping District");
        EXPECT_STREQ(values[1], "Park Twenty-Two");
        EXPECT_STREQ(values[2], "");
        for (char *v : values) {
            CPLFree(v);
        }
    }
    // districts.gpkg and districts.xlsx carry the column with the CSV's values.
    for (const char *file : {"out/districts.gpkg", "out/districts.xlsx"}) {
        Ds ds = open_vector(s.dir.file(file));
        ASSERT_TRUE(ds) << file;
        OGRLayer *layer = ds->GetLayer(0);
        const int idx = layer->GetLayerDefn()->GetFieldIndex("district_name_en");
        ASSERT_GE(idx, 0) << file;
        layer->ResetReading();
        std::unique_ptr<OGRFeature> f(layer->GetNextFeature());
        ASSERT_TRUE(f) << file;
        EXPECT_STREQ(f->GetFieldAsString(idx), "Heping District") << file;
        EXPECT_STREQ(f->GetFieldAsString(f->GetFieldIndex("district_name")), PARK_11) << file;
    }
    // A name_field_en that is not a field of the layer is an error naming the fields.
    const auto bad = run_carbonsink(
        "validate " + s.config(std::string(HIERARCHY) + "  name_field_en: name_english\n"));
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find(": name_field_en \"name_english\" is not a field; fields are: "),
              std::string::npos)
        << bad.err;
}
