// District results: CSV and HDF5 writers, commit order, printed table.
#include "pipeline/outputs.hpp"

#include "models/flux.hpp"
#include "models/nep_stage.hpp"
#include "models/stages.hpp"
#include "models/stock_model.hpp"
#include "pipeline/hdf5_writer.hpp"
#include "pipeline/interrupt.hpp"
#include "pipeline/nep_outputs.hpp"
#include "pipeline/output_text.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/report.hpp"
#include "pipeline/sha256.hpp"
#include "pipeline/vector_outputs.hpp"
#include "pipeline/version.hpp"
#include "raster/raster_error.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace cs::pipeline {

namespace fs = std::filesystem;

DistrictResults results_from_totals(const DistrictTotals &t, const std::vector<int64_t> &ids,
                                    const std::vector<std::string> &names,
                                    const std::vector<int32_t> &years,
                                    const std::vector<std::string> &pools,
                                    const std::vector<int32_t> &class_codes) {
    DistrictResults r;
    const AccumDims &d = t.dims();
    r.ids = ids;
    r.names = names;
    r.years = years;
    r.pools = pools;
    if (d.classes > 0 && d.periods() > 0) {
        r.class_codes = class_codes;
    }
    const auto valid = static_cast<std::size_t>(models::PixelStatus::valid);
    const int gain_loss = d.find_series("gain_loss_mg_c_per_yr");
    std::vector<int> parts;
    for (const char *part : models::GAIN_LOSS_PART_NAMES) {
        parts.push_back(d.find_series(models::gain_loss_part_series(part)));
    }
    for (std::size_t i = 0; i < d.districts; ++i) {
        r.area_ha.push_back(t.value(i, d.area()));
        for (std::size_t e = 0; e < d.epochs; ++e) {
            double total = 0.0;
            for (std::size_t p = 0; p < d.pools; ++p) {
                const double v = t.value(i, d.stock(e, p));
                r.stock_mg_c.push_back(v);
                total += v;
            }
            r.total_mg_c.push_back(total);
            double invalid = 0.0;
            for (std::size_t s = 0; s < d.statuses; ++s) {
                if (s != valid) {
                    invalid += t.value(i, d.status_area(e, s));
                }
            }
            r.valid_area_ha.push_back(t.value(i, d.status_area(e, valid)));
            r.invalid_area_ha.push_back(invalid);
        }
        for (std::size_t k = 0; k < d.periods(); ++k) {
            const double change = t.value(i, d.flux(k));
            r.stock_change_mg_c_per_yr.push_back(change);
            r.net_emissions_mg_co2_per_yr.push_back(models::net_emissions_co2(change));
            r.flux_invalid_area_ha.push_back(t.value(i, d.flux_invalid_area(k)));
            if (gain_loss >= 0) {
                r.gain_loss_mg_c_per_yr.push_back(
                    t.value(i, d.series(static_cast<std::size_t>(gain_loss), k)));
            }
        }
        for (std::size_t s = 0; s < d.series_names.size(); ++s) {
            auto &values = r.series[d.series_names[s]];
            for (std::size_t j = 0; j < d.series_lengths[s]; ++j) {
                values.push_back(t.value(i, d.series(s, j)));
            }
        }
        // The parts of the gain-loss change (flux.gain_loss with losses), [D, K] each.
        for (std::size_t j = 0; j < parts.size(); ++j) {
            if (parts[j] < 0) {
                continue;
            }
            r.gain_loss_parts_mg_c_per_yr.resize(parts.size());
            for (std::size_t k = 0; k < d.periods(); ++k) {
                r.gain_loss_parts_mg_c_per_yr[j].push_back(
                    t.value(i, d.series(static_cast<std::size_t>(parts[j]), k)));
            }
        }
        for (std::size_t k = 0; k < d.periods(); ++k) {
            for (std::size_t a = 0; a < d.classes; ++a) {
                for (std::size_t b = 0; b < d.classes; ++b) {
                    r.transitions_area_ha.push_back(t.value(i, d.transition(k, a, b)));
                }
            }
        }
    }
    return r;
}

namespace {
std::vector<int32_t> years_of(const PreparedRun &run) {
    std::vector<int32_t> years;
    for (const auto &e : run.config.epochs) {
        years.push_back(e.year);
    }
    return years;
}
} // namespace

DistrictResults district_results(const PreparedRun &run, const RunResult &result) {
    DistrictResults r = results_from_totals(*result.totals, run.district_ids, run.district_names,
                                            years_of(run), result.pool_names, result.class_codes);
    r.level = run.base_level;
    r.names_en = run.district_names_en;
    if (result.uncertainty) {
        r.uncertainty = std::make_shared<const UncertaintyResults>(
            result.uncertainty->summarise(*result.totals, run.threads));
    }
    return r;
}

std::vector<DistrictResults> all_level_results(const PreparedRun &run, const RunResult &result) {
    std::vector<DistrictResults> out;
    out.push_back(district_results(run, result));
    const std::size_t L = run.levels.size();
    // unit index of every district at every parent level, by composing the child -> unit maps
    std::vector<std::vector<uint32_t>> unit_of_district(L);
    for (std::size_t l = 0; l < L; ++l) {
        for (std::size_t d = 0; d < run.district_ids.size(); ++d) {
            const uint32_t child = l == 0 ? static_cast<uint32_t>(d) : unit_of_district[l - 1][d];
            unit_of_district[l].push_back(run.levels[l].unit_of_child[child]);
        }
    }
    auto ancestors = [&](std::size_t own_level, std::size_t unit) {
        // own_level: 0 = districts, l + 1 = parent level l
        std::vector<int64_t> a(L, std::numeric_limits<int64_t>::min());
        uint32_t idx = static_cast<uint32_t>(unit);
        for (std::size_t l = own_level; l < L; ++l) {
            idx = run.levels[l].unit_of_child[idx];
            a[l] = run.levels[l].ids[idx];
        }
        return a;
    };
    if (L > 0) {
        for (std::size_t d = 0; d < run.district_ids.size(); ++d) {
            out[0].ancestor_ids.push_back(ancestors(0, d));
        }
    }
    for (std::size_t l = 0; l < L; ++l) {
        const DistrictTotals t =
            result.totals->rollup(unit_of_district[l], run.levels[l].ids.size());
        DistrictResults r =
            results_from_totals(t, run.levels[l].ids, run.levels[l].names, years_of(run),
                                result.pool_names, result.class_codes);
        r.level = run.levels[l].name;
        if (!run.district_names_en.empty()) {
            r.names_en.assign(r.ids.size(), std::string());
        }
        if (result.uncertainty) {
            // The same draws as the districts', applied to the level's summed statistics:
            // the level's own interval, not one combined from its districts' intervals.
            r.uncertainty = std::make_shared<const UncertaintyResults>(
                result.uncertainty->summarise(t, run.threads));
        }
        for (std::size_t u = 0; u < run.levels[l].ids.size(); ++u) {
            r.ancestor_ids.push_back(ancestors(l + 1, u));
        }
        out.push_back(std::move(r));
    }
    return out;
}

