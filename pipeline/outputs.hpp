// Writing the district results (CSV, HDF5) and committing every output in a safe order.
#pragma once
#include "pipeline/nep_outputs.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/runner.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace cs::pipeline {

/// District results derived from the run totals, in output order (ascending district id).

struct DistrictResults {
    std::vector<int64_t> ids;
    std::vector<std::string> names;
    /// The second names (districts.name_field_en), parallel to ids; empty without them (and
    /// "" for the units of parent levels, which have none).
    std::vector<std::string> names_en;
    std::vector<int32_t> years;
    std::vector<std::string> pools;
    std::vector<double> area_ha;                     ///< [D]
    std::vector<double> stock_mg_c;                  ///< [D, E, P]
    std::vector<double> total_mg_c;                  ///< [D, E]
    std::vector<double> valid_area_ha;               ///< [D, E]
    std::vector<double> invalid_area_ha;             ///< [D, E]
    std::vector<double> stock_change_mg_c_per_yr;    ///< [D, E-1]
    std::vector<double> net_emissions_mg_co2_per_yr; ///< [D, E-1]
    std::vector<double> flux_invalid_area_ha;        ///< [D, E-1]
    /// [D, E-1]: the part of stock_change_mg_c_per_yr from the flux.gain_loss pools (empty
    /// without flux.gain_loss).
    std::vector<double> gain_loss_mg_c_per_yr;
    /// With flux.gain_loss losses: the parts of gain_loss_mg_c_per_yr, each [D, E-1], in the
    /// order of models::GAIN_LOSS_PART_NAMES (empty without losses). gain_loss = growth +
    /// conversion - wood_removals - fuelwood - disturbance; the losses are the carbon moved out of
    /// the live-biomass pools.
    std::vector<std::vector<double>> gain_loss_parts_mg_c_per_yr;
    std::vector<int32_t> class_codes;        ///< [C], empty without transitions
    std::vector<double> transitions_area_ha; ///< [D, E-1, C, C]: from class i to j
    /// Every district series the chain's stages declared, by name: [D, length] (length =
    /// epochs, periods or months of the series).
    std::map<std::string, std::vector<double>> series;
    std::string level; ///< e.g. "district", "city"
    /// Id of each unit's ancestor at every parent level ([D][L]); INT64_MIN where the level is
    /// the unit's own level or below it.
    std::vector<std::vector<int64_t>> ancestor_ids;
    /// With `uncertainty`: the intervals of the figures, from the same draws at every level.
    std::shared_ptr<const UncertaintyResults> uncertainty;
};

/// Results of the units of one level from their totals.
DistrictResults results_from_totals(const DistrictTotals &totals, const std::vector<int64_t> &ids,
                                    const std::vector<std::string> &names,
                                    const std::vector<int32_t> &years,
                                    const std::vector<std::string> &pools,
                                    const std::vector<int32_t> &class_codes);

/// The districts' results (level 0).
DistrictResults district_results(const PreparedRun &run, const RunResult &result);

/// Results of every level: the districts first, then each parent level rolled up, bottom-up.
std::vector<DistrictResults> all_level_results(const PreparedRun &run, const RunResult &result);

/// The header of districts.csv, never with a duplicate name. With parent levels, `level` and
/// one `<level>_id` column per parent level follow; a level whose `<level>_id` is already a
/// column (a parent level named `district`) gets `parent_<level>_id` (then `_2`, `_3`, ...).
std::vector<std::string> districts_csv_columns(const std::vector<DistrictResults> &levels);

/// Write districts.csv to `path` (temporary name, then rename). With more than one level, rows
/// of every level follow the districts' rows, with the columns of districts_csv_columns().
/// Throws OutputError.
void write_districts_csv(const std::string &path, const std::vector<DistrictResults> &levels);

/// Write the tidy transitions.csv (district_id, start_year, end_year, from_class, to_class,
/// area_ha) of the districts, non-zero cells only. Throws OutputError.
void write_transitions_csv(const std::string &path, const DistrictResults &r);

/// Write results.h5 to `path` (temporary name, then rename), with provenance. Throws OutputError.
void write_results_h5(const std::string &path, const PreparedRun &run, const RunResult &result,
                      const std::vector<DistrictResults> &levels);

/// Finish the rasters, then write districts.csv (and transitions.csv), then results.h5, all
/// into `staging_dir`, the run's private staging folder; OutputFolder::commit() then moves
/// them into the output folder as a set, results.h5 last.
void write_outputs(const PreparedRun &run, RunResult &result, const std::string &staging_dir);

/// The district table printed by `carbonsink run` (fixed-width text).
std::string format_district_table(const DistrictResults &r);

/// The seasonal table printed after the district table when models.nep ran: per district the
/// NEP of each season of the last year the months touch and of each calendar year, Mg C.
std::string format_nep_table(const PreparedRun &run, const DistrictResults &r);
/// The same table from the month series of the units (the CLI prints it from the API's
/// carbonsink::Results).
std::string format_nep_table(const NepSeries &series);

} // namespace cs::pipeline
