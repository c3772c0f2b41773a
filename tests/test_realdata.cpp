// Real-data tests on ../shared/data (skipped when absent): New Guinea land cover 2001/2015 with
// 22 ecoregions, checked against published reference counts and an independent computation.
#include "h5_read.hpp"
#include "test_support.hpp"

#include <gdal.h>
#include <gdal_alg.h>
#include <geodesic.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <filesystem>
#include <map>

using namespace cs::test;

namespace {

// Reference figures from shared/data/motif-newguinea-landcover/SOURCE.md (computed there with
// numpy and GDAL rasterize, pixel-centre rule): id, valid px 2001, nodata px, forest(2) px
// 2001, 2015, agriculture(1) px 2001, 2015.
struct Reference {
    int id;
    int64_t valid, nodata, forest01, forest15, agri01, agri15;
};
const std::array<Reference, 22> REFERENCE = {{
    {1, 19192, 2476, 18126, 18248, 363, 363},
    {2, 52520, 4886, 40202, 40819, 9592, 9056},
    {3, 29240, 1146, 25377, 24541, 1695, 2549},
    {4, 4492, 452, 1869, 1785, 124, 134},
    {5, 1904693, 0, 1733040, 1738402, 157859, 152617},
    {6, 168115, 0, 149288, 150747, 2986, 2255},
    {7, 181964, 520, 158042, 161321, 22847, 19576},
    {8, 451, 35, 402, 402, 0, 0},
    {9, 206876, 11083, 198730, 198936, 3582, 3561},
    {10, 33694, 0, 33355, 33409, 339, 285},
    {11, 248663, 30031, 216941, 217191, 7097, 7013},
    {12, 1495370, 1794, 1250924, 1258246, 211233, 202634},
    {13, 256926, 304, 250048, 251712, 5505, 3778},
    {14, 812, 209, 702, 704, 48, 48},
    {15, 852555, 4065, 729097, 731952, 90626, 88512},
    {16, 1096103, 12445, 830181, 845740, 163185, 146597},
    {17, 1359368, 676, 1259041, 1264649, 87458, 81937},
    {18, 294300, 1886, 146219, 158387, 112071, 100509},
    {19, 20142, 864, 17539, 17409, 2306, 2435},
    {20, 747854, 14847, 702818, 698452, 25205, 29242},
    {21, 240146, 1736, 233765, 233043, 1897, 2710},
    {22, 24320, 1163, 23458, 23459, 87, 72},
}};

std::string config_for(const std::string &dir, const std::string &data,
                       const std::string &coverage) {
    return "name: new-guinea\n"
           "output_dir: out\n"
           "land_cover:\n"
           "  epochs:\n"
           "    2001: " +
           data +
           "/landcover2001.tif\n"
           "    2015: " +
           data +
           "/landcover2015.tif\n"
           "districts:\n"
           "  path: " +
           data +
           "/ecoregions.gpkg\n"
           "  id_field: id\n"
           "  name_field: ECO_NAME\n"
           "  coverage: " +
           coverage +
           "\n"
           "models:\n"
           "  stocks:\n"
           "    method: lookup\n"
           "    table: " +
           dir +
           "/pools.csv\n"
           "  sink:\n"
           "    method: stock_difference\n";
}

constexpr double PX_HA = 9.0; // 300 m x 300 m, equal-area CRS

} // namespace

