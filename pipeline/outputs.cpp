// District results: CSV and HDF5 writers, commit order, printed table.
#include "pipeline/outputs.hpp"

#include "models/flux.hpp"
#include "models/stock_model.hpp"
#include "pipeline/hdf5_writer.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/sha256.hpp"
#include "pipeline/version.hpp"
#include "raster/raster_error.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cs::pipeline {

namespace fs = std::filesystem;

DistrictResults district_results(const PreparedRun &run, const RunResult &result) {
    DistrictResults r;
    const AccumDims &d = result.dims;
    const auto &t = *result.totals;
    r.ids = run.district_ids;
    r.names = run.district_names;
    for (const auto &e : run.config.epochs) {
        r.years.push_back(e.year);
    }
    r.pools = result.pool_names;
    const auto valid = static_cast<std::size_t>(models::PixelStatus::valid);
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
        }
    }
    return r;
}

namespace {

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

void commit_file(const std::string &temp, const std::string &final_path) {
    std::error_code ec;
    fs::rename(temp, final_path, ec);
    if (ec) {
        std::remove(temp.c_str());
        throw OutputError("cannot finish output: " + final_path +
                          ": rename failed: " + ec.message());
    }
}

std::string utc_now() {
    std::time_t t = std::time(nullptr);
    if (const char *sde = std::getenv("SOURCE_DATE_EPOCH")) {
        t = static_cast<std::time_t>(std::strtoll(sde, nullptr, 10));
    }
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

} // namespace

void write_districts_csv(const std::string &path, const DistrictResults &r) {
    const std::string temp = raster::partial_path(path);
    {
        std::ofstream out(temp, std::ios::binary | std::ios::trunc);
        if (!out) {
            throw OutputError("cannot write output: " + path + ": cannot create " + temp);
        }
        const std::size_t E = r.years.size();
        const std::size_t K = E > 0 ? E - 1 : 0;
        out << "district_id,district_name,area_ha";
        for (int y : r.years) {
            out << ",stock_mg_c_" << y;
        }
        for (std::size_t k = 0; k < K; ++k) {
            out << ",stock_change_mg_c_per_yr_" << r.years[k] << "_" << r.years[k + 1];
            out << ",net_emissions_mg_co2_per_yr_" << r.years[k] << "_" << r.years[k + 1];
        }
        for (int y : r.years) {
            out << ",invalid_area_ha_" << y;
        }
        out << "\n";
        for (std::size_t i = 0; i < r.ids.size(); ++i) {
            out << r.ids[i] << "," << csv_quote(r.names[i]) << "," << num(r.area_ha[i]);
            for (std::size_t e = 0; e < E; ++e) {
                out << "," << num(r.total_mg_c[i * E + e]);
            }
            for (std::size_t k = 0; k < K; ++k) {
                out << "," << num(r.stock_change_mg_c_per_yr[i * K + k]) << ","
                    << num(r.net_emissions_mg_co2_per_yr[i * K + k]);
            }
            for (std::size_t e = 0; e < E; ++e) {
                out << "," << num(r.invalid_area_ha[i * E + e]);
            }
            out << "\n";
        }
        out.flush();
        if (!out) {
            out.close();
            std::remove(temp.c_str());
            throw OutputError("cannot write output: " + path + ": write failed (disk full?)");
        }
    }
    commit_file(temp, path);
}

void write_results_h5(const std::string &path, const PreparedRun &run, const RunResult &result,
                      const DistrictResults &r) {
    const std::string temp = raster::partial_path(path);
    const auto D = static_cast<uint64_t>(r.ids.size());
    const auto E = static_cast<uint64_t>(r.years.size());
    const auto P = static_cast<uint64_t>(r.pools.size());
    const uint64_t K = E > 0 ? E - 1 : 0;
    // Checksums of every input, for the provenance.
    std::vector<std::string> roles, paths, sums;
    std::vector<int64_t> sizes;
    for (const auto &in : run.inputs) {
        uint64_t size = 0;
        roles.push_back(in.role);
        paths.push_back(in.path);
        sums.push_back(sha256_file(in.path, size));
        sizes.push_back(static_cast<int64_t>(size));
    }
    try {
        Hdf5Writer h5(temp);
        h5.attribute("/", "config", run.config.config_text);
        h5.attribute("/", "config_path", run.config.config_path);
        h5.attribute("/", "run_name", run.config.name);
        h5.attribute("/", "software_version", std::string(SOFTWARE_VERSION));
        h5.attribute("/", "created_utc", utc_now());
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
        h5.attribute("/", "district_assignment",
                     run.district_source == PreparedRun::DistrictSource::vector
                         ? std::string("pixel centre (a pixel belongs to the polygon containing "
                                       "its centre; on overlaps the larger id wins)")
                     : run.district_source == PreparedRun::DistrictSource::raster
                         ? std::string("district raster (pixel value = district id)")
                         : std::string("whole grid (one district, id 0)"));
        h5.attribute("/", "stock_model", run.stock_model->name());
        h5.attribute("/", "sink_model", "flux." + run.config.sink_method);
        h5.attribute("/", "sign_convention",
                     std::string("stock change > 0 = uptake (sink); net emissions = -44/12 x "
                                 "stock change, < 0 = net removal (inventory convention)"));
        h5.attribute("/", "warnings", run.warnings);

        h5.group("/districts");
        h5.dataset("/districts/id", {D}, r.ids, "1");
        h5.dataset("/districts/name", r.names, "1");
        h5.dataset("/districts/area_ha", {D}, r.area_ha, "ha");
        h5.group("/epochs");
        h5.dataset("/epochs/year", {E}, r.years, "year");
        h5.group("/pools");
        h5.dataset("/pools/name", r.pools, "1");
        h5.group("/stocks");
        h5.dataset("/stocks/mg_c", {D, E, P}, r.stock_mg_c, "Mg C");
        h5.dataset("/stocks/total_mg_c", {D, E}, r.total_mg_c, "Mg C");
        h5.dataset("/stocks/valid_area_ha", {D, E}, r.valid_area_ha, "ha");
        h5.dataset("/stocks/invalid_area_ha", {D, E}, r.invalid_area_ha, "ha");
        h5.group("/periods");
        std::vector<int32_t> start, end;
        for (uint64_t k = 0; k < K; ++k) {
            start.push_back(r.years[k]);
            end.push_back(r.years[k + 1]);
        }
        h5.dataset("/periods/start_year", {K}, start, "year");
        h5.dataset("/periods/end_year", {K}, end, "year");
        h5.group("/flux");
        h5.dataset("/flux/stock_change_mg_c_per_yr", {D, K}, r.stock_change_mg_c_per_yr, "Mg C/yr");
        h5.attribute("/flux/stock_change_mg_c_per_yr", "sign_convention",
                     std::string("positive = uptake (sink)"));
        h5.dataset("/flux/net_emissions_mg_co2_per_yr", {D, K}, r.net_emissions_mg_co2_per_yr,
                   "Mg CO2/yr");
        h5.attribute("/flux/net_emissions_mg_co2_per_yr", "sign_convention",
                     std::string("negative = net removal (inventory convention)"));
        h5.dataset("/flux/invalid_area_ha", {D, K}, r.flux_invalid_area_ha, "ha");

        h5.group("/provenance");
        std::vector<std::string> status_names;
        for (int s = 0; s < models::PIXEL_STATUS_COUNT; ++s) {
            status_names.emplace_back(
                models::pixel_status_name(static_cast<models::PixelStatus>(s)));
        }
        h5.dataset("/provenance/pixel_status_name", status_names, "1");
        std::vector<int64_t> counts;
        for (uint64_t e = 0; e < E; ++e) {
            for (int s = 0; s < models::PIXEL_STATUS_COUNT; ++s) {
                counts.push_back(result.totals->status_pixels(e, static_cast<std::size_t>(s)));
            }
        }
        h5.dataset("/provenance/pixel_status_count",
                   {E, static_cast<uint64_t>(models::PIXEL_STATUS_COUNT)}, counts, "pixels");
        h5.close();
    } catch (...) {
        std::remove(temp.c_str());
        throw;
    }
    commit_file(temp, path);
}

void write_outputs(const PreparedRun &run, RunResult &result, const std::string &output_dir) {
    for (auto &r : result.rasters) {
        try {
            r->commit();
        } catch (const raster::RasterError &e) {
            throw OutputError(e.what());
        }
    }
    const DistrictResults r = district_results(run, result);
    write_districts_csv((fs::path(output_dir) / "districts.csv").string(), r);
    write_results_h5((fs::path(output_dir) / "results.h5").string(), run, result, r);
}

std::string format_district_table(const DistrictResults &r) {
    std::ostringstream out;
    const std::size_t E = r.years.size();
    const std::size_t K = E > 0 ? E - 1 : 0;
    char buf[256];
    std::snprintf(buf, sizeof buf, "%-10s %-22s %12s", "id", "name", "area_ha");
    out << buf;
    for (int y : r.years) {
        std::snprintf(buf, sizeof buf, " %16s", ("stock_Mg_C_" + std::to_string(y)).c_str());
        out << buf;
    }
    for (std::size_t k = 0; k < K; ++k) {
        std::snprintf(buf, sizeof buf, " %20s",
                      ("change_Mg_C/yr_" + std::to_string(r.years[k] % 100) + "-" +
                       std::to_string(r.years[k + 1] % 100))
                          .c_str());
        out << buf;
    }
    out << "\n";
    for (std::size_t i = 0; i < r.ids.size(); ++i) {
        std::string name = r.names[i];
        if (name.size() > 22) {
            name = name.substr(0, 21) + "~";
        }
        std::snprintf(buf, sizeof buf, "%-10lld %-22s %12.2f", static_cast<long long>(r.ids[i]),
                      name.c_str(), r.area_ha[i]);
        out << buf;
        for (std::size_t e = 0; e < E; ++e) {
            std::snprintf(buf, sizeof buf, " %16.1f", r.total_mg_c[i * E + e]);
            out << buf;
        }
        for (std::size_t k = 0; k < K; ++k) {
            std::snprintf(buf, sizeof buf, " %20.1f", r.stock_change_mg_c_per_yr[i * K + k]);
            out << buf;
        }
        out << "\n";
    }
    return out.str();
}

} // namespace cs::pipeline
