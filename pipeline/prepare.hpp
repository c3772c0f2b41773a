// Prepare: open and check every input once, before any pixel is computed.
#pragma once
#include "models/chain.hpp"
#include "models/dom_fraction.hpp"
#include "models/gain_loss.hpp"
#include "models/lookup_stock.hpp"
#include "models/soil_tier1.hpp"
#include "pipeline/config.hpp"
#include "pipeline/problems.hpp"
#include "pipeline/provenance.hpp"
#include "pipeline/resources.hpp"
#include "pipeline/uncertainty_run.hpp"
#include "raster/block_plan.hpp"
#include "raster/pixel_area.hpp"
#include "raster/raster_io.hpp"
#include "raster/vector_districts.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace cs::pipeline {

/// A private temporary directory (for warped VRTs), created on first use and removed with
/// everything in it when destroyed.
class ScratchDir {
public:
    ScratchDir() = default;
    ~ScratchDir();
    ScratchDir(const ScratchDir &) = delete;
    ScratchDir &operator=(const ScratchDir &) = delete;
    /// Path of `name` inside the directory (created if needed). Throws OutputError.
    std::string file(const std::string &name);

private:
    std::string m_path;
};

/// Everything a run needs, checked. Immutable during the compute phase (shared by threads).
struct PreparedRun {
    Config config;
    raster::GridSpec grid;
    std::vector<raster::RasterInfo> land_cover; ///< one per epoch, ascending years

    enum class DistrictSource {
        whole_grid,
        raster,
        vector
    } district_source = DistrictSource::whole_grid;
    std::optional<raster::RasterInfo> district_raster;
    std::unique_ptr<raster::VectorDistricts> district_vectors;
    std::vector<int64_t> district_ids;       ///< ascending
    std::vector<std::string> district_names; ///< parallel to ids
    /// districts.name_field_en: the second name of each district (empty vector without it).
    std::vector<std::string> district_names_en;

    /// Which districts cover each pixel and by what fraction; built once, read by every thread.
    raster::CoverageIndex coverage;
    std::string coverage_method;   ///< for the provenance
    double coverage_seconds = 0.0; ///< time to build the coverage index

    /// Parent levels of the district hierarchy, bottom-up (empty without a hierarchy).
    struct Level {
        std::string name;
        std::vector<int64_t> ids;            ///< ascending
        std::vector<std::string> names;      ///< parallel to ids
        std::vector<uint32_t> unit_of_child; ///< for each unit of the level below
    };
    std::string base_level = "district";
    std::vector<Level> levels;

    std::unique_ptr<models::StockModel> stock_model;
    /// soil.ipcc_tier1, replacing the stock model's soil pool (null without models.soil).
    std::unique_ptr<models::SoilTier1Model> soil_model;
    std::size_t soil_pool = 0; ///< index of "soil" in the stock model's pools
    /// dom.agb_fraction, replacing dead wood and litter of the pixels with AGB (null without
    /// models.dom).
    std::unique_ptr<models::DomFractionModel> dom_model;
    /// flux.gain_loss (null: every pool's change is its stock difference).
    std::unique_ptr<models::GainLossModel> flux_model;
    std::shared_ptr<const models::Tier1GrowthTable> flux_growth_table; ///< rows flux_model uses
    std::vector<uint8_t> gain_loss_pool; ///< per pool: 1 when its change is gain-loss