TEST(RealData, NewGuineaPixelCountsMatchThePublishedReference) {
    const std::string data = shared_data("motif-newguinea-landcover");
    if (data.empty()) {
        GTEST_SKIP()
            << "../shared/data/motif-newguinea-landcover is absent; real-data test skipped";
    }
    TempDir dir;
    // Indicator table: above = 1 for forest only, below = 1 for agriculture only, soil = 1 for
    // every class, so stock / 9 ha counts pixels.
    write_text(dir.file("pools.csv"), "lucode,c_above,c_below,c_soil,c_dead\n"
                                      "1,0,1,1,0\n2,1,0,1,0\n3,0,0,1,0\n5,0,0,1,0\n"
                                      "6,0,0,1,0\n7,0,0,1,0\n9,0,0,1,0\n");
    write_text(dir.file("run.yaml"), config_for(dir.path(), data, "centre"));
    const auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string h5 = dir.file("out/results.h5");
    const auto ids = h5_read(h5, "/districts/id");
    ASSERT_EQ(ids.values.size(), 22u);
    const auto stocks = h5_read(h5, "/stocks/mg_c"); // [22, 2, 4]
    const auto area = h5_read(h5, "/districts/area_ha");
    const auto invalid = h5_read(h5, "/stocks/invalid_area_ha"); // [22, 2]
    for (std::size_t d = 0; d < 22; ++d) {
        const Reference &ref = REFERENCE[d];
        ASSERT_EQ(ids.values[d], ref.id);
        auto px = [&](std::size_t e, std::size_t p) {
            return stocks.values[d * 8 + e * 4 + p] / PX_HA;
        };
        EXPECT_NEAR(px(0, 2), ref.valid, 1e-6) << "valid px, ecoregion " << ref.id;
        EXPECT_NEAR(invalid.values[d * 2] / PX_HA, ref.nodata, 1e-6) << "nodata px " << ref.id;
        EXPECT_NEAR(area.values[d] / PX_HA, ref.valid + ref.nodata, 1e-6) << ref.id;
        EXPECT_NEAR(px(0, 0), ref.forest01, 1e-6) << "forest 2001, ecoregion " << ref.id;
        EXPECT_NEAR(px(1, 0), ref.forest15, 1e-6) << "forest 2015, ecoregion " << ref.id;
        EXPECT_NEAR(px(0, 1), ref.agri01, 1e-6) << "agriculture 2001, ecoregion " << ref.id;
        EXPECT_NEAR(px(1, 1), ref.agri15, 1e-6) << "agriculture 2015, ecoregion " << ref.id;
    }
}

