// Seasonal flux (models.nep) model side: the CASA / npp_raster row kernels over a run's months,
// the vegetation mapping and CASA table parsers, and the month axis (months, seasons, epochs).
// Scalar kernels are covered by the case table tests/cases/science_nep.txt (test_science).
#include "models/casa.hpp"
#include "models/months.hpp"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace cs::models;

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

std::string join(const std::vector<std::string> &v) {
    std::string s;
    for (const auto &e : v) {
        s += e + "\n";
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// An independent transcription of science.md §5 (not the kernels of casa.hpp), for expected
// values of whole months.

struct Veg {
    double ndvi_min, ndvi_max, sr_min, sr_max, eps_max;
};
// configs/parameters/casa_vegetation.csv, grassland and evergreen needleleaf forest rows.
constexpr Veg GRASS{0.023, 0.634, 1.05, 4.46, 0.542};
constexpr Veg CONIFER{0.023, 0.647, 1.05, 4.67, 0.389};

double expected_npp(const Veg &v, double ndvi, double t, double t_opt, double sol, double et,
                    double pet) {
    const double sr = (1 + ndvi) / (1 - ndvi);
    const double f1 = (ndvi - v.ndvi_min) / (v.ndvi_max - v.ndvi_min) * (0.95 - 0.001) + 0.001;
    const double f2 = (sr - v.sr_min) / (v.sr_max - v.sr_min) * (0.95 - 0.001) + 0.001;
    const double fpar = std::min(0.95, std::max(0.001, 0.5 * f1 + 0.5 * f2));
    const double te1 = t <= -10 ? 0.0 : 0.8 + 0.02 * t_opt - 0.0005 * t_opt * t_opt;
    auto te2f = [](double tt, double to) {
        return 1.184 / (1 + std::exp(0.2 * (to - 10 - tt))) / (1 + std::exp(0.3 * (-to - 10 + tt)));
    };
    const double te2 = (t > t_opt + 10 || t < t_opt - 13) ? te2f(t_opt, t_opt) / 2 : te2f(t, t_opt);
    const double we = pet == 0 ? 1.0 : 0.5 + 0.5 * std::min(1.0, std::max(0.0, et / pet));
    return sol * fpar * 0.5 * te1 * te2 * we * v.eps_max;
}

double expected_rh(double t, double p) {
    return 0.22 * (std::exp(0.0912 * t) + std::log(0.3145 * p + 1)) * 30 * 0.465;
}

/// Land-cover codes of the fixtures: 4 grassland (vegetation index 0), 2 conifer forest (1),
/// 1 cropland (no CASA type).
constexpr int32_t LC_GRASS = 4;
constexpr int32_t LC_CONIFER = 2;
constexpr int32_t LC_CROP = 1;

/// A row of `width` pixels over `months` months, every layer [month][x] in one vector, all data
/// by default, handed to the kernels as rows per month.
struct RowFixture {
    std::size_t width;
    std::size_t months;
    std::vector<int> year;
    std::vector<int32_t> lc;
    std::vector<uint8_t> lc_ok;
    std::vector<double> ndvi, t, p, sol, et, pet, npp_in;
    std::vector<uint8_t> ndvi_ok, t_ok, p_ok, sol_ok, et_ok, pet_ok, npp_ok;
    std::vector<CasaParameters> params;
    CasaTypeOfClass types;
    std::vector<double> npp, rh, nep, no_value;
    std::vector<uint8_t> status;
    std::vector<int64_t> counts;
    std::vector<int64_t> used;
    double scale = 1.0;
    bool with_types = true;
    bool null_masks = false;

    RowFixture(std::size_t w, std::size_t m, int first_year, int first_month)
        : width(w), months(m), lc(w * m, LC_GRASS), lc_ok(w * m, 1), ndvi(w * m, 0.5),
          t(w * m, 15.0), p(w * m, 50.0), sol(w * m, 400.0), et(w * m, 60.0), pet(w * m, 100.0),
          npp_in(w * m, 40.0), ndvi_ok(w * m, 1), t_ok(w * m, 1), p_ok(w * m, 1), sol_ok(w * m, 1),
          et_ok(w * m, 1), pet_ok(w * m, 1), npp_ok(w * m, 1), npp(w * m, -1), rh(w * m, -1),
          nep(w * m, -1), no_value(w * m, -1), status(w * m, 255), counts(m * NEP_STATUS_COUNT, 0),
          used(2, 0) {
        for (std::size_t k = 0; k < m; ++k) {
            const int s = first_year * 12 + first_month - 1 + static_cast<int>(k);
            year.push_back(s / 12);
        }
        auto par = [](const Veg &v) {
            return CasaParameters{v.ndvi_min, v.ndvi_max, v.sr_min, v.sr_max, v.eps_max};
        };
        params = {par(GRASS), par(CONIFER)};
        types.build({{LC_CONIFER, 1, 2}, {LC_GRASS, 0, 3}});
    }
    std::size_t at(std::size_t month, std::size_t x) const { return month * width + x; }
    NepStatus status_at(std::size_t month, std::size_t x) const {
        return static_cast<NepStatus>(status[at(month, x)]);
    }

    void run(bool casa) {
        auto rows = [&](auto &v) {
            std::vector<decltype(v.data())> r;
            for (std::size_t m = 0; m < months; ++m) {
                r.push_back(v.data() + m * width);
            }
            return r;
        };
        auto layer = [&](const std::vector<double> &v, const std::vector<uint8_t> &ok) {
            std::vector<NepLayerRow> r;
            for (std::size_t m = 0; m < months; ++m) {
                r.push_back({v.data() + m * width, null_masks ? nullptr : ok.data() + m * width});
            }
            return r;
        };
        const auto lc_rows = rows(lc);
        const auto lc_ok_rows = rows(lc_ok);
        const auto l_ndvi = layer(ndvi, ndvi_ok), l_t = layer(t, t_ok), l_p = layer(p, p_ok);
        const auto l_sol = layer(sol, sol_ok), l_et = layer(et, et_ok), l_pet = layer(pet, pet_ok);
        const auto l_npp = layer(npp_in, npp_ok);
        const auto o_npp = rows(npp), o_rh = rows(rh), o_nep = rows(nep), o_nv = rows(no_value);
        const auto o_status = rows(status);
        NepRowInputs in;
        in.width = width;
        in.months = months;
        in.year = year.data();
        in.land_cover = lc_rows.data();
        in.land_cover_valid = null_masks ? nullptr : lc_ok_rows.data();
        in.types = with_types ? &types : nullptr;
        in.parameters = params.data();
        in.ndvi = l_ndvi.data();
        in.temperature_c = l_t.data();
        in.precipitation_mm = l_p.data();
        in.solar_mj_per_m2 = l_sol.data();
        in.et_mm = l_et.data();
        in.pet_mm = l_pet.data();
        in.npp_g_c_per_m2 = l_npp.data();
        NepRowOutputs out;
        out.npp = o_npp.data();
        out.rh = o_rh.data();
        out.nep = o_nep.data();
        out.scale = scale;
        out.no_value = o_nv.data();
        out.status = o_status.data();
        out.status_count = counts.data();
        out.vegetation_used = used.data();
        if (casa) {
            casa_nep_row(in, out);
        } else {
            npp_raster_nep_row(in, out);
        }
    }
    void run_casa() { run(true); }
    void run_npp_raster() { run(false); }
    /// Pixel-months counted with status `s` in month `m`.
    int64_t count(std::size_t m, NepStatus s) const {
        return counts[m * NEP_STATUS_COUNT + static_cast<std::size_t>(s)];
    }
};

// ---------------------------------------------------------------------------------------------
// casa_nep_row

TEST(CasaRow, ToptIsTheTemperatureOfTheMonthWithTheHighestNdviOfEachPixel) {
    // Two pixels, 2020-01..2020-12. Pixel 0 peaks in July (NDVI 0.6 at 24 deg C), pixel 1 in
    // May (NDVI 0.55 at 18 deg C); a month's T_opt is its pixel's peak temperature.
    RowFixture f(2, 12, 2020, 1);
    for (std::size_t m = 0; m < 12; ++m) {
        f.t[f.at(m, 0)] = f.t[f.at(m, 1)] = -5.0 + 2.5 * static_cast<double>(m); // -5 .. 22.5
        f.ndvi[f.at(m, 0)] = f.ndvi[f.at(m, 1)] = 0.2;
    }
    f.ndvi[f.at(6, 0)] = 0.6;
    f.t[f.at(6, 0)] = 24.0;
    f.ndvi[f.at(4, 1)] = 0.55;
    f.t[f.at(4, 1)] = 18.0;
    f.lc[f.at(3, 1)] = LC_CONIFER; // pixel 1 is conifer in April (a class change in the year)
    f.run_casa();
    for (std::size_t m = 0; m < 12; ++m) {
        for (std::size_t x = 0; x < 2; ++x) {
            const std::size_t i = f.at(m, x);
            const double t_opt = x == 0 ? 24.0 : 18.0;
            const Veg &v = f.lc[i] == LC_CONIFER ? CONIFER : GRASS;
            const double npp = expected_npp(v, f.ndvi[i], f.t[i], t_opt, 400, 60, 100);
            const double rh = expected_rh(f.t[i], 50);
            SCOPED_TRACE("month " + std::to_string(m) + ", pixel " + std::to_string(x));
            EXPECT_EQ(f.status_at(m, x), NepStatus::valid);
            EXPECT_NEAR(f.npp[i], npp, 1e-9);
            EXPECT_NEAR(f.rh[i], rh, 1e-9);
            EXPECT_NEAR(f.nep[i], npp - rh, 1e-9);
        }
    }
    // January at -5 deg C with T_opt 24: Te1 0.992, Te2 = half value (more than 13 below).
    EXPECT_GT(f.npp[f.at(0, 0)], 0.0);
    EXPECT_EQ(f.used[0], 23); // grassland pixel-months
    EXPECT_EQ(f.used[1], 1);  // the conifer April
    for (std::size_t m = 0; m < 12; ++m) {
        EXPECT_EQ(f.count(m, NepStatus::valid), 2) << m;
        EXPECT_TRUE(std::isnan(f.no_value[f.at(m, 0)]));
    }
}

TEST(CasaRow, ToptTieTakesTheEarliestMonthAndOutOfRangeNdviNeverPeaks) {
    RowFixture f(1, 6, 2020, 3);
    f.ndvi = {0.4, 0.6, 0.3, 0.6, 1.5, 0.2}; // tie in April and June; 1.5 in July is not NDVI
    f.t = {5, 12, 16, 20, 25, 18};
    f.run_casa();
    for (std::size_t m = 0; m < 6; ++m) {
        if (m == 4) {
            EXPECT_EQ(f.status_at(m, 0), NepStatus::ndvi_out_of_range);
            EXPECT_TRUE(std::isnan(f.npp[m]) && std::isnan(f.rh[m]) && std::isnan(f.nep[m]));
            continue;
        }
        EXPECT_EQ(f.status_at(m, 0), NepStatus::valid) << m;
        EXPECT_NEAR(f.npp[m], expected_npp(GRASS, f.ndvi[m], f.t[m], 12.0, 400, 60, 100), 1e-9)
            << m;
    }
}

TEST(CasaRow, ToptIsChosenPerCalendarYear) {
    // 14 months, 2020-11 .. 2021-12: the two 2020 months choose among themselves.
    RowFixture f(1, 14, 2020, 11);
    for (std::size_t m = 0; m < 14; ++m) {
        f.ndvi[m] = 0.1 + 0.01 * static_cast<double>(m);
        f.t[m] = static_cast<double>(m);
    }
    f.ndvi[0] = 0.45; // 2020 peak: November, 0 deg C (above December's 0.11)
    f.ndvi[8] = 0.62; // 2021 peak: July 2021, 8 deg C
    f.run_casa();
    for (std::size_t m = 0; m < 14; ++m) {
        const double t_opt = m < 2 ? 0.0 : 8.0;
        EXPECT_NEAR(f.npp[m], expected_npp(GRASS, f.ndvi[m], f.t[m], t_opt, 400, 60, 100), 1e-9)
            << m;
    }
    EXPECT_EQ(f.used[0], 14);
}

TEST(CasaRow, StatusOfEveryBadPixelMonthAndNaNValues) {
    RowFixture f(9, 1, 2020, 6);
    f.lc_ok[0] = 0;    // land cover nodata
    f.lc[1] = LC_CROP; // class without a CASA type
    f.sol_ok[2] = 0;   // solar radiation nodata
    f.ndvi[3] = -1.2;  // NDVI below -1, not flagged nodata
    f.p[4] = -3.0;     // negative precipitation
    f.sol[5] = -1.0;   // negative radiation
    f.pet[6] = 0.0;    // Ep = 0: We = 1, counted
    f.t[7] = NaN;      // temperature NaN but marked data
    f.lc[8] = LC_CROP; // no type and nodata NDVI: nodata first
    f.ndvi_ok[8] = 0;
    f.run_casa();
    const NepStatus want[] = {NepStatus::nodata,        NepStatus::no_vegetation_type,
                              NepStatus::nodata,        NepStatus::ndvi_out_of_range,
                              NepStatus::invalid_value, NepStatus::invalid_value,
                              NepStatus::valid_no_pet,  NepStatus::invalid_value,
                              NepStatus::nodata};
    for (std::size_t x = 0; x < 9; ++x) {
        EXPECT_EQ(f.status_at(0, x), want[x]) << x;
        const bool has = nep_status_has_value(f.status[x]);
        EXPECT_EQ(has, x == 6) << x;
        if (!has) {
            EXPECT_TRUE(std::isnan(f.npp[x]) && std::isnan(f.rh[x]) && std::isnan(f.nep[x])) << x;
            EXPECT_EQ(f.no_value[x], 1.0) << x;
        } else {
            EXPECT_TRUE(std::isnan(f.no_value[x])) << x;
        }
    }
    // Ep = 0: We = 1; T_opt = 15 (the only month).
    EXPECT_NEAR(f.npp[6], expected_npp(GRASS, 0.5, 15, 15, 400, 60, 0), 1e-9);
    EXPECT_NEAR(f.nep[6], f.npp[6] - expected_rh(15, 50), 1e-9);
    EXPECT_EQ(f.used[0], 1);
    EXPECT_EQ(f.count(0, NepStatus::nodata), 3);
    EXPECT_EQ(f.count(0, NepStatus::no_vegetation_type), 1);
    EXPECT_EQ(f.count(0, NepStatus::ndvi_out_of_range), 1);
    EXPECT_EQ(f.count(0, NepStatus::invalid_value), 3);
    EXPECT_EQ(f.count(0, NepStatus::valid_no_pet), 1);
    EXPECT_EQ(f.count(0, NepStatus::valid), 0);
    EXPECT_STREQ(nep_status_name(NepStatus::valid_no_pet), "valid_no_pet");
    EXPECT_STREQ(nep_status_name(NepStatus::no_vegetation_type), "no_vegetation_type");
}

TEST(CasaRow, FrozenMonthHasNoNppButRespiresAndNullMasksMeanAllData) {
    RowFixture f(1, 2, 2021, 1);
    f.t = {-10.0, 12.0}; // Te1 = 0 at -10 deg C
    f.ndvi = {0.1, 0.4};
    f.ndvi_ok = f.t_ok = f.lc_ok = {0, 0}; // ignored: null masks
    f.null_masks = true;
    f.run_casa();
    EXPECT_EQ(f.npp[0], 0.0);
    EXPECT_NEAR(f.nep[0], -expected_rh(-10, 50), 1e-12); // a source
    EXPECT_NEAR(f.npp[1], expected_npp(GRASS, 0.4, 12, 12, 400, 60, 100), 1e-9);
}

TEST(CasaRow, ScaleGivesMegagramsPerHectare) {
    RowFixture g(1, 1, 2020, 7);
    g.run_casa();
    RowFixture f(1, 1, 2020, 7);
    f.scale = MG_C_PER_HA_PER_G_C_PER_M2;
    f.run_casa();
    // 1 g C m-2 = 10^4 g C ha-1 = 0.01 Mg C ha-1
    EXPECT_NEAR(f.npp[0], g.npp[0] * 0.01, 1e-15);
    EXPECT_NEAR(f.rh[0], expected_rh(15, 50) / 100, 1e-14);
    EXPECT_NEAR(f.nep[0], (g.npp[0] - expected_rh(15, 50)) / 100, 1e-14);
}

TEST(CasaRow, TypeOfClassDenseAndSparse) {
    CasaTypeOfClass dense;
    dense.build({{-3, 2, 2}, {7, 0, 3}, {250, 1, 4}});
    EXPECT_EQ(dense.find(-3), 2);
    EXPECT_EQ(dense.find(7), 0);
    EXPECT_EQ(dense.find(250), 1);
    for (int32_t c : {-4, 0, 6, 8, 249, 251, INT32_MIN, INT32_MAX}) {
        EXPECT_EQ(dense.find(c), -1) << c;
    }
    CasaTypeOfClass sparse; // codes spanning more than 2^20 values
    sparse.build({{INT32_MIN, 1, 2}, {5, 0, 3}, {INT32_MAX, 2, 4}});
    EXPECT_EQ(sparse.find(INT32_MIN), 1);
    EXPECT_EQ(sparse.find(5), 0);
    EXPECT_EQ(sparse.find(INT32_MAX), 2);
    for (int32_t c : {INT32_MIN + 1, 4, 6, INT32_MAX - 1}) {
        EXPECT_EQ(sparse.find(c), -1) << c;
    }
    CasaTypeOfClass none;
    none.build({});
    EXPECT_EQ(none.find(0), -1);
}

// ---------------------------------------------------------------------------------------------
// npp_raster_nep_row

TEST(NppRasterRow, NepIsTheUsersNppMinusPeiRespiration) {
    RowFixture f(5, 2, 2020, 12);
    f.npp_in = {40, -2, 10, 30, 20, 55, 60, 0, 5, 7};
    f.lc[1] = LC_CROP;
    f.npp_ok[2] = 0;
    f.p[3] = -1;
    f.lc_ok[4] = 0;
    f.ndvi_ok[5] = 0; // NDVI is not read by npp_raster
    f.run_npp_raster();
    const NepStatus want[] = {NepStatus::valid,  NepStatus::no_vegetation_type,
                              NepStatus::nodata, NepStatus::invalid_value,
                              NepStatus::nodata, NepStatus::valid,
                              NepStatus::valid,  NepStatus::valid,
                              NepStatus::valid,  NepStatus::valid};
    for (std::size_t i = 0; i < 10; ++i) {
        EXPECT_EQ(static_cast<NepStatus>(f.status[i]), want[i]) << i;
        if (want[i] == NepStatus::valid) {
            EXPECT_EQ(f.npp[i], f.npp_in[i]);
            EXPECT_NEAR(f.rh[i], expected_rh(15, 50), 1e-12);
            EXPECT_NEAR(f.nep[i], f.npp_in[i] - expected_rh(15, 50), 1e-12);
        } else {
            EXPECT_TRUE(std::isnan(f.nep[i])) << i;
        }
    }
    EXPECT_EQ(f.used[0], 6);
    EXPECT_EQ(f.count(0, NepStatus::valid), 1);
    EXPECT_EQ(f.count(1, NepStatus::valid), 5);
    // Without a vegetation mapping every class has NEP, and no type is counted as used.
    RowFixture g(2, 1, 2020, 1);
    g.lc[1] = LC_CROP;
    g.with_types = false;
    g.run_npp_raster();
    for (std::size_t x = 0; x < 2; ++x) {
        EXPECT_EQ(g.status_at(0, x), NepStatus::valid);
        EXPECT_NEAR(g.nep[x], 40 - expected_rh(15, 50), 1e-12);
    }
    EXPECT_EQ(g.used, (std::vector<int64_t>{0, 0}));
}

// ---------------------------------------------------------------------------------------------
// The CASA vegetation table and the user's mapping

const char *const TABLE =
    "casa_type,vegetation_type_zh,vegetation_type_en,ndvi_max,ndvi_min,sr_max,sr_min,"
    "epsilon_max_g_c_per_mj,source,status\n"
    "grassland,草地,grassland,0.634,0.023,4.46,1.05,0.542,paper,V2-single\n"
    "shrubland,灌丛,shrubland,0.636,0.023,4.49,1.05,0.768,paper,U\n";

TEST(CasaTable, LoadsSortedWithStatusAndReportsBadRows) {
    std::vector<std::string> errs;
    const CasaVegetationTable t = parse_casa_table(TABLE, "casa.csv", errs);
    ASSERT_TRUE(errs.empty()) << join(errs);
    ASSERT_EQ(t.rows.size(), 2u);
    EXPECT_EQ(t.find("shrubland"), 1);
    EXPECT_EQ(t.find("forest"), -1);
    EXPECT_EQ(t.keys(), "grassland, shrubland");
    EXPECT_TRUE(is_unverified(t.rows[1].status));
    EXPECT_EQ(t.rows[0].line, 2);
    EXPECT_DOUBLE_EQ(t.rows[0].parameters.sr_max, 4.46);

    const std::string header = "casa_type,vegetation_type_zh,vegetation_type_en,ndvi_max,ndvi_min,"
                               "sr_max,sr_min,epsilon_max_g_c_per_mj,source,status\n";
    errs.clear();
    parse_casa_table(header + "a,,,0.02,0.6,4,1,0.5,s,V\n"  // NDVI extremes swapped
                              "b,,,0.6,0.02,1,4,0.5,s,V\n"  // SR extremes swapped
                              "c,,,0.6,0.02,4,1,0,s,V\n"    // eps_max 0
                              "d,,,0.6,0.02,4,1,0.5,,V\n"   // no source
                              "e,,,0.6,0.02,4,1,0.5,s,ok\n" // unknown status
                              "e,,,0.6,0.02,4,1,x,s,V\n"    // not a number
                              "f,,,0.6,0.02,4,1,0.5,s,V\n"
                              "f,,,0.6,0.02,4,1,0.5,s,V\n", // twice
                     "casa.csv", errs);
    const std::vector<std::string> want = {
        "casa.csv, line 2: ndvi_min 0.6 and ndvi_max 0.02 must satisfy -1 <= ndvi_min < "
        "ndvi_max < 1",
        "casa.csv, line 3: sr_max 1 is not above sr_min 4",
        "casa.csv, line 4: epsilon_max_g_c_per_mj 0 is not positive (it must be > 0)",
        "casa.csv, line 5: source is empty (every row must cite where its values come from)",
        "casa.csv, line 6: status \"ok\" is not one of V, V2, V2-single, V2-conflict, V2-weak, U, "
        "PLACEHOLDER",
        "casa.csv, line 7: epsilon_max_g_c_per_mj \"x\" is not a finite number",
        "casa.csv, line 9: casa_type \"f\" is listed twice (also line 8)"};
    EXPECT_EQ(errs, want) << join(errs);
}

TEST(CasaTable, UnverifiedRowsUsedAreListedInTableOrderWithTheirCounts) {
    std::vector<std::string> errs;
    const std::string header = "casa_type,vegetation_type_zh,vegetation_type_en,ndvi_max,ndvi_min,"
                               "sr_max,sr_min,epsilon_max_g_c_per_mj,source,status\n";
    // Sorted by key: a_shrub (line 4), b_grass (line 2), c_broad (line 3).
    const CasaVegetationTable t =
        parse_casa_table(header + "b_grass,,grass,0.634,0.023,4.46,1.05,0.542,s,V2-single\n"
                                  "c_broad,,broadleaf,0.676,0.023,5.17,1.05,0.692,s,U\n"
                                  "a_shrub,,shrub,0.636,0.023,4.49,1.05,0.768,s,PLACEHOLDER\n",
                         "casa.csv", errs);
    ASSERT_TRUE(errs.empty()) << join(errs);
    EXPECT_EQ(casa_unverified_parameters(t, "casa_vegetation.csv", {5, 7, 3}),
              (std::vector<std::string>{
                  "casa_vegetation.csv line 3: CASA type c_broad (broadleaf): epsilon_max 0.692 "
                  "g C/MJ, status U (used by 3 pixel-months)",
                  "casa_vegetation.csv line 4: CASA type a_shrub (shrub): epsilon_max 0.768 "
                  "g C/MJ, status PLACEHOLDER (used by 5 pixel-months)"}));
    // Unused unverified rows and used verified rows are not listed.
    EXPECT_TRUE(casa_unverified_parameters(t, "casa_vegetation.csv", {0, 9, 0}).empty());
}

TEST(CasaMapping, ValidMappingIsSortedByLucode) {
    std::vector<std::string> errs;
    const auto table = parse_casa_table(TABLE, "casa.csv", errs);
    const auto m = parse_casa_mapping("lucode,casa_type,comment\n4, grassland ,pasture\n"
                                      "2,shrubland,\n",
                                      "casa_types.csv", table, errs);
    ASSERT_TRUE(errs.empty()) << join(errs);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].lucode, 2);
    EXPECT_EQ(m[0].casa_index, 1);
    EXPECT_EQ(m[0].line, 3);
    EXPECT_EQ(m[1].lucode, 4);
    EXPECT_EQ(m[1].casa_index, 0);
}

