// Seasonal/annual NEP sums and the NEP outputs (see nep_outputs.hpp).
#include "pipeline/nep_outputs.hpp"

#include "pipeline/hdf5_writer.hpp"
#include "pipeline/output_text.hpp"
#include "pipeline/problems.hpp"
#include "raster/raster_io.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace cs::pipeline {

namespace {

const char *const SIGN_CONVENTION =
    "NEP = NPP - R_H; NEP > 0 = net uptake by the ecosystem (sink); net emissions = -44/12 x "
    "NEP, < 0 = net removal (science.md 1.2, 5.3)";

} // namespace

NepSeasonal nep_seasonal(const NepSeries &s) {
    NepSeasonal out;
    const std::size_t D = s.ids.size();
    std::vector<int> season_of_month, year_of_month, years, counts;
    models::seasons_of(s.months, out.seasons, season_of_month);
    models::years_of(s.months, years, year_of_month);
    out.years.assign(years.begin(), years.end());
    models::sum_months_by_group(s.nep_mg_c, D, season_of_month, out.seasons.size(),
                                out.season_nep_mg_c, counts);
    out.season_months.assign(counts.begin(), counts.end());
    models::sum_months_by_group(s.nep_mg_c, D, year_of_month, out.years.size(), out.annual_nep_mg_c,
                                counts);
    out.year_months.assign(counts.begin(), counts.end());
    return out;
}

void write_nep_group(Hdf5Writer &h5, const std::string &group, const NepSeries &s,
                     const std::string &unit_dim) {
    const auto D = static_cast<uint64_t>(s.ids.size());
    const auto M = static_cast<uint64_t>(s.months.size());
    const NepSeasonal sea = nep_seasonal(s);
    const auto S = static_cast<uint64_t>(sea.seasons.size());
    const auto Y = static_cast<uint64_t>(sea.years.size());
    h5.group(group);
    h5.attribute(group, "sign_convention", std::string(SIGN_CONVENTION));
    std::vector<int32_t> month;
    for (const auto &m : s.months) {
        month.push_back(m.yyyymm());
    }
    // Dimension scales named as the dimensions (see Hdf5Writer::scale): the ids, the months,
    // the seasons and the calendar years.
    h5.dataset(group + "/" + unit_dim, {D}, s.ids, "1");
    h5.attribute(group + "/" + unit_dim, "long_name",
                 std::string(unit_dim == "district" ? "district id" : "id of the unit"));
    h5.scale(group + "/" + unit_dim);
    h5.dataset(group + "/month", {M}, month, "yyyymm");
    h5.attribute(group + "/month", "long_name", std::string("month of the run"));
    h5.scale(group + "/month");
    std::vector<std::string> season;
    for (const auto &so : sea.seasons) {
        season.push_back(std::string(models::season_name(so.season)) + " " +
                         std::to_string(so.year));
    }
    h5.dataset(group + "/season", season, "1");
    h5.attribute(group + "/season", "long_name",
                 std::string("meteorological season and its year (DJF: the year of its January)"));
    h5.scale(group + "/season");
    h5.dataset(group + "/year", {Y}, sea.years, "year");
    h5.attribute(group + "/year", "long_name", std::string("calendar year"));
    h5.scale(group + "/year");
    auto flux = [&](const std::string &name, const std::vector<uint64_t> &shape,
                    const std::vector<double> &v, const std::string &units,
                    const std::string &long_name) {
        h5.dataset(group + "/" + name, shape, v, units);
        h5.attribute(group + "/" + name, "long_name", long_name);
        const std::string time_dim = name.rfind("season_", 0) == 0   ? "season"
                                     : name.rfind("annual_", 0) == 0 ? "year"
                                                                     : "month";
        h5.attach(group + "/" + name, {unit_dim, time_dim});
        h5.attribute(group + "/" + name, "sign_convention", std::string(SIGN_CONVENTION));
    };
    flux("npp_mg_c", {D, M}, s.npp_mg_c, "Mg C", "net primary production of the month");
    flux("rh_mg_c", {D, M}, s.rh_mg_c, "Mg C",
         "heterotrophic (soil microbial) respiration of the month");
    flux("nep_mg_c", {D, M}, s.nep_mg_c, "Mg C", "net ecosystem production of the month");
    std::vector<double> emissions(s.nep_mg_c.size());
    for (std::size_t i = 0; i < emissions.size(); ++i) {
        emissions[i] = nep_net_emissions_mg_co2(s.nep_mg_c[i]);
    }
    flux("net_emissions_mg_co2", {D, M}, emissions, "Mg CO2",
         "net CO2 emissions of the month (-44/12 x NEP)");
    h5.dataset(group + "/invalid_area_ha", {D, M}, s.invalid_area_ha, "ha");
    h5.attribute(group + "/invalid_area_ha", "long_name",
                 std::string("area of the district without NEP that month (nodata in an input, "
                             "or a land-cover class without a CASA vegetation type)"));
    h5.attach(group + "/invalid_area_ha", {unit_dim, "month"});
    std::vector<std::string> season_name;
    std::vector<int32_t> season_year;
    for (const auto &so : sea.seasons) {
        season_name.emplace_back(models::season_name(so.season));
        season_year.push_back(so.year);
    }
    h5.dataset(group + "/season_name", season_name, "1");
    h5.attribute(group + "/season_name", "long_name", std::string("meteorological season"));
    h5.attach(group + "/season_name", {"season"});
    h5.dataset(group + "/season_year", {S}, season_year, "year");
    h5.attribute(group + "/season_year", "long_name",
                 std::string("year of the season (DJF: the year of its January; a December "
                             "belongs to the next year's winter)"));
    h5.dataset(group + "/season_months", {S}, sea.season_months, "1");
    h5.attribute(group + "/season_months", "long_name",
                 std::string("months of the run in the season (3 when whole)"));
    h5.attach(group + "/season_year", {"season"});
    h5.attach(group + "/season_months", {"season"});
    flux("season_nep_mg_c", {D, S}, sea.season_nep_mg_c, "Mg C",
         "net ecosystem production of the season (sum of its months in the run)");
    h5.dataset(group + "/year_months", {Y}, sea.year_months, "1");
    h5.attach(group + "/year_months", {"year"});
    h5.attribute(group + "/year_months", "long_name",
                 std::string("months of the run in the calendar year (12 when whole)"));
    flux("annual_nep_mg_c", {D, Y}, sea.annual_nep_mg_c, "Mg C",
         "net ecosystem production of the calendar year (sum of its months in the run)");
}