std::string markup_escape(const std::string &s) {
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

std::string csv_quote(const std::string &s) {
    if (s.find_first_of(",\"\n\r") == std::string::npos) {
        return s;
    }
    std::string out = "\"";
    for (char c : s) {
        out += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return out + "\"";
}

std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6f", v);
    // Avoid "-0.000000".
    if (std::string(buf).find_first_not_of("-0.") == std::string::npos) {
        return "0.000000";
    }
    return buf;
}

/// The cause of a failed file operation from its errno.
std::string io_cause(int err) {
    if (err == 0) {
        return "unknown cause";
    }
    return std::string(std::strerror(err)) +
           (err == ENOSPC || err == EFBIG ? " (the disk or the file-size limit is full)" : "");
}

void commit_file(const std::string &temp, const std::string &final_path) {
    std::error_code ec;
    fs::rename(temp, final_path, ec);
    if (ec) {
        std::remove(temp.c_str());
        throw OutputError("cannot finish output: " + final_path +
                          ": rename failed: " + ec.message());
    }
}

std::string stamp_utc(const char *format) {
    std::time_t t = std::time(nullptr);
    if (const char *sde = std::getenv("SOURCE_DATE_EPOCH")) {
        t = static_cast<std::time_t>(std::strtoll(sde, nullptr, 10));
    }
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

std::vector<std::string> districts_csv_columns(const std::vector<DistrictResults> &levels) {
    const DistrictResults &base = levels.front();
    std::vector<std::string> cols = {"district_id", "district_name", "area_ha"};
    if (!base.names_en.empty()) {
        cols.insert(cols.begin() + 2, "district_name_en");
    }
    const std::size_t E = base.years.size();
    const bool ci = base.uncertainty != nullptr;
    const auto add = [&](const std::string &name) {
        cols.push_back(name);
        if (ci) {
            cols.push_back(name + "_ci_low");
            cols.push_back(name + "_ci_high");
        }
    };
    for (int y : base.years) {
        add("stock_mg_c_" + std::to_string(y));
    }
    for (std::size_t k = 0; k + 1 < E; ++k) {
        const std::string p =
            std::to_string(base.years[k]) + "_" + std::to_string(base.years[k + 1]);
        add("stock_change_mg_c_per_yr_" + p);
        add("net_emissions_mg_co2_per_yr_" + p);
        if (!base.gain_loss_mg_c_per_yr.empty()) {
            cols.push_back("gain_loss_mg_c_per_yr_" + p);
        }
        for (std::size_t j = 0; j < base.gain_loss_parts_mg_c_per_yr.size(); ++j) {
            cols.push_back(std::string(models::GAIN_LOSS_PART_NAMES[j]) + "_mg_c_per_yr_" + p);
        }
    }
    for (int y : base.years) {
        cols.push_back("invalid_area_ha_" + std::to_string(y));
    }
    if (levels.size() > 1) {
        cols.emplace_back("level");
        auto taken = [&](const std::string &n) {
            return std::find(cols.begin(), cols.end(), n) != cols.end();
        };
        for (std::size_t l = 1; l < levels.size(); ++l) {
            std::string name = levels[l].level + "_id";
            if (taken(name)) {
                name = "parent_" + name; // e.g. a parent level named "district"
            }
            for (int k = 2; taken(name); ++k) {
                name = "parent_" + levels[l].level + "_id_" + std::to_string(k);
            }
            cols.push_back(name);
        }
    }
    return cols;
}

void write_districts_csv(const std::string &path, const std::vector<DistrictResults> &levels) {
    const std::string temp = raster::partial_path(path);
    const DistrictResults &base = levels.front();
    const bool hierarchy = levels.size() > 1;
    {
        errno = 0;
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw OutputError("cannot write output: " + path + ": cannot create " + temp + ": " +
                              io_cause(errno));
        }
        const std::size_t E = base.years.size();
        const std::size_t K = E > 0 ? E - 1 : 0;
        const auto columns = districts_csv_columns(levels);
        for (std::size_t c = 0; c < columns.size(); ++c) {
            out << (c ? "," : "") << csv_quote(columns[c]);
        }
        out << "\n";
        for (const DistrictResults &r : levels) {
            for (std::size_t i = 0; i < r.ids.size(); ++i) {
                out << r.ids[i] << "," << csv_quote(r.names[i]);
                if (!base.names_en.empty()) {
                    out << "," << csv_quote(i < r.names_en.size() ? r.names_en[i] : std::string());
                }
                out << "," << num(r.area_ha[i]);
                const UncertaintyResults *u = r.uncertainty.get();
                const auto interval = [&](const FigureIntervals *fi, std::size_t j) {
                    if (fi != nullptr) {
                        out << "," << num(fi->ci_low[j]) << "," << num(fi->ci_high[j]);
                    }
                };
                for (std::size_t e = 0; e < E; ++e) {
                    out << "," << num(r.total_mg_c[i * E + e]);
                    interval(u ? &u->total_mg_c : nullptr, i * E + e);
                }
                for (std::size_t k = 0; k < K; ++k) {
                    out << "," << num(r.stock_change_mg_c_per_yr[i * K + k]);
                    interval(u ? &u->stock_change_mg_c_per_yr : nullptr, i * K + k);
                    out << "," << num(r.net_emissions_mg_co2_per_yr[i * K + k]);
                    interval(u ? &u->net_emissions_mg_co2_per_yr : nullptr, i * K + k);
                    if (!r.gain_loss_mg_c_per_yr.empty()) {
                        out << "," << num(r.gain_loss_mg_c_per_yr[i * K + k]);
                    }
                    for (const auto &part : r.gain_loss_parts_mg_c_per_yr) {
                        out << "," << num(part[i * K + k]);
                    }
                }
                for (std::size_t e = 0; e < E; ++e) {
                    out << "," << num(r.invalid_area_ha[i * E + e]);
                }
                if (hierarchy) {
                    out << "," << csv_quote(r.level);
                    for (int64_t a : r.ancestor_ids[i]) {
                        out << ",";
                        if (a != std::numeric_limits<int64_t>::min()) {
                            out << a;
                        }
                    }
                }
                out << "\n";
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

void write_transitions_csv(const std::string &path, const DistrictResults &r) {
    const std::string temp = raster::partial_path(path);
    {
        errno = 0;
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw OutputError("cannot write output: " + path + ": cannot create " + temp + ": " +
                              io_cause(errno));
        }
        out << "district_id,start_year,end_year,from_class,to_class,area_ha\n";
        const std::size_t C = r.class_codes.size();
        const std::size_t K = r.years.empty() ? 0 : r.years.size() - 1;
        for (std::size_t d = 0; d < r.ids.size(); ++d) {
            for (std::size_t k = 0; k < K; ++k) {
                for (std::size_t i = 0; i < C; ++i) {
                    for (std::size_t j = 0; j < C; ++j) {
                        const double a = r.transitions_area_ha[((d * K + k) * C + i) * C + j];
                        if (a > 0.0) {
                            out << r.ids[d] << "," << r.years[k] << "," << r.years[k + 1] << ","
                                << r.class_codes[i] << "," << r.class_codes[j] << "," << num(a)
                                << "\n";
                        }
                    }
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

/// "flux.stock_difference", or which pools take which method with flux.gain_loss.
static std::string sink_model_description(const PreparedRun &run, const RunResult &result) {
    if (!run.flux_model) {
        return "flux." + run.config.sink_method;
    }
    std::string gl, sd;
    for (std::size_t p = 0; p < result.pool_names.size(); ++p) {
        std::string &l = run.gain_loss_pool[p] ? gl : sd;
        l += (l.empty() ? "" : ", ") + result.pool_names[p];
    }
    // The losses of forest remaining forest (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14), if any.
    std::string losses;
    for (const auto &[layer, name] :
         {std::pair{"harvest_volume", "wood removals"}, std::pair{"fuelwood_volume", "fuelwood"},
          std::pair{"fuelwood_parts_volume", "fuelwood parts"},
          std::pair{"disturbed_fraction", "disturbance"}}) {
        if (run.layer_index(layer) >= 0) {
            losses += (losses.empty() ? "; losses: " : ", ") + std::string(name);
        }
    }
    return "flux.gain_loss (" + run.config.flux_growth + " growth; pools " + gl + losses + ")" +
           (sd.empty() ? "" : " + flux." + run.config.sink_method + " (pools " + sd + ")");
}

namespace {

/// The NEP series of one level (models/nep_stage.hpp names them).
NepSeries nep_series(const PreparedRun &run, const DistrictResults &r) {
    NepSeries s;
    s.level = r.level;
    s.ids = r.ids;
    s.names = r.names;
    s.months = run.config.nep.months;
    auto take = [&](const char *name, std::vector<double> &out) {
        const auto it = r.series.find(name);
        if (it == r.series.end() || it->second.size() != s.ids.size() * s.months.size()) {
            throw OutputError("cannot write output: the district series " + std::string(name) +
                              " is missing (internal error)");
        }
        out = it->second;
    };
    take(models::NEP_SERIES_NPP, s.npp_mg_c);
    take(models::NEP_SERIES_RH, s.rh_mg_c);
    take(models::NEP_SERIES_NEP, s.nep_mg_c);
    take(models::NEP_SERIES_INVALID, s.invalid_area_ha);
    return s;
}

} // namespace

namespace {

/// The coordinate values of the dimensions of one level's figures. results.h5 names every axis
/// through HDF5 dimension scales (interface.md "Outputs people open"); netCDF-4 readers (xarray
/// with h5netcdf) take a dimension's name from its scale dataset's name and xarray takes the
/// coordinates of one group only, so each group gets its own copy of the scales it uses
/// (Hdf5Writer::scale).
struct Coords {
    std::string unit_dim = "district"; ///< "district" for districts, "unit" for a level's units
    std::vector<int64_t> unit_ids;
    std::vector<int32_t> years;
    std::vector<std::string> pools;
    std::vector<std::string> periods; ///< "2000-2010"
    std::vector<int32_t> class_codes;
    std::vector<std::string> parent_levels;
    std::vector<int32_t> months;      ///< yyyymm (uncertainty of the seasonal model)
    std::vector<int32_t> nep_years;   ///< calendar years of the NEP series
    std::vector<std::string> seasons; ///< "DJF 2001", in /nep/season_name order
};

Coords coords_of(const DistrictResults &r, const std::string &unit_dim,
                 const std::vector<std::string> &parent_levels) {
    Coords c;
    c.unit_dim = unit_dim;
    c.unit_ids = r.ids;
    c.years = r.years;
    c.pools = r.pools;
    for (std::size_t k = 0; k + 1 < r.years.size(); ++k) {
        c.periods.push_back(std::to_string(r.years[k]) + "-" + std::to_string(r.years[k + 1]));
    }
    c.class_codes = r.class_codes;
    c.parent_levels = parent_levels;
    return c;
}

/// Write the scale datasets `<group>/<dim>` of `dims` (each once per group).
void write_scales(Hdf5Writer &h5, const std::string &group, const Coords &c,
                  const std::vector<std::string> &dims) {
    for (const std::string &dim : dims) {
        const std::string path = group + "/" + dim;
        std::string long_name;
        if (dim == "district" || dim == "unit") {
            h5.dataset(path, {c.unit_ids.size()}, c.unit_ids, "1");
            long_name = dim == "district" ? "district id (districts.csv district_id)"
                                          : "id of the unit of this hierarchy level";
        } else if (dim == "epoch") {
            h5.dataset(path, {c.years.size()}, c.years, "year");
            long_name = "year of the land-cover epoch";
        } else if (dim == "pool") {
            h5.dataset(path, c.pools, "1");
            long_name = "carbon pool";
        } else if (dim == "period") {
            h5.dataset(path, c.periods, "1");
            long_name = "period between consecutive epochs, start_year-end_year";
        } else if (dim == "class_from" || dim == "class_to") {
            h5.dataset(path, {c.class_codes.size()}, c.class_codes, "1");
            long_name = dim == "class_from" ? "land-cover class code at the period's start_year"
                                            : "land-cover class code at the period's end_year";
        } else if (dim == "parent_level") {
            h5.dataset(path, c.parent_levels, "1");
            long_name = "hierarchy level of the parent (the levels above the districts)";
        } else if (dim == "month") {
            h5.dataset(path, {c.months.size()}, c.months, "yyyymm");
            long_name = "month of the run";
        } else if (dim == "year") {
            h5.dataset(path, {c.nep_years.size()}, c.nep_years, "year");
            long_name = "calendar year";
        } else if (dim == "season") {
            h5.dataset(path, c.seasons, "1");
            long_name = "meteorological season and its year (DJF: the year of its January)";
        } else {
            throw OutputError("cannot write results: unknown dimension " + dim + " in " + group +
                              " (internal error: report it)");
        }
        h5.attribute(path, "long_name", long_name);
        h5.scale(path);
    }
}

/// Name the axes of the variable `path` and describe it (CF long_name).
void describe(Hdf5Writer &h5, const std::string &path, const std::vector<std::string> &dims,
              const std::string &long_name) {
    h5.attach(path, dims);
    h5.attribute(path, "long_name", long_name);
}

} // namespace

/// `<parent>/gain_loss/<part>_mg_c_per_yr` [units, K] with flux.gain_loss losses.
static void write_gain_loss_parts(Hdf5Writer &h5, const std::string &parent,
                                  const DistrictResults &r, uint64_t units, uint64_t periods,
                                  const Coords &c) {
    if (r.gain_loss_parts_mg_c_per_yr.empty()) {
        return;
    }
    static constexpr const char *DESCRIPTIONS[] = {
        "growth of forest remaining forest, G_TOTAL x CF (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.9, 2.10)",
        "carbon of the wood removals, moved out of the live-biomass pools (Eq. 2.12)",
        "carbon of the fuelwood removals, moved out of the live-biomass pools (Eq. 2.13)",
        // Parenthesised: one element written on two lines (clang's -Wstring-concatenation).
        ("carbon of the live biomass lost to disturbance, moved out of the live-biomass pools "
         "(Eq. 2.14)"),
        "change of the gain-loss pools on land converted to or from forest (Eqs. 2.15, 2.16)"};
    const std::string g = parent + "/gain_loss";
    h5.group(g);
    write_scales(h5, g, c, {c.unit_dim, "period"});
    h5.attribute(g, "mass_balance",
                 std::string("gain_loss_mg_c_per_yr = growth + conversion - wood_removals - "
                             "fuelwood - disturbance"));
    for (std::size_t j = 0; j < r.gain_loss_parts_mg_c_per_yr.size(); ++j) {
        const std::string d = g + "/" + models::GAIN_LOSS_PART_NAMES[j] + "_mg_c_per_yr";
        h5.dataset(d, {units, periods}, r.gain_loss_parts_mg_c_per_yr[j], "Mg C/yr");
        h5.attribute(d, "description", std::string(DESCRIPTIONS[j]));
        describe(h5, d, {c.unit_dim, "period"},
                 std::string(models::GAIN_LOSS_PART_NAMES[j]) + " part of the gain-loss change");
    }
}

namespace {

/// mean, sd, ci_low, ci_high (and central) of one figure under `group` (e.g.
/// "/uncertainty/stocks/total_mg_c"), each with its units and the method.
void write_intervals(Hdf5Writer &h5, const std::string &group, const std::vector<uint64_t> &shape,
                     const FigureIntervals &fi, const std::string &units, const std::string &method,
                     const Coords &c, const std::vector<std::string> &dims) {
    h5.group(group);
    write_scales(h5, group, c, dims);
    const std::string figure = group.substr(group.rfind('/') + 1);
    struct Part {
        const char *name;
        const std::vector<double> *values;
        const char *long_name;
    };
    const Part parts[] = {
        {"central", &fi.central, "value with every parameter at its central value"},
        {"mean", &fi.mean, "mean of the Monte Carlo draws"},
        {"sd", &fi.sd, "standard deviation of the Monte Carlo draws"},
        {"ci_low", &fi.ci_low, "lower bound of the confidence interval"},
        {"ci_high", &fi.ci_high, "upper bound of the confidence interval"}};
    for (const Part &part : parts) {
        const std::string path = group + "/" + part.name;
        h5.dataset(path, shape, *part.values, units);
        h5.attribute(path, "method", method);
        describe(h5, path, dims, figure + ": " + part.long_name);
    }
}

/// The /uncertainty part of a level: stocks per epoch and pool, totals, stock change and net
/// emissions per period (interface.md "Uncertainty").
void write_uncertainty_figures(Hdf5Writer &h5, const std::string &root, const UncertaintyResults &u,
                               uint64_t D, uint64_t E, uint64_t P, uint64_t K,
                               const std::string &method, const Coords &c) {
    const std::string &U = c.unit_dim;
    h5.group(root + "/stocks");
    write_intervals(h5, root + "/stocks/mg_c", {D, E, P}, u.stock_mg_c, "Mg C", method, c,
                    {U, "epoch", "pool"});
    write_intervals(h5, root + "/stocks/total_mg_c", {D, E}, u.total_mg_c, "Mg C", method, c,
                    {U, "epoch"});
    h5.group(root + "/flux");
    write_intervals(h5, root + "/flux/stock_change_mg_c_per_yr", {D, K}, u.stock_change_mg_c_per_yr,
                    "Mg C/yr", method, c, {U, "period"});
    write_intervals(h5, root + "/flux/net_emissions_mg_co2_per_yr", {D, K},
                    u.net_emissions_mg_co2_per_yr, "Mg CO2/yr", method, c, {U, "period"});
    if (!u.month_series.empty()) {
        // The monthly series of the seasonal model (mirroring /nep), and the annual NEP.
        h5.group(root + "/nep");
        for (std::size_t s = 0; s < u.month_series.size(); ++s) {
            const std::string &name = u.month_series[s];
            if (name.size() > 3 && name.compare(name.size() - 3, 3, "_ha") == 0) {
                continue; // an area (the pixel-months without a value), not a carbon figure
            }
            const auto M =
                static_cast<uint64_t>(u.month_intervals[s].mean.size() / std::max<uint64_t>(D, 1));
            write_intervals(h5, root + "/nep/" + u.month_series[s], {D, M}, u.month_intervals[s],
                            "Mg C", method, c, {U, "month"});
        }
        if (!u.nep_years.empty()) {
            const auto Y = static_cast<uint64_t>(u.nep_years.size());
            write_intervals(h5, root + "/nep/annual_nep_mg_c", {D, Y}, u.annual_nep_mg_c, "Mg C",
                            method, c, {U, "year"});
            h5.dataset(root + "/nep/year", {Y},
                       std::vector<int32_t>(u.nep_years.begin(), u.nep_years.end()), "year");
            h5.attribute(root + "/nep/year", "long_name", std::string("calendar year"));
            h5.scale(root + "/nep/year");
            // Seasons as /nep/season_name orders them (models::seasons_of).
            write_intervals(h5, root + "/nep/season_nep_mg_c",
                            {D, static_cast<uint64_t>(u.nep_seasons)}, u.season_nep_mg_c, "Mg C",
                            method, c, {U, "season"});
        }
    }
}

std::string uncertainty_method_text(const UncertaintySetup &u) {
    char conf[32];
    std::snprintf(conf, sizeof conf, "%g", u.confidence * 100.0);
    if (u.method == models::UncertaintyMethod::monte_carlo) {
        return "Monte Carlo (IPCC 2006 Vol. 1 Ch. 3 Approach 2): " + std::to_string(u.draws) +
               " draws, seed " + std::to_string(u.seed) +
               ", one draw per parameter shared by every pixel and district; mean and sample "
               "sd of the draws, " +
               conf + " % interval from their quantiles";
    }
    return std::string("error propagation (IPCC 2006 Vol. 1 Ch. 3 Approach 1): first order at "
                       "the central values, parameters independent; mean = the result, ") +
           conf + " % interval = result -/+ z sd";
}

/// /uncertainty/area_adjusted/<year>: the Olofsson et al. (2014) estimate of each epoch with a
/// land-cover accuracy.
void write_area_estimates(Hdf5Writer &h5, const std::vector<EpochAreaEstimate> &estimates) {
    h5.group("/uncertainty/area_adjusted");
    h5.attribute("/uncertainty/area_adjusted", "description",
                 std::string("area-adjusted class areas of the whole grid from a sample error "
                             "matrix: stratified estimator of Olofsson et al. 2014, Remote "
                             "Sensing of Environment 148:42-57 (strata = map classes)"));
    for (const auto &est : estimates) {
        const models::AreaEstimate &a = est.estimate;
        const std::string g = "/uncertainty/area_adjusted/" + std::to_string(est.year);
        const auto C = static_cast<uint64_t>(a.codes.size());
        h5.group(g);
        h5.attribute(g, "error_matrix", est.where);
        h5.dataset(g + "/class_code", {C}, a.codes, "1");
        h5.attribute(g + "/class_code", "long_name", std::string("land-cover class code"));
        h5.scale(g + "/class_code");
        h5.dataset(g + "/mapped_ha", {C}, a.mapped_ha, "ha");
        describe(h5, g + "/mapped_ha", {"class_code"}, "mapped area of the class");
        h5.dataset(g + "/adjusted_ha", {C}, a.adjusted_ha, "ha");
        describe(h5, g + "/adjusted_ha", {"class_code"}, "error-adjusted area of the class");
        h5.dataset(g + "/se_ha", {C}, a.se_ha, "ha");
        describe(h5, g + "/se_ha", {"class_code"}, "standard error of the adjusted area");
        h5.dataset(g + "/ci_low_ha", {C}, a.ci_low_ha, "ha");
        describe(h5, g + "/ci_low_ha", {"class_code"},
                 "lower bound of the adjusted area's confidence interval");
        h5.dataset(g + "/ci_high_ha", {C}, a.ci_high_ha, "ha");
        describe(h5, g + "/ci_high_ha", {"class_code"},
                 "upper bound of the adjusted area's confidence interval");
        h5.dataset(g + "/users_accuracy", {C}, a.users_accuracy, "1");
        describe(h5, g + "/users_accuracy", {"class_code"}, "user's accuracy of the class");
        h5.dataset(g + "/producers_accuracy", {C}, a.producers_accuracy, "1");
        describe(h5, g + "/producers_accuracy", {"class_code"}, "producer's accuracy of the class");
        h5.attribute(g, "overall_accuracy", std::vector<double>{a.overall_accuracy});
    }
}

void write_uncertainty_parameters(Hdf5Writer &h5,
                                  const std::vector<models::UncertainParameter> &parameters,
                                  const std::vector<uint32_t> &used) {
    const auto N = static_cast<uint64_t>(used.size());
    std::vector<std::string> name, unit, dist, source, status;
    std::vector<double> central, mean, sd, low, high, mode;
    for (const uint32_t q : used) {
        const models::UncertainParameter &p = parameters[q];
        name.push_back(p.name);
        unit.push_back(p.unit);
        dist.emplace_back(models::distribution_name(p.pdf.kind));
        source.push_back(p.source);
        status.push_back(p.status);
        central.push_back(p.central);
        mean.push_back(p.pdf.mean);
        sd.push_back(models::pdf_sd(p));
        low.push_back(p.pdf.low);
        high.push_back(p.pdf.high);
        mode.push_back(p.pdf.mode);
    }
    const std::string g = "/uncertainty/parameters";
    h5.group(g);
    h5.attribute(g, "description",
                 std::string("the uncertain parameters the districts' figures use: value the "
                             "run uses (central), distribution and its fields (mean, sd; low, "
                             "high, mode where the distribution has them; sd is that of the "
                             "distribution, truncation included), and the source of each"));
    h5.dataset(g + "/parameter", name, "1");
    h5.attribute(g + "/parameter", "long_name", std::string("name of the uncertain parameter"));
    h5.scale(g + "/parameter");
    h5.dataset(g + "/name", name, "1");
    describe(h5, g + "/name", {"parameter"}, "name of the parameter");
    h5.dataset(g + "/unit", unit, "1");
    describe(h5, g + "/unit", {"parameter"}, "unit of the parameter");
    h5.dataset(g + "/central", {N}, central, "the parameter's unit");
    describe(h5, g + "/central", {"parameter"}, "value the run uses");
    h5.dataset(g + "/distribution", dist, "1");
    describe(h5, g + "/distribution", {"parameter"}, "probability distribution");
    h5.dataset(g + "/mean", {N}, mean, "the parameter's unit");
    describe(h5, g + "/mean", {"parameter"}, "mean of the distribution");
    h5.dataset(g + "/sd", {N}, sd, "the parameter's unit");
    describe(h5, g + "/sd", {"parameter"}, "standard deviation of the distribution");
    h5.dataset(g + "/low", {N}, low, "the parameter's unit");
    describe(h5, g + "/low", {"parameter"}, "lower bound of the distribution");
    h5.dataset(g + "/high", {N}, high, "the parameter's unit");
    describe(h5, g + "/high", {"parameter"}, "upper bound of the distribution");
    h5.dataset(g + "/mode", {N}, mode, "the parameter's unit");
    describe(h5, g + "/mode", {"parameter"}, "mode of the distribution");
    h5.dataset(g + "/source", source, "1");
    describe(h5, g + "/source", {"parameter"}, "source of the parameter and its distribution");
    h5.dataset(g + "/status", status, "1");
    describe(h5, g + "/status", {"parameter"}, "verification status of the parameter");
}

} // namespace

void write_results_h5(const std::string &path, const PreparedRun &run, const RunResult &result,
                      const std::vector<DistrictResults> &levels) {
    const DistrictResults &r = levels.front();
    const std::string temp = raster::partial_path(path);
    const auto D = static_cast<uint64_t>(r.ids.size());
    const auto E = static_cast<uint64_t>(r.years.size());
    const auto P = static_cast<uint64_t>(r.pools.size());
    const uint64_t K = E > 0 ? E - 1 : 0;
    // Every input file with the size and SHA-256 of what the run read (provenance.hpp).
    if (result.input_sha256.size() != run.inputs.size()) {
        throw OutputError("cannot write output: " + path +
                          ": the checksums of the inputs are "
                          "missing (internal error)");
    }
    std::vector<std::string> roles, paths;
    const std::vector<std::string> &sums = result.input_sha256;
    std::vector<int64_t> sizes;
    for (const auto &in : run.inputs) {
        roles.push_back(in.role);
        paths.push_back(in.path);
        sizes.push_back(in.identity.size);
    }
    try {
        Hdf5Writer h5(temp);
        h5.attribute("/", "config", run.config.config_text);
        h5.attribute("/", "config_path", run.config.config_path);
        h5.attribute("/", "run_name", run.config.name);
        h5.attribute("/", "software_version", std::string(SOFTWARE_VERSION));
        h5.attribute("/", "created_utc", stamp_utc("%Y-%m-%dT%H:%M:%SZ"));
        h5.attribute("/", "input_roles", roles);
        h5.attribute("/", "input_files", paths);
        h5.attribute("/", "input_sizes_bytes", sizes);
        h5.attribute("/", "input_sha256", sums);
        h5.attribute("/", "crs_wkt", run.grid.crs_wkt);
        h5.attribute(
            "/", "geotransform",
            std::vector<double>(run.grid.geotransform.begin(), run.grid.geotransform.end()));
        h5.attribute("/", "grid_size", std::vector<int64_t>{run.grid.width, run.grid.height});
        h5.attribute("/", "pixel_area_method", run.pixel_area->method());
        h5.attribute("/", "district_assignment", run.coverage_method);
        h5.attribute("/", "stock_model", run.stock_model->name());
        h5.attribute("/", "sink_model", sink_model_description(run, result));
        if (run.dom_model) {
            h5.attribute("/", "dom_model",
                         run.dom_model->name() + " (" +
                             (run.config.dom_climate_zone
                                  ? std::string("climate domain from models.dom.climate_zone")
                                  : "climate_domain " + run.config.dom_climate_domain) +
                             ")");
            if (const auto rows = run.dom_model->rows_used(); !rows.empty()) {
                h5.attribute("/", "dom_fraction_rows", rows);
            }
        }
        h5.attribute("/", "sign_convention",
                     std::string("stock change > 0 = uptake (sink); net emissions = -44/12 x "
                                 "stock change, < 0 = net removal (inventory convention)"));

        std::vector<std::string> parent_levels;
        for (std::size_t l = 1; l < levels.size(); ++l) {
            parent_levels.push_back(levels[l].level);
        }
        const Coords c = coords_of(r, "district", parent_levels);
        h5.group("/districts");
        write_scales(h5, "/districts", c, {"district"});
        h5.dataset("/districts/id", {D}, r.ids, "1");
        describe(h5, "/districts/id", {"district"}, "district id");
        h5.dataset("/districts/name", r.names, "1");
        describe(h5, "/districts/name", {"district"}, "district name");
        if (!r.names_en.empty()) {
            h5.dataset("/districts/name_en", r.names_en, "1");
            describe(h5, "/districts/name_en", {"district"},
                     "district name in the second language (districts.name_field_en)");
        }
        h5.dataset("/districts/area_ha", {D}, r.area_ha, "ha");
        describe(h5, "/districts/area_ha", {"district"}, "area of the district on the grid");
        h5.group("/epochs");
        write_scales(h5, "/epochs", c, {"epoch"});
        h5.dataset("/epochs/year", {E}, r.years, "year");
        describe(h5, "/epochs/year", {"epoch"}, "year of the land-cover epoch");
        h5.group("/pools");
        write_scales(h5, "/pools", c, {"pool"});
        h5.dataset("/pools/name", r.pools, "1");
        describe(h5, "/pools/name", {"pool"}, "carbon pool");
        h5.group("/stocks");
        write_scales(h5, "/stocks", c, {"district", "epoch", "pool"});
        h5.dataset("/stocks/mg_c", {D, E, P}, r.stock_mg_c, "Mg C");
        describe(h5, "/stocks/mg_c", {"district", "epoch", "pool"}, "carbon stock of the pool");
        h5.dataset("/stocks/total_mg_c", {D, E}, r.total_mg_c, "Mg C");
        describe(h5, "/stocks/total_mg_c", {"district", "epoch"}, "carbon stock of all pools");
        h5.dataset("/stocks/valid_area_ha", {D, E}, r.valid_area_ha, "ha");
        describe(h5, "/stocks/valid_area_ha", {"district", "epoch"},
                 "area with a valid stock in the epoch");
        h5.dataset("/stocks/invalid_area_ha", {D, E}, r.invalid_area_ha, "ha");
        describe(h5, "/stocks/invalid_area_ha", {"district", "epoch"},
                 "area without a valid stock in the epoch");
        h5.group("/periods");
        write_scales(h5, "/periods", c, {"period"});
        std::vector<int32_t> start, end;
        for (uint64_t k = 0; k < K; ++k) {
            start.push_back(r.years[k]);
            end.push_back(r.years[k + 1]);
        }
        h5.dataset("/periods/start_year", {K}, start, "year");
        h5.dataset("/periods/end_year", {K}, end, "year");
        describe(h5, "/periods/start_year", {"period"}, "first epoch year of the period");
        describe(h5, "/periods/end_year", {"period"}, "last epoch year of the period");
        h5.group("/flux");
        write_scales(h5, "/flux", c, {"district", "period"});
        h5.dataset("/flux/stock_change_mg_c_per_yr", {D, K}, r.stock_change_mg_c_per_yr, "Mg C/yr");
        h5.attribute("/flux/stock_change_mg_c_per_yr", "sign_convention",
                     std::string("positive = uptake (sink)"));
        h5.dataset("/flux/net_emissions_mg_co2_per_yr", {D, K}, r.net_emissions_mg_co2_per_yr,
                   "Mg CO2/yr");
        h5.attribute("/flux/net_emissions_mg_co2_per_yr", "sign_convention",
                     std::string("negative = net removal (inventory convention)"));
        h5.dataset("/flux/invalid_area_ha", {D, K}, r.flux_invalid_area_ha, "ha");
        describe(h5, "/flux/stock_change_mg_c_per_yr", {"district", "period"},
                 "annual carbon stock change");
        describe(h5, "/flux/net_emissions_mg_co2_per_yr", {"district", "period"},
                 "annual net CO2 emissions");
        describe(h5, "/flux/invalid_area_ha", {"district", "period"},
                 "area without a valid stock change in the period");
        if (!r.gain_loss_mg_c_per_yr.empty()) {
            h5.dataset("/flux/gain_loss_mg_c_per_yr", {D, K}, r.gain_loss_mg_c_per_yr, "Mg C/yr");
            h5.attribute("/flux/gain_loss_mg_c_per_yr", "description",
                         std::string("part of stock_change_mg_c_per_yr estimated by gain-loss "
                                     "(IPCC 2006 Vol. 4 Ch. 2 Eq. 2.7) for its pools; the rest is "
                                     "the stock difference of the other pools"));
            describe(h5, "/flux/gain_loss_mg_c_per_yr", {"district", "period"},
                     "part of the stock change estimated by gain-loss");
        }
        write_gain_loss_parts(h5, "/flux", r, D, K, c);

        const uint64_t C = r.class_codes.size();
        if (C > 0) {
            h5.group("/transitions");
            write_scales(h5, "/transitions", c, {"district", "period", "class_from", "class_to"});
            h5.dataset("/transitions/class_code", {C}, r.class_codes, "1");
            describe(h5, "/transitions/class_code", {"class_from"}, "land-cover class code");
            h5.dataset("/transitions/area_ha", {D, K, C, C}, r.transitions_area_ha, "ha");
            describe(h5, "/transitions/area_ha", {"district", "period", "class_from", "class_to"},
                     "area that changed from class_from to class_to in the period");
            h5.attribute("/transitions/area_ha", "description",
                         std::string("area that was class_code[i] at start_year and "
                                     "class_code[j] at end_year, per district and period "
                                     "(coverage-weighted, pixels valid in both epochs)"));
        }
        if (run.config.nep.present) {
            write_nep_group(h5, "/nep", nep_series(run, r));
        }
        if (levels.size() > 1) {
            const auto L = static_cast<uint64_t>(levels.size() - 1);
            std::vector<std::string> level_names;
            for (const auto &lv : levels) {
                level_names.push_back(lv.level);
            }
            h5.group("/levels");
            h5.dataset("/levels/level", level_names, "1");
            h5.attribute("/levels/level", "long_name", std::string("hierarchy level"));
            h5.scale("/levels/level");
            h5.dataset("/levels/name", level_names, "1");
            describe(h5, "/levels/name", {"level"}, "hierarchy level, the districts first");
            std::vector<int64_t> parent_ids;
            for (const auto &a : r.ancestor_ids) {
                parent_ids.insert(parent_ids.end(), a.begin(), a.end());
            }
            write_scales(h5, "/districts", c, {"parent_level"});
            h5.dataset("/districts/parent_id", {D, L}, parent_ids, "1");
            describe(h5, "/districts/parent_id", {"district", "parent_level"},
                     "id of the unit of each upper level that contains the district");
            for (std::size_t l = 1; l < levels.size(); ++l) {
                const DistrictResults &u = levels[l];
                const std::string g = "/levels/" + u.level;
                const auto U = static_cast<uint64_t>(u.ids.size());
                h5.group(g);
                const Coords uc = coords_of(u, "unit", parent_levels);
                std::vector<std::string> scales = {"unit", "epoch", "pool", "period",
                                                   "parent_level"};
                if (C > 0) {
                    scales.insert(scales.end(), {"class_from", "class_to"});
                }
                write_scales(h5, g, uc, scales);
                h5.dataset(g + "/id", {U}, u.ids, "1");
                h5.dataset(g + "/name", u.names, "1");
                h5.dataset(g + "/area_ha", {U}, u.area_ha, "ha");
                h5.dataset(g + "/stocks_mg_c", {U, E, P}, u.stock_mg_c, "Mg C");
                h5.dataset(g + "/total_mg_c", {U, E}, u.total_mg_c, "Mg C");
                h5.dataset(g + "/invalid_area_ha", {U, E}, u.invalid_area_ha, "ha");
                h5.dataset(g + "/stock_change_mg_c_per_yr", {U, K}, u.stock_change_mg_c_per_yr,
                           "Mg C/yr");
                h5.dataset(g + "/net_emissions_mg_co2_per_yr", {U, K},
                           u.net_emissions_mg_co2_per_yr, "Mg CO2/yr");
                if (!u.gain_loss_mg_c_per_yr.empty()) {
                    h5.dataset(g + "/gain_loss_mg_c_per_yr", {U, K}, u.gain_loss_mg_c_per_yr,
                               "Mg C/yr");
                }
                write_gain_loss_parts(h5, g, u, U, K, uc);
                if (C > 0) {
                    h5.dataset(g + "/transitions_area_ha", {U, K, C, C}, u.transitions_area_ha,
                               "ha");
                }
                std::vector<int64_t> anc;
                for (const auto &a : u.ancestor_ids) {
                    anc.insert(anc.end(), a.begin(), a.end());
                }
                h5.dataset(g + "/parent_id", {U, L}, anc, "1");
                describe(h5, g + "/id", {"unit"}, "id of the unit");
                describe(h5, g + "/name", {"unit"}, "name of the unit");
                describe(h5, g + "/area_ha", {"unit"}, "area of the unit on the grid");
                describe(h5, g + "/stocks_mg_c", {"unit", "epoch", "pool"},
                         "carbon stock of the pool");
                describe(h5, g + "/total_mg_c", {"unit", "epoch"}, "carbon stock of all pools");
                describe(h5, g + "/invalid_area_ha", {"unit", "epoch"},
                         "area without a valid stock in the epoch");
                describe(h5, g + "/stock_change_mg_c_per_yr", {"unit", "period"},
                         "annual carbon stock change");
                describe(h5, g + "/net_emissions_mg_co2_per_yr", {"unit", "period"},
                         "annual net CO2 emissions");
                if (!u.gain_loss_mg_c_per_yr.empty()) {
                    describe(h5, g + "/gain_loss_mg_c_per_yr", {"unit", "period"},
                             "part of the stock change estimated by gain-loss");
                }
                if (C > 0) {
                    describe(h5, g + "/transitions_area_ha",
                             {"unit", "period", "class_from", "class_to"},
                             "area that changed from class_from to class_to in the period");
                }
                describe(h5, g + "/parent_id", {"unit", "parent_level"},
                         "id of the unit of each upper level that contains this unit");
                if (run.config.nep.present) {
                    write_nep_group(h5, g + "/nep", nep_series(run, u), "unit");
                }
            }
        }

        if (r.uncertainty && run.uncertainty) {
            const UncertaintySetup &u = *run.uncertainty;
            const std::string method = uncertainty_method_text(u);
            h5.group("/uncertainty");
            h5.attribute("/uncertainty", "method", method);
            h5.attribute("/uncertainty", "draws",
                         std::vector<int64_t>{static_cast<int64_t>(u.draws)});
            h5.attribute("/uncertainty", "seed", std::to_string(u.seed));
            h5.attribute("/uncertainty", "confidence", std::vector<double>{u.confidence});
            // The month, year and season coordinates of the seasonal model's intervals, as
            // /nep orders them (models::seasons_of, models::years_of).
            Coords uc = c;
            std::vector<models::SeasonOfYear> seasons;
            std::vector<int> season_of_month, years_of_months, year_of_month;
            models::seasons_of(u.month_list, seasons, season_of_month);
            models::years_of(u.month_list, years_of_months, year_of_month);
            for (const auto &m : u.month_list) {
                uc.months.push_back(m.yyyymm());
            }
            uc.nep_years.assign(years_of_months.begin(), years_of_months.end());
            for (const auto &so : seasons) {
                uc.seasons.push_back(std::string(models::season_name(so.season)) + " " +
                                     std::to_string(so.year));
            }
            write_uncertainty_figures(h5, "/uncertainty", *r.uncertainty, D, E, P, K, method, uc);
            if (levels.size() > 1) {
                h5.group("/uncertainty/levels");
                for (std::size_t l = 1; l < levels.size(); ++l) {
                    const DistrictResults &lv = levels[l];
                    const std::string g = "/uncertainty/levels/" + lv.level;
                    h5.group(g);
                    Coords lc = coords_of(lv, "unit", parent_levels);
                    lc.months = uc.months;
                    lc.nep_years = uc.nep_years;
                    lc.seasons = uc.seasons;
                    write_uncertainty_figures(h5, g, *lv.uncertainty,
                                              static_cast<uint64_t>(lv.ids.size()), E, P, K, method,
                                              lc);
                }
            }
            write_uncertainty_parameters(h5, result.uncertainty->parameters(),
                                         result.uncertain_parameters_used);
            if (!result.area_estimates.empty()) {
                write_area_estimates(h5, result.area_estimates);
            }
        }
        h5.group("/provenance");
        std::vector<std::string> status_names;
        for (int s = 0; s < models::PIXEL_STATUS_COUNT; ++s) {
            status_names.emplace_back(
                models::pixel_status_name(static_cast<models::PixelStatus>(s)));
        }
        h5.dataset("/provenance/pixel_status", status_names, "1");
        h5.attribute("/provenance/pixel_status", "long_name",
                     std::string("pixel status (science.md: why a pixel has no value)"));
        h5.scale("/provenance/pixel_status");
        write_scales(h5, "/provenance", c, {"epoch"});
        h5.dataset("/provenance/pixel_status_name", status_names, "1");
        describe(h5, "/provenance/pixel_status_name", {"pixel_status"}, "pixel status");
        // Lists that may be empty are datasets: GDAL 3.6 crashes on an empty string attribute.
        std::vector<std::string> warnings = run.warnings;
        warnings.insert(warnings.end(), result.warnings.begin(), result.warnings.end());
        h5.dataset("/provenance/warnings", warnings, "1");
        h5.dataset("/provenance/unverified_parameters", result.unverified_used, "1");
        // Lists of their own: each is its own dimension (a coordinate of strings).
        h5.attribute("/provenance/warnings", "long_name", std::string("warnings of the run"));
        h5.scale("/provenance/warnings");
        h5.attribute("/provenance/unverified_parameters", "long_name",
                     std::string("parameters the run used whose value is not verified"));
        h5.scale("/provenance/unverified_parameters");
        std::vector<int64_t> counts;
        for (uint64_t e = 0; e < E; ++e) {
            for (int s = 0; s < models::PIXEL_STATUS_COUNT; ++s) {
                counts.push_back(result.totals->status_pixels(e, static_cast<std::size_t>(s)));
            }
        }
        h5.dataset("/provenance/pixel_status_count",
                   {E, static_cast<uint64_t>(models::PIXEL_STATUS_COUNT)}, counts, "pixels");
        describe(h5, "/provenance/pixel_status_count", {"epoch", "pixel_status"},
                 "pixels of each status in the epoch");
        h5.close();
    } catch (...) {
        std::remove(temp.c_str());
        throw;
    }
    commit_file(temp, path);
}

void write_outputs(const PreparedRun &run, RunResult &result, const std::string &staging_dir) {
    for (auto &r : result.rasters) {
        try {
            r->commit();
        } catch (const raster::RasterError &e) {
            throw OutputError(e.what());
        }
    }
    const std::vector<DistrictResults> levels = all_level_results(run, result);
    write_districts_csv((fs::path(staging_dir) / "districts.csv").string(), levels);
    if (!levels.front().class_codes.empty()) {
        write_transitions_csv((fs::path(staging_dir) / "transitions.csv").string(), levels.front());
    }
    write_vector_outputs(run, levels, staging_dir); // districts.csvt, .gpkg, .xlsx
    if (run.config.nep.present) {
        std::vector<NepSeries> nep;
        for (const auto &l : levels) {
            nep.push_back(nep_series(run, l));
        }
        write_nep_monthly_csv((fs::path(staging_dir) / "nep_monthly.csv").string(), nep);
    }
    if (failpoint("kill_before_results") >= 0) {
        std::raise(SIGKILL); // crash-test failpoint (interrupt.hpp)
    }
    if (run.config.write_report) {
        report::write_report(run, result, levels, staging_dir); // reads the rasters committed above
    }
    write_results_h5((fs::path(staging_dir) / "results.h5").string(), run, result, levels);
}

namespace {

/// Decode the UTF-8 character at s[i]; sets `len` to its byte length. Invalid bytes decode as
/// U+FFFD one byte at a time, so a cut never lands inside a character.
char32_t decode_utf8(const std::string &s, std::size_t i, std::size_t &len) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
    if (n < 0 || i + static_cast<std::size_t>(n) >= s.size() + (n == 0 ? 1 : 0)) {
        len = 1;
        return n == 0 ? b : 0xFFFD;
    }
    char32_t c = n == 0 ? b : n == 1 ? (b & 0x1F) : n == 2 ? (b & 0x0F) : (b & 0x07);
    for (int k = 1; k <= n; ++k) {
        const auto cb = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((cb >> 6) != 0x2) {
            len = 1;
            return 0xFFFD;
        }
        c = (c << 6) | (cb & 0x3F);
    }
    len = static_cast<std::size_t>(n) + 1;
    return c;
}

/// Terminal columns a character takes: 0 for combining marks and zero-width characters, 2 for
/// East Asian wide and fullwidth characters (Unicode UAX #11 W and F ranges; CJK ideographs,
/// Hangul, kana, fullwidth forms), 1 otherwise.
int char_width(char32_t c) {
    if ((c >= 0x0300 && c <= 0x036F) || (c >= 0x200B && c <= 0x200F) || c == 0xFEFF ||
        (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0x20D0 && c <= 0x20FF)) {
        return 0;
    }
    if ((c >= 0x1100 && c <= 0x115F) || (c >= 0x2E80 && c <= 0x303E) ||
        (c >= 0x3041 && c <= 0x33FF) || (c >= 0x3400 && c <= 0x4DBF) ||
        (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA000 && c <= 0xA4CF) ||
        (c >= 0xAC00 && c <= 0xD7A3) || (c >= 0xF900 && c <= 0xFAFF) ||
        (c >= 0xFE30 && c <= 0xFE4F) || (c >= 0xFF00 && c <= 0xFF60) ||
        (c >= 0xFFE0 && c <= 0xFFE6) || (c >= 0x1F300 && c <= 0x1F64F) ||
        (c >= 0x1F900 && c <= 0x1F9FF) || (c >= 0x20000 && c <= 0x3FFFD)) {
        return 2;
    }
    return 1;
}

/// `s` fitted to exactly `width` terminal columns: control characters (a newline or tab in a
/// name) shown as a space, cut at a character boundary with "~" when too wide, padded with
/// spaces on the right.
std::string fit_columns(const std::string &s, int width) {
    struct Piece {
        std::string text;
        int width;
    };
    std::vector<Piece> pieces;
    int total = 0;
    for (std::size_t i = 0; i < s.size();) {
        std::size_t len = 0;
        const char32_t c = decode_utf8(s, i, len);
        if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == 0x2028 || c == 0x2029) {
            pieces.push_back({" ", 1});
        } else if (c == 0xFFFD && len == 1) {
            pieces.push_back({"\xEF\xBF\xBD", 1}); // a byte that is not UTF-8, shown as U+FFFD
        } else {
            pieces.push_back({s.substr(i, len), char_width(c)});
        }
        total += pieces.back().width;
        i += len;
    }
    std::string out;
    int used = 0;
    const int room = total <= width ? width : width - 1; // keep a column for the "~" marker
    for (const auto &p : pieces) {
        if (used + p.width > room) {
            break;
        }
        out += p.text;
        used += p.width;
    }
    if (total > width) {
        out += "~";
        ++used;
    }
    out.append(static_cast<std::size_t>(std::max(0, width - used)), ' ');
    return out;
}

} // namespace

std::string format_district_table(const DistrictResults &r) {
    std::ostringstream out;
    const std::size_t E = r.years.size();
    const std::size_t K = E > 0 ? E - 1 : 0;
    constexpr int NAME_COLUMNS = 22;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-10s ", "id");
    out << buf << fit_columns("name", NAME_COLUMNS);
    std::snprintf(buf, sizeof buf, " %12s", "area_ha");
    out << buf;
    for (int y : r.years) {
        std::snprintf(buf, sizeof buf, " %16s", ("stock_Mg_C_" + std::to_string(y)).c_str());
        out << buf;
    }
    for (std::size_t k = 0; k < K; ++k) {
        // Full years: "2001-2015", never "1-15".
        std::snprintf(
            buf, sizeof buf, " %24s",
            ("change_Mg_C/yr_" + std::to_string(r.years[k]) + "-" + std::to_string(r.years[k + 1]))
                .c_str());
        out << buf;
    }
    out << "\n";
    for (std::size_t i = 0; i < r.ids.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%-10lld ", static_cast<long long>(r.ids[i]));
        out << buf << fit_columns(r.names[i], NAME_COLUMNS);
        std::snprintf(buf, sizeof buf, " %12.2f", r.area_ha[i]);
        out << buf;
        for (std::size_t e = 0; e < E; ++e) {
            std::snprintf(buf, sizeof buf, " %16.1f", r.total_mg_c[i * E + e]);
            out << buf;
        }
        for (std::size_t k = 0; k < K; ++k) {
            std::snprintf(buf, sizeof buf, " %24.1f", r.stock_change_mg_c_per_yr[i * K + k]);
            out << buf;
        }
        out << "\n";
    }
    if (r.uncertainty) {
        // The same columns as intervals: low .. high of each figure.
        const UncertaintyResults &u = *r.uncertainty;
        out << "\n" << u.label << " (low .. high):\n";
        std::snprintf(buf, sizeof buf, "%-10s ", "id");
        out << buf << fit_columns("name", NAME_COLUMNS);
        for (int y : r.years) {
            std::snprintf(buf, sizeof buf, " %25s", ("stock_Mg_C_" + std::to_string(y)).c_str());
            out << buf;
        }
        for (std::size_t k = 0; k < K; ++k) {
            std::snprintf(buf, sizeof buf, " %25s",
                          ("change_Mg_C/yr_" + std::to_string(r.years[k]) + "-" +
                           std::to_string(r.years[k + 1]))
                              .c_str());
            out << buf;
        }
        out << "\n";
        for (std::size_t i = 0; i < r.ids.size(); ++i) {
            std::snprintf(buf, sizeof buf, "%-10lld ", static_cast<long long>(r.ids[i]));
            out << buf << fit_columns(r.names[i], NAME_COLUMNS);
            for (std::size_t e = 0; e < E; ++e) {
                std::snprintf(buf, sizeof buf, " %11.1f .. %-10.1f", u.total_mg_c.ci_low[i * E + e],
                              u.total_mg_c.ci_high[i * E + e]);
                out << buf;
            }
            std::string line;
            for (std::size_t k = 0; k < K; ++k) {
                std::snprintf(buf, sizeof buf, " %11.1f .. %-10.1f",
                              u.stock_change_mg_c_per_yr.ci_low[i * K + k],
                              u.stock_change_mg_c_per_yr.ci_high[i * K + k]);
                line += buf;
            }
            line.erase(line.find_last_not_of(' ') + 1); // no trailing blanks
            out << line << "\n";
        }
    }
    return out.str();
}

namespace {
/// A value that prints as "-0.0" with one decimal prints as "0.0".
double no_negative_zero(double v) { return std::fabs(v) < 0.05 ? 0.0 : v; }
} // namespace

std::string format_nep_table(const PreparedRun &run, const DistrictResults &r) {
    return format_nep_table(nep_series(run, r));
}

std::string format_nep_table(const NepSeries &series) {
    const NepSeries &r = series;
    const NepSeasonal sea = nep_seasonal(series);
    const std::size_t S = sea.seasons.size();
    const std::size_t Y = sea.years.size();
    std::ostringstream out;
    constexpr int NAME_COLUMNS = 22;
    char buf[256];
    out << "NEP, Mg C (> 0 = sink; seasons of the last year, then each calendar year; a season or "
           "year the months cover in part is marked *)\n";
    std::snprintf(buf, sizeof buf, "%-10s ", "id");
    out << buf << fit_columns("name", NAME_COLUMNS);
    // The seasons whose year is the last year the run touches, then every year.
    std::vector<std::size_t> shown;
    for (std::size_t k = 0; k < S; ++k) {
        if (sea.seasons[k].year == sea.years.back()) {
            shown.push_back(k);
        }
    }
    for (std::size_t k : shown) {
        const std::string label = std::string(models::season_name(sea.seasons[k].season)) + "_" +
                                  std::to_string(sea.seasons[k].year) +
                                  (sea.season_months[k] < 3 ? "*" : "");
        std::snprintf(buf, sizeof buf, " %12s", label.c_str());
        out << buf;
    }
    for (std::size_t y = 0; y < Y; ++y) {
        const std::string label =
            "year_" + std::to_string(sea.years[y]) + (sea.year_months[y] < 12 ? "*" : "");
        std::snprintf(buf, sizeof buf, " %12s", label.c_str());
        out << buf;
    }
    out << "\n";
    for (std::size_t i = 0; i < r.ids.size(); ++i) {
        std::snprintf(buf, sizeof buf, "%-10lld ", static_cast<long long>(r.ids[i]));
        out << buf << fit_columns(r.names[i], NAME_COLUMNS);
        for (std::size_t k : shown) {
            std::snprintf(buf, sizeof buf, " %12.1f",
                          no_negative_zero(sea.season_nep_mg_c[i * S + k]));
            out << buf;
        }
        for (std::size_t y = 0; y < Y; ++y) {
            std::snprintf(buf, sizeof buf, " %12.1f",
                          no_negative_zero(sea.annual_nep_mg_c[i * Y + y]));
            out << buf;
        }
        out << "\n";
    }
    return out.str();
}

} // namespace cs::pipeline