TEST(CasaMapping, ErrorTexts) {
    std::vector<std::string> errs;
    const auto table = parse_casa_table(TABLE, "casa.csv", errs);
    ASSERT_TRUE(errs.empty());
    parse_casa_mapping("lucode,casa_type\n2,forest\n2.5,grassland\nx,grassland\n4,grassland\n"
                       "4,shrubland\n",
                       "casa_types.csv", table, errs);
    const std::vector<std::string> want = {
        "casa_types.csv, line 2: lucode 2: casa_type \"forest\" is not a CASA vegetation type of "
        "casa_vegetation.csv; valid types: grassland, shrubland",
        "casa_types.csv, line 3: lucode \"2.5\" is not an integer land-cover code",
        "casa_types.csv, line 4: lucode \"x\" is not an integer land-cover code",
        "casa_types.csv, line 6: lucode 4 is listed twice (also line 5)"};
    EXPECT_EQ(errs, want) << join(errs);

    errs.clear();
    parse_casa_mapping("code,type\n1,grassland\n", "casa_types.csv", table, errs);
    EXPECT_EQ(errs, (std::vector<std::string>{
                        "casa_types.csv, line 1: required column \"lucode\" is missing (the "
                        "header must have lucode, casa_type)",
                        "casa_types.csv, line 1: required column \"casa_type\" is missing (the "
                        "header must have lucode, casa_type)"}));
    errs.clear();
    parse_casa_mapping("lucode,casa_type\n", "casa_types.csv", table, errs);
    EXPECT_EQ(errs, (std::vector<std::string>{"casa_types.csv: the table has no rows"}));
}