std::vector<std::string> nep_monthly_csv_columns(bool with_levels) {
    std::vector<std::string> cols = {
        "district_id", "district_name",        "month",          "npp_mg_c", "rh_mg_c",
        "nep_mg_c",    "net_emissions_mg_co2", "invalid_area_ha"};
    if (with_levels) {
        cols.emplace_back("level");
    }
    return cols;
}

void write_nep_monthly_csv(const std::string &path, const std::vector<NepSeries> &levels) {
    const std::string temp = raster::partial_path(path);
    const bool with_levels = levels.size() > 1;
    {
        errno = 0;
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw OutputError("cannot write output: " + path + ": cannot create " + temp + ": " +
                              io_cause(errno));
        }
        const auto cols = nep_monthly_csv_columns(with_levels);
        for (std::size_t c = 0; c < cols.size(); ++c) {
            out << (c ? "," : "") << cols[c];
        }
        out << "\n";
        for (const NepSeries &s : levels) {
            const std::size_t M = s.months.size();
            for (std::size_t d = 0; d < s.ids.size(); ++d) {
                for (std::size_t m = 0; m < M; ++m) {
                    const std::size_t i = d * M + m;
                    out << s.ids[d] << "," << csv_quote(s.names[d]) << "," << s.months[m].text()
                        << "," << num(s.npp_mg_c[i]) << "," << num(s.rh_mg_c[i]) << ","
                        << num(s.nep_mg_c[i]) << "," << num(nep_net_emissions_mg_co2(s.nep_mg_c[i]))
                        << "," << num(s.invalid_area_ha[i]);
                    if (with_levels) {
                        out << "," << csv_quote(s.level);
                    }
                    out << "\n";
                }
            }
        }
        out.flush();
        const int err = errno;
        if (!out) {
            out.close();
            std::remove(temp.c_str());
            throw OutputError("cannot write output: " + path + ": write failed: " + io_cause(err));
        }
    }
    commit_file(temp, path);
}

} // namespace cs::pipeline