TEST(RealData, NewGuineaTotalsMatchAnIndependentComputation) {
    const std::string data = shared_data("motif-newguinea-landcover");
    if (data.empty()) {
        GTEST_SKIP()
            << "../shared/data/motif-newguinea-landcover is absent; real-data test skipped";
    }
    TempDir dir;
    // Test densities (Mg C/ha per pool), not science: distinct per class so errors show.
    const std::map<int, std::array<double, 4>> dens = {
        {1, {5.5, 1.25, 60, 0.5}}, {2, {120, 28.5, 90, 7.25}}, {3, {3, 4, 70, 1}},
        {5, {0.5, 0, 40, 0}},      {6, {20, 9, 65, 2}},        {7, {2, 1, 35, 0.25}},
        {9, {0, 0, 0, 0}}};
    std::string table = "lucode,c_above,c_below,c_soil,c_dead\n";
    for (const auto &[code, d] : dens) {
        table += std::to_string(code) + "," + std::to_string(d[0]) + "," + std::to_string(d[1]) +
                 "," + std::to_string(d[2]) + "," + std::to_string(d[3]) + "\n";
    }
    write_text(dir.file("pools.csv"), table);
    write_text(dir.file("run.yaml"), config_for(dir.path(), data, "centre"));
    const auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;

    // Independent computation: whole-grid rasterization of the ecoregions at once, then plain
    // counts of class pixels per ecoregion, times densities, times 9 ha.
    GDALAllRegister();
    GDALDatasetH lc[2] = {GDALOpen((data + "/landcover2001.tif").c_str(), GA_ReadOnly),
                          GDALOpen((data + "/landcover2015.tif").c_str(), GA_ReadOnly)};
    ASSERT_NE(lc[0], nullptr);
    const int w = GDALGetRasterXSize(lc[0]);
    const int h = GDALGetRasterYSize(lc[0]);
    std::vector<uint8_t> c01(static_cast<std::size_t>(w) * h), c15(c01.size());
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(lc[0], 1), GF_Read, 0, 0, w, h, c01.data(), w, h,
                           GDT_Byte, 0, 0),
              CE_None);
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(lc[1], 1), GF_Read, 0, 0, w, h, c15.data(), w, h,
                           GDT_Byte, 0, 0),
              CE_None);
    double gt[6];
    GDALGetGeoTransform(lc[0], gt);
    GDALDatasetH zones = GDALCreate(GDALGetDriverByName("MEM"), "", w, h, 1, GDT_Int32, nullptr);
    GDALSetGeoTransform(zones, gt);
    GDALSetProjection(zones, GDALGetProjectionRef(lc[0]));
    GDALDatasetH vec =
        GDALOpenEx((data + "/ecoregions.gpkg").c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    ASSERT_NE(vec, nullptr);
    OGRLayerH layer = GDALDatasetGetLayer(vec, 0);
    std::vector<OGRGeometryH> geoms;
    std::vector<double> burn;
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        geoms.push_back(OGR_G_Clone(OGR_F_GetGeometryRef(f)));
        burn.push_back(OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "id")));
        OGR_F_Destroy(f);
    }
    int band = 1;
    ASSERT_EQ(GDALRasterizeGeometries(zones, 1, &band, static_cast<int>(geoms.size()), geoms.data(),
                                      nullptr, nullptr, burn.data(), nullptr, nullptr, nullptr),
              CE_None);
    std::vector<int32_t> zone(c01.size());
    ASSERT_EQ(GDALRasterIO(GDALGetRasterBand(zones, 1), GF_Read, 0, 0, w, h, zone.data(), w, h,
                           GDT_Int32, 0, 0),
              CE_None);
    // counts[zone][class 2001][class 2015], 256 = nodata index for 255
    std::map<int, std::map<std::pair<int, int>, int64_t>> counts;
    for (std::size_t i = 0; i < zone.size(); ++i) {
        if (zone[i] > 0) {
            ++counts[zone[i]][{c01[i], c15[i]}];
        }
    }
    for (auto g : geoms) {
        OGR_G_DestroyGeometry(g);
    }
    GDALClose(vec);
    GDALClose(zones);
    GDALClose(lc[0]);
    GDALClose(lc[1]);

    const auto rows = read_csv(dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 23u);
    double grid_2001 = 0;
    double sum_rows_2001 = 0;
    for (std::size_t d = 1; d <= 22; ++d) {
        const int id = std::stoi(rows[d][0]);
        double s01 = 0, s15 = 0, change = 0;
        for (const auto &[pair, n] : counts[id]) {
            const auto a = dens.find(pair.first);
            const auto b = dens.find(pair.second);
            double t01 = 0, t15 = 0;
            if (a != dens.end()) {
                t01 = a->second[0] + a->second[1] + a->second[2] + a->second[3];
                s01 += static_cast<double>(n) * t01 * PX_HA;
            }
            if (b != dens.end()) {
                t15 = b->second[0] + b->second[1] + b->second[2] + b->second[3];
                s15 += static_cast<double>(n) * t15 * PX_HA;
            }
            if (a != dens.end() && b != dens.end()) {
                change += static_cast<double>(n) * (t15 - t01) / 14.0 * PX_HA;
            }
        }
        EXPECT_NEAR(std::stod(rows[d][3]), s01, 1e-9 * s01 + 1e-6) << "2001, ecoregion " << id;
        EXPECT_NEAR(std::stod(rows[d][4]), s15, 1e-9 * s15 + 1e-6) << "2015, ecoregion " << id;
        EXPECT_NEAR(std::stod(rows[d][5]), change, 1e-9 * std::fabs(s01) + 1e-6)
            << "change, ecoregion " << id;
        EXPECT_NEAR(std::stod(rows[d][6]), -44.0 / 12.0 * change, 1e-8 * std::fabs(s01) + 1e-5);
        grid_2001 += s01;
        sum_rows_2001 += std::stod(rows[d][3]);
    }
    // District sums add up to the total over every pixel inside an ecoregion.
    EXPECT_NEAR(sum_rows_2001, grid_2001, 1e-9 * grid_2001);
}