// ---------------------------------------------------------------------------------------------
// The month axis

TEST(Months, RangeAcrossYearsAndItsErrors) {
    std::vector<YearMonth> m;
    EXPECT_EQ(month_range("2020-11", "2022-01", m), "");
    ASSERT_EQ(m.size(), 15u);
    EXPECT_EQ(m.front(), (YearMonth{2020, 11}));
    EXPECT_EQ(m[2], (YearMonth{2021, 1}));
    EXPECT_EQ(m.back(), (YearMonth{2022, 1}));
    EXPECT_EQ(m[2].yyyymm(), 202101);
    EXPECT_EQ(m[2].text(), "2021-01");
    EXPECT_EQ(month_range("2020-05", "2020-05", m), "");
    EXPECT_EQ(m.size(), 1u);

    EXPECT_EQ(month_range("2020-1", "2020-12", m),
              "\"2020-1\" is not a month written yyyy-mm (e.g. 2020-01)");
    EXPECT_TRUE(m.empty());
    EXPECT_EQ(month_range("2020-01", "2020-13", m),
              "\"2020-13\" is not a month written yyyy-mm (e.g. 2020-01)");
    EXPECT_EQ(month_range("2020-01", "2019-12", m),
              "the last month 2019-12 is before the first month 2020-01");
    YearMonth ym;
    for (const char *bad : {"2020/01", " 2020-01", "2020-01 ", "2020-00", "20-01", "2020-001",
                            "２020-01", "", "2020-0a", "202001"}) {
        EXPECT_FALSE(parse_year_month(bad, ym)) << bad;
    }
    EXPECT_TRUE(parse_year_month("1999-12", ym));
    EXPECT_EQ(ym, (YearMonth{1999, 12}));
}

