// The monthly NEP figures of a run per district (and per roll-up level), their seasonal and
// annual sums, and how they are written: the `/nep` group of results.h5 and nep_monthly.csv
// (interface.md "Seasonal flux"). Sign convention (science.md §1.2): NEP > 0 is a net uptake by
// the ecosystem (a sink); CO2 emissions = -44/12 x NEP.
#pragma once
#include "models/months.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cs::pipeline {

class Hdf5Writer;

/// District sums of one level, month by month. Arrays are [D, M], district-major.
struct NepSeries {
    std::string level; ///< "district", "city", ...
    std::vector<int64_t> ids;
    std::vector<std::string> names;
    std::vector<models::YearMonth> months; ///< consecutive, ascending
    std::vector<double> npp_mg_c;          ///< Σ NPP x area, Mg C per month
    std::vector<double> rh_mg_c;           ///< Σ R_H x area, Mg C per month
    std::vector<double> nep_mg_c;          ///< Σ NEP x area, Mg C per month (> 0 = sink)
    std::vector<double> invalid_area_ha;   ///< area without NEP that month (nodata, no CASA type)
};

/// Seasonal (DJF, MAM, JJA, SON; December in the next year's winter) and calendar-year sums of
/// NEP over the months of the run. A season or year the months only partly cover holds the sum
/// of the months it has; `*_months` says how many (3 and 12 when whole).
struct NepSeasonal {
    std::vector<models::SeasonOfYear> seasons; ///< [S] in time order
    std::vector<int32_t> season_months;        ///< [S] months of the run in the season
    std::vector<double> season_nep_mg_c;       ///< [D, S]
    std::vector<int32_t> years;                ///< [Y]
    std::vector<int32_t> year_months;          ///< [Y] months of the run in the year
    std::vector<double> annual_nep_mg_c;       ///< [D, Y]
};

/// The seasonal and annual sums of `s` (summed month by month in time order).
NepSeasonal nep_seasonal(const NepSeries &s);

/// Net CO2 emissions of an NEP figure: -44/12 x NEP (science.md §1.1: 44/12 is the ratio of the
/// molar masses of CO2 and C; §1.2: a sink is a negative emission).
inline double nep_net_emissions_mg_co2(double nep_mg_c) { return -44.0 / 12.0 * nep_mg_c; }

/// Write `s` into group `group` of an open results.h5 (created here; its parent must exist):
/// month [M] (int32 yyyymm), npp_mg_c, rh_mg_c, nep_mg_c, net_emissions_mg_co2, invalid_area_ha
/// [D, M], season_name / season_year / season_months [S], season_nep_mg_c [D, S], year /
/// year_months [Y], annual_nep_mg_c [D, Y]; units on every dataset and the sign convention on
/// every NEP dataset and on the group. Every axis is named by an HDF5 dimension scale of the
/// group: `unit_dim` ("district", or "unit" in a hierarchy level's group) of the ids, month,
/// season ("DJF 2001") and year.
void write_nep_group(Hdf5Writer &h5, const std::string &group, const NepSeries &s,
                     const std::string &unit_dim = "district");

/// The header of nep_monthly.csv: district_id, district_name, month, npp_mg_c, rh_mg_c,
/// nep_mg_c, net_emissions_mg_co2, invalid_area_ha, and `level` when there are parent levels.
std::vector<std::string> nep_monthly_csv_columns(bool with_levels);

/// Write nep_monthly.csv (tidy: one row per unit and month, the districts first, then each
/// parent level) through a temporary file renamed into place. Throws OutputError.
void write_nep_monthly_csv(const std::string &path, const std::vector<NepSeries> &levels);

} // namespace cs::pipeline