TEST(RealData, NewGuineaExactCoverageAreasAreThePolygonAreasAndAddUpToTheGrid) {
    const std::string data = shared_data("motif-newguinea-landcover");
    if (data.empty()) {
        GTEST_SKIP()
            << "../shared/data/motif-newguinea-landcover is absent; real-data test skipped";
    }
    TempDir dir;
    write_text(dir.file("pools.csv"), "lucode,c_above,c_below,c_soil,c_dead\n"
                                      "1,5,1,60,0.5\n2,120,28,90,7\n3,3,4,70,1\n5,0.5,0,40,0\n"
                                      "6,20,9,65,2\n7,2,1,35,0.25\n9,0,0,0,0\n");
    write_text(dir.file("run.yaml"), config_for(dir.path(), data, "exact"));
    auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto exact = read_csv(dir.file("out/districts.csv"));
    ASSERT_EQ(exact.size(), 23u);

    // Independent: polygon areas from OGR (planar areas are true areas in this equal-area CRS;
    // the polygons lie inside the grid extent, SOURCE.md).
    GDALAllRegister();
    GDALDatasetH vec =
        GDALOpenEx((data + "/ecoregions.gpkg").c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    ASSERT_NE(vec, nullptr);
    OGRLayerH layer = GDALDatasetGetLayer(vec, 0);
    std::map<int, double> poly_ha;
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        poly_ha[OGR_F_GetFieldAsInteger(f, OGR_F_GetFieldIndex(f, "id"))] =
            OGR_G_Area(OGR_F_GetGeometryRef(f)) / 10000.0;
        OGR_F_Destroy(f);
    }
    GDALClose(vec);
    double sum_area = 0;
    double sum_2001 = 0;
    for (std::size_t d = 1; d <= 22; ++d) {
        const int id = std::stoi(exact[d][0]);
        EXPECT_NEAR(std::stod(exact[d][2]), poly_ha[id], 1e-9 * poly_ha[id] + 1e-6)
            << "area of ecoregion " << id;
        sum_area += std::stod(exact[d][2]);
        sum_2001 += std::stod(exact[d][3]);
    }
    // Additivity: one district made of the dissolved union of the 22 ecoregions (computed by
    // GEOS, independently of the 22 parts) has the sum of their totals, since they do not
    // overlap. The ecoregions do not cover every valid land pixel (at pixel centres 9 237 796 of
    // 9 358 246, SOURCE.md), so the grid total is only an upper bound.
    vec =
        GDALOpenEx((data + "/ecoregions.gpkg").c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    layer = GDALDatasetGetLayer(vec, 0);
    OGRGeometryH all = OGR_G_CreateGeometry(wkbMultiPolygon);
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) {
            ASSERT_EQ(OGR_G_AddGeometry(all, OGR_G_GetGeometryRef(g, i)), OGRERR_NONE);
        }
        OGR_F_Destroy(f);
    }
    OGRGeometryH uni = OGR_G_UnionCascaded(all);
    ASSERT_NE(uni, nullptr);
    OGRSpatialReferenceH srs = OSRClone(OGR_L_GetSpatialRef(layer));
    GDALClose(vec);
    GDALDatasetH out = GDALCreate(GDALGetDriverByName("GPKG"), dir.file("union.gpkg").c_str(), 0, 0,
                                  0, GDT_Unknown, nullptr);
    OGRLayerH ul = GDALDatasetCreateLayer(out, "union", srs, wkbMultiPolygon, nullptr);
    OGRFieldDefnH fd = OGR_Fld_Create("id", OFTInteger);
    ASSERT_EQ(OGR_L_CreateField(ul, fd, 1), OGRERR_NONE);
    OGR_Fld_Destroy(fd);
    OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(ul));
    OGR_F_SetFieldInteger(f, 0, 1);
    OGR_F_SetGeometryDirectly(f, uni);
    ASSERT_EQ(OGR_L_CreateFeature(ul, f), OGRERR_NONE);
    OGR_F_Destroy(f);
    GDALClose(out);
    OSRDestroySpatialReference(srs);
    OGR_G_DestroyGeometry(all);
    std::string cfg = read_text(dir.file("run.yaml"));
    cfg.replace(cfg.find(data + "/ecoregions.gpkg"), (data + "/ecoregions.gpkg").size(),
                dir.file("union.gpkg"));
    cfg.replace(cfg.find("  name_field: ECO_NAME\n"), 23, "");
    write_text(dir.file("union.yaml"), cfg);
    r = run_carbonsink("run " + dir.file("union.yaml") + " --quiet --output-dir " +
                       dir.file("union"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto uni_rows = read_csv(dir.file("union/districts.csv"));
    ASSERT_EQ(uni_rows.size(), 2u);
    EXPECT_NEAR(std::stod(uni_rows[1][2]) / sum_area, 1.0, 1e-9);
    EXPECT_NEAR(std::stod(uni_rows[1][3]) / sum_2001, 1.0, 1e-9);

    std::string whole = read_text(dir.file("run.yaml"));
    whole = whole.substr(0, whole.find("districts:")) + whole.substr(whole.find("models:"));
    write_text(dir.file("whole.yaml"), whole);
    r = run_carbonsink("run " + dir.file("whole.yaml") + " --quiet --threads 2 --output-dir " +
                       dir.file("whole"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto grid = read_csv(dir.file("whole/districts.csv"));
    ASSERT_EQ(grid.size(), 2u);
    const double grid_2001 = std::stod(grid[1][3]);
    EXPECT_LE(sum_2001, grid_2001);
    EXPECT_GT(sum_2001 / grid_2001, 0.98);
    std::printf("exact coverage: sum of ecoregion areas %.1f ha; sum of 2001 stocks %.1f Mg C vs "
                "grid %.1f Mg C (ratio %.9f)\n",
                sum_area, sum_2001, grid_2001, sum_2001 / grid_2001);
}

TEST(RealData, ShenyangLonLatDistrictsOnAGaussKrugerGridHaveTheirGroundAreas) {
    const std::string data = shared_data("geomapdata-cn-admin");
    if (data.empty()) {
        GTEST_SKIP() << "../shared/data/geomapdata-cn-admin is absent; real-data test skipped";
    }
    const std::string districts = data + "/210100_shenyang_districts.json";
    // A uniform forest raster (205 Mg C/ha) on CGCS2000 / 3-degree Gauss-Kruger CM 123E
    // (EPSG:4550), 100 m pixels, covering all of Shenyang (lon 122.42-123.81, lat 41.20-43.04).
    TempDir dir;
    RasterSpec spec;
    spec.epsg = 4550;
    spec.pixel_size = 100.0;
    spec.origin_x = 440000.0;
    spec.origin_y = 4780000.0;
    spec.width = 1400;  // x 440-580 km: 122.42E is ~48 km west of the CM, 123.81E ~67 km east
    spec.height = 2400; // down to y = 4540000 (41.0N is ~4 540 km north)
    write_raster(dir.file("lc.tif"), spec,
                 std::vector<double>(static_cast<std::size_t>(spec.width) * spec.height, 2));
    write_text(dir.file("pools.csv"), "lucode,c_above,c_below,c_soil,c_dead\n2,100,20,80,5\n");
    write_text(dir.file("run.yaml"), "name: shenyang\noutput_dir: out\nland_cover:\n  epochs:\n"
                                     "    2020: lc.tif\ndistricts:\n  path: " +
                                         districts +
                                         "\n  id_field: adcode\n  name_field: name\n"
                                         "models:\n  stocks:\n    method: lookup\n"
                                         "    table: pools.csv\n");
    const auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet --threads 2");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_csv(dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 14u);

    // Independent: geodesic area of each lon/lat polygon on the WGS84 ellipsoid (GeographicLib
    // algorithm in PROJ's geodesic.h), outer rings minus holes.
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    GDALAllRegister();
    GDALDatasetH vec = GDALOpenEx(districts.c_str(), GDAL_OF_VECTOR, nullptr, nullptr, nullptr);
    ASSERT_NE(vec, nullptr);
    OGRLayerH layer = GDALDatasetGetLayer(vec, 0);
    std::map<int64_t, double> geod_ha;
    auto ring_area = [&](OGRGeometryH ring) {
        const int n = OGR_G_GetPointCount(ring);
        std::vector<double> lat(static_cast<std::size_t>(n)), lon(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) {
            lon[static_cast<std::size_t>(i)] = OGR_G_GetX(ring, i);
            lat[static_cast<std::size_t>(i)] = OGR_G_GetY(ring, i);
        }
        double area = 0;
        double perimeter = 0;
        geod_polygonarea(&g, lat.data(), lon.data(), n - 1, &area, &perimeter);
        return std::fabs(area);
    };
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        OGRGeometryH geom = OGR_F_GetGeometryRef(f);
        double m2 = 0;
        for (int p = 0; p < OGR_G_GetGeometryCount(geom); ++p) {
            OGRGeometryH poly = OGR_G_GetGeometryRef(geom, p);
            for (int k = 0; k < OGR_G_GetGeometryCount(poly); ++k) {
                m2 += (k == 0 ? 1 : -1) * ring_area(OGR_G_GetGeometryRef(poly, k));
            }
        }
        geod_ha[OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "adcode"))] = m2 / 1e4;
        OGR_F_Destroy(f);
    }
    GDALClose(vec);
    // SOURCE.md (Albers equal-area, km^2, 0.1 km^2 rounding): a second, coarser reference.
    const std::map<int64_t, double> source_km2 = {
        {210102, 59.8},   {210103, 59.7},   {210104, 99.6},  {210105, 66.0},  {210106, 469.3},
        {210111, 781.2},  {210112, 809.9},  {210113, 813.8}, {210114, 500.7}, {210115, 1461.9},
        {210123, 2167.3}, {210124, 2283.6}, {210181, 3302.7}};
    ASSERT_EQ(geod_ha.size(), 13u);
    for (std::size_t i = 1; i < rows.size(); ++i) {
        const int64_t id = std::stoll(rows[i][0]);
        const double area = std::stod(rows[i][2]);
        EXPECT_NEAR(area / geod_ha[id], 1.0, 1e-4) << rows[i][1] << " (" << id << ")";
        EXPECT_NEAR(area / 100.0, source_km2.at(id), 0.06 + 1e-4 * source_km2.at(id)) << rows[i][1];
        EXPECT_NEAR(std::stod(rows[i][3]) / (area * 205.0), 1.0, 1e-9) << rows[i][1];
    }
}