TEST(Months, SeasonsWithDecemberInTheNextYearsWinter) {
    std::vector<YearMonth> m;
    ASSERT_EQ(month_range("2020-01", "2020-12", m), "");
    std::vector<SeasonOfYear> seasons;
    std::vector<int> of;
    seasons_of(m, seasons, of);
    const std::vector<SeasonOfYear> want = {{2020, Season::djf},
                                            {2020, Season::mam},
                                            {2020, Season::jja},
                                            {2020, Season::son},
                                            {2021, Season::djf}};
    EXPECT_EQ(seasons, want);
    EXPECT_EQ(of, (std::vector<int>{0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4}));

    ASSERT_EQ(month_range("2019-12", "2020-02", m), ""); // one whole winter
    seasons_of(m, seasons, of);
    EXPECT_EQ(seasons, (std::vector<SeasonOfYear>{{2020, Season::djf}}));
    EXPECT_EQ(of, (std::vector<int>{0, 0, 0}));

    std::vector<int> years;
    ASSERT_EQ(month_range("2020-11", "2021-02", m), "");
    years_of(m, years, of);
    EXPECT_EQ(years, (std::vector<int>{2020, 2021}));
    EXPECT_EQ(of, (std::vector<int>{0, 0, 1, 1}));
    EXPECT_STREQ(season_name(Season::son), "SON");
}