    /// The model chain (models/chain.hpp) built by build_chain(): the stock model's stage
    /// first, then one stage per configured model in the order of the stage registry. The
    /// runner reads, calls and sums by these declarations alone.
    std::vector<std::unique_ptr<models::Stage>> chain;
    /// `uncertainty` (pipeline/uncertainty_run.hpp): null without it.
    std::unique_ptr<UncertaintySetup> uncertainty;
    /// Rasters of every declared layer, deduplicated by name (the first declaration opens it):
    /// one for the run, or one per epoch, period or month (LayerDecl::axis).
    std::vector<std::vector<raster::RasterInfo>> layers;
    /// Parallel to `layers`: the declaration that opened each, with its resolved axis (once or
    /// epoch for an either_form layer, as the config gives it).
    std::vector<models::LayerDecl> layer_decls;
    /// Declared names whose rasters are those of a layer declared before under another name
    /// (the same files, axis and resampling kind): read once per block, shared by both.
    std::vector<std::pair<std::string, int>> layer_aliases;
    /// Per stage of `chain`: index into `layers` of each of its layers() (-1 for an optional
    /// layer the config does not give).
    std::vector<std::vector<int>> stage_layers;
    /// The months of the run (config.months), each with the epoch whose land cover it uses:
    /// the latest epoch at or before its year, or the first epoch for a month before it.
    struct Month {
        int year = 0;
        int month = 0;
        std::size_t epoch = 0;
    };
    std::vector<Month> months;
    /// Index into `layers` of the layer named `name` (or aliased to it), or -1.
    int layer_index(const std::string &name) const;
    std::unique_ptr<raster::PixelArea> pixel_area;
    std::unique_ptr<raster::BlockPlan> block_plan;
    /// Every file the run reads, with its identity when prepare opened it: each input, then
    /// the side files GDAL reads with it (raster::dataset_files).
    std::vector<InputFile> inputs;
    ScratchDir scratch; ///< warped VRTs of inputs not on the grid
    std::vector<std::string> warnings;
    /// Unverified rows of class-level tables other than the stock model's own (e.g. the rows of a
    /// land-cover crosswalk), by land-cover code; warned for the codes valid pixels used.
    std::map<int32_t, std::vector<std::string>> class_unverified;
    /// No error in the land-cover inputs, the grid and the block plan (checks that need only
    /// these, e.g. validate's class-code scan, can run though other inputs are bad).
    bool land_cover_ok = false;
    int threads = 1;
    /// The memory the run implies (resources.hpp) and the machine's limit it was checked
    /// against; threads = 0 when it could not be estimated (an earlier error).
    MemoryEstimate memory;
    MemoryLimit memory_limit;
};

/// What a stage builder gets: the run as prepared so far (grid, land cover, the stock model and
/// the stages before it) and the problem list for its errors.
struct StageContext {
    PreparedRun &run;
    Problems &problems;
};
/// Builds the stage of one `models.<section>` block; returns null (with an error added) when
/// it cannot.
using StageBuilder = std::function<std::unique_ptr<models::Stage>(StageContext &)>;
/// Add a builder for `models.<section>.method: <method>` (config.registered_methods), run after
/// the built-in models in registration order. For models wired outside prepare.cpp and tests;
/// call before prepare_run.
void register_stage(const std::string &section, const std::string &method, StageBuilder builder);

/// The land-cover epoch of a month: the latest epoch at or before `year`, or the first epoch
/// when every epoch is later (`epoch_years` ascending, not empty).
std::size_t epoch_of_month(const std::vector<int> &epoch_years, int year);

/// A per-month layer's path: `pattern` with every {yyyy} replaced by the year and every {mm}
/// by the two-digit month.
std::string month_path(const std::string &pattern, int year, int month);

/// Build a PreparedRun from a checked config: open every raster, compare grids, read tables and
/// districts, check the output directory. Every problem is added to `problems`, in one pass:
/// a check is skipped only when an input it depends on failed. Returns null when there is any
/// error, unless `keep_on_error` (validate: the partial run still serves the class-code scan
/// when `land_cover_ok`). `threads` (>= 1) is used for the district-raster id scan. Throws
/// RasterError when a raster that opened cannot be read (an I/O failure, exit 1).
std::unique_ptr<PreparedRun> prepare_run(const Config &config, int threads, Problems &problems,
                                         bool keep_on_error = false);

/// For a config with errors (so that prepare_run cannot run): report every input file the
/// config names that does not exist or cannot be read, with its config line, so that one
/// `validate` lists config and file problems together.
void check_config_files(const Config &config, Problems &problems);

/// "volume/2015 (data/vol2015.tif, band 1)": the place of a raster input in messages, naming
/// the file the user gave (not the warped VRT that stands in for it).
std::string input_where(const PreparedRun &run, const raster::RasterInfo &info);

/// Output file names a run writes into output_dir (for overwrite checks and cleanup). The pool
/// rasters (outputs.pool_rasters) are listed for the stock model's `pool_names` when given.
std::vector<std::string> output_file_names(const Config &config,
                                           const std::vector<std::string> &pool_names = {});

} // namespace cs::pipeline