TEST(RealData, CorineMisalignedPairIsWarpedWithAWarningAndRefusedWhenStrict) {
    std::string data = shared_data("pylandstats-corine-lausanne");
    if (data.empty()) {
        GTEST_SKIP() << "../shared/data/pylandstats-corine-lausanne is absent; test skipped";
    }
    data = std::filesystem::path(data).lexically_normal().string();
    TempDir dir;
    // Indicator pools: above-ground = class code (a class-weighted sum), soil = 1 (area).
    std::string pools = "lucode,c_above,c_below,c_soil,c_dead\n";
    for (int code = 1; code <= 44; ++code) {
        pools += std::to_string(code) + "," + std::to_string(code) + ",0,1,0\n";
    }
    write_text(dir.file("pools.csv"), pools);
    auto config = [&](const std::string &epochs, const std::string &extra) {
        return "name: lausanne\noutput_dir: out\nland_cover:\n  epochs:\n" + epochs +
               "districts:\n  path: " + data +
               "/gmb-lausanne.gpkg\n  id_field: GMDNR\n  name_field: GMDNAME\n"
               "models:\n  stocks:\n    method: lookup\n    table: pools.csv\n" +
               extra;
    };
    const std::string both =
        "    2006: " + data + "/ls100_06.tif\n    2012: " + data + "/ls100_12.tif\n";
    write_text(dir.file("run.yaml"), config(both, ""));
    auto r = run_carbonsink("run " + dir.file("run.yaml") + " --quiet");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: land_cover/2012 (" + data +
                         "/ls100_12.tif, band 1): not on "
                         "the reference grid land_cover/2006 (" +
                         data + "/ls100_06.tif, band 1) (pixel width differs: 100.0051243 vs " +
                         "99.99245896); warped on the fly with nearest resampling"),
              std::string::npos)
        << r.err;
    // Lausanne: 4147 ha in the FSO attribute table (generalized boundary).
    const auto rows = read_csv(dir.file("out/districts.csv"));
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1][1], "Lausanne");
    EXPECT_NEAR(std::stod(rows[1][2]) / 4147.0, 1.0, 0.005);
    const auto warped = h5_read(dir.file("out/results.h5"), "/stocks/mg_c"); // [1, 2, 4]
    ASSERT_EQ(warped.values.size(), 8u);

    // The 2012 raster on its own native grid, same polygon: the warped layer must carry the same
    // data over Lausanne (valid area to 0.5 %, class-weighted sum to 1 %). A warp misplaced by
    // a pixel or more moves the lake shore and urban classes and breaks this.
    write_text(dir.file("native.yaml"), config("    2012: " + data + "/ls100_12.tif\n", ""));
    r = run_carbonsink("run " + dir.file("native.yaml") + " --quiet --output-dir " +
                       dir.file("native"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto native = h5_read(dir.file("native/results.h5"), "/stocks/mg_c"); // [1, 1, 4]
    ASSERT_EQ(native.values.size(), 4u);
    EXPECT_NEAR(warped.values[4 + 2] / native.values[2], 1.0, 0.005) << "valid area 2012";
    EXPECT_NEAR(warped.values[4 + 0] / native.values[0], 1.0, 0.01) << "class-weighted sum 2012";

    write_text(dir.file("strict.yaml"), config(both, "grid:\n  strict: true\n"));
    r = run_carbonsink("run " + dir.file("strict.yaml") + " --quiet");
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("error: grids do not match: land_cover/2012 (" + data +
                         "/ls100_12.tif, band 1) vs the reference grid land_cover/2006 (" + data +
                         "/ls100_06.tif, band 1): pixel width differs"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("grid.strict is true, so inputs are not warped"), std::string::npos);
}