TEST(Months, SeasonAndYearSumsOfTwoDistrictsOverFourteenMonths) {
    // 2019-12 .. 2021-01: seasons DJF 2020 (Dec, Jan, Feb), MAM, JJA, SON 2020, DJF 2021 (Dec
    // 2020, Jan 2021); years 2019 (Dec), 2020 (12 months), 2021 (Jan).
    std::vector<YearMonth> m;
    ASSERT_EQ(month_range("2019-12", "2021-01", m), "");
    ASSERT_EQ(m.size(), 14u);
    std::vector<double> monthly(2 * 14);
    for (std::size_t k = 0; k < 14; ++k) {
        monthly[k] = static_cast<double>(k + 1); // district 0: 1, 2, ..., 14
        monthly[14 + k] = -10.0;                 // district 1: -10 every month
    }
    std::vector<SeasonOfYear> seasons;
    std::vector<int> season_of_month;
    seasons_of(m, seasons, season_of_month);
    ASSERT_EQ(seasons.size(), 5u);
    std::vector<double> sums;
    std::vector<int> n;
    sum_months_by_group(monthly, 2, season_of_month, seasons.size(), sums, n);
    EXPECT_EQ(n, (std::vector<int>{3, 3, 3, 3, 2}));
    // DJF 2020 = 1+2+3, MAM = 4+5+6, JJA = 7+8+9, SON = 10+11+12, DJF 2021 = 13+14
    EXPECT_EQ(sums, (std::vector<double>{6, 15, 24, 33, 27, -30, -30, -30, -30, -20}));
    std::vector<int> years;
    std::vector<int> year_of_month;
    years_of(m, years, year_of_month);
    EXPECT_EQ(years, (std::vector<int>{2019, 2020, 2021}));
    sum_months_by_group(monthly, 2, year_of_month, years.size(), sums, n);
    EXPECT_EQ(n, (std::vector<int>{1, 12, 1}));
    EXPECT_EQ(sums, (std::vector<double>{1, 90, 14, -10, -120, -10})); // 2+...+13 = 90
}

TEST(Months, EpochOfAMonthIsTheLatestAtOrBeforeItsYearElseTheFirst) {
    const std::vector<int> epochs = {2015, 2020};
    EXPECT_EQ(epoch_of_month(epochs, {2010, 6}), 0); // before the first epoch: the first
    EXPECT_EQ(epoch_of_month(epochs, {2015, 1}), 0);
    EXPECT_EQ(epoch_of_month(epochs, {2019, 12}), 0);
    EXPECT_EQ(epoch_of_month(epochs, {2020, 1}), 1);
    EXPECT_EQ(epoch_of_month(epochs, {2030, 12}), 1);
    EXPECT_EQ(epoch_of_month({2018}, {2017, 1}), 0);
}

TEST(Months, LayerPatterns) {
    EXPECT_EQ(check_month_pattern("met/ndvi_{yyyy}{mm}.tif"), "");
    EXPECT_EQ(check_month_pattern("met/ndvi_{yyyy}.tif"),
              "\"met/ndvi_{yyyy}.tif\" does not hold {mm} (one raster per month: e.g. "
              "met/ndvi_{yyyy}{mm}.tif)");
    EXPECT_EQ(check_month_pattern("ndvi_{mm}.tif"),
              "\"ndvi_{mm}.tif\" does not hold {yyyy} (one raster per month: e.g. "
              "met/ndvi_{yyyy}{mm}.tif)");
    EXPECT_EQ(check_month_pattern("ndvi.tif"),
              "\"ndvi.tif\" does not hold {yyyy} and {mm} (one raster per month: e.g. "
              "met/ndvi_{yyyy}{mm}.tif)");
    EXPECT_EQ(expand_month_pattern("{yyyy}_{mm}_{m}.tif", {987, 3}), "0987_03_{m}.tif");
}

} // namespace
