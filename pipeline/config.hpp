// The run configuration (YAML): schema, parsing and checks that need no input file.
#pragma once
#include "models/months.hpp"
#include "models/uncertainty.hpp"
#include "pipeline/problems.hpp"

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cs::pipeline {

struct EpochSpec {
    int year = 0;
    std::string path; ///< resolved against the config directory
    std::string path_as_written;
    int line = 0;
};

/// An extra input raster of a model (e.g. the AGB maps of stocks.agb_raster).
struct LayerSpec {
    std::string name; ///< the model's layer name, e.g. "agb"
    /// One raster per epoch, or per period for a layer its model declares per period (keys:
    /// the period's first year); false: one raster for the whole run (key 0).
    bool per_epoch = true;
    struct File {
        std::string path;
        std::string path_as_written;
        int line = 0;
        /// Per-period layers written as "<first year>-<last year>": the last year (checked
        /// against the next epoch); 0 when not written.
        int end_year = 0;
    };
    std::map<int, File> paths; ///< by epoch year (per-epoch layers), first epoch year of the
                               ///< period (per-period layers), or key 0
    /// Per-month layers: the path with {yyyy} and {mm} standing for each month's year and
    /// two-digit month, as resolved against the config's folder and as written.
    File month_pattern;
    int line = 0;
};

struct DistrictSpec {
    bool present = false;
    std::string path;
    std::string path_as_written;
    std::string layer;
    std::string id_field;
    std::string name_field;
    /// A second name field (e.g. English beside Chinese): both names go to every output.
    std::string name_field_en;
    int name_field_en_line = 0;
    int band = 1;
    int line = 0;
    std::string coverage = "exact";  ///< "exact" or "centre"
    std::string resampling = "auto"; ///< district rasters: auto, nearest or mode
    std::string level = "district";  ///< name of the districts' own level
    struct Parent {
        std::string level;
        std::string id_field;
        std::string name_field;
    };
    std::vector<Parent> parents; ///< optional hierarchy, bottom-up
    /// "china_adcode": parent levels derived from the 6-digit ids (GB/T 2260 administrative
    /// codes), instead of `parents`; "" = not used.
    std::string parents_from_code;
    int parents_from_code_line = 0;
    /// Names of the derived parent levels, bottom-up (parents_from_code).
    std::vector<std::string> parent_levels = {"city", "province"};
    int parent_levels_line = 0;
    /// Tables (a CSV with columns code,name or any OGR layer with code/adcode and name) naming
    /// the derived parent units, read in order; none = the code is the name.
    struct NameTable {
        std::string path;
        std::string path_as_written;
        int line = 0;
    };
    std::vector<NameTable> parent_names;
    /// Datum of the polygons' longitudes and latitudes: "wgs84" (as declared) or "gcj02"
    /// (Chinese web maps: converted to WGS 84 before reprojection, raster/gcj02.hpp).
    std::string datum = "wgs84";
    int datum_line = 0;
};

/// A checked configuration. Paths are absolute or relative to the working directory.
/// models.nep: monthly NPP, heterotrophic respiration and NEP (interface.md "Seasonal flux").
struct NepConfig {
    /// Longest run: 1200 months (100 years). Every month of a row is held at once (T_opt is the
    /// temperature of the year's greenest month), so memory per thread grows with the months.
    static constexpr std::size_t MAX_MONTHS = 1200;
    bool present = false;
    int line = 0;       ///< line of models.nep
    std::string method; ///< casa or npp_raster
    int method_line = 0;
    std::vector<models::YearMonth> months; ///< every month of the run, ascending
    int months_line = 0;
    std::string vegetation; ///< the land-cover class -> CASA type mapping ("" = none)
    std::string vegetation_as_written;
    int vegetation_line = 0;
    /// One monthly layer: its name (ndvi, temperature_c, ...) and path pattern holding {yyyy}
    /// and {mm}, resolved against the config's folder.
    struct Layer {
        std::string name;
        std::string pattern;
        std::string pattern_as_written;
        int line = 0;
    };
    std::vector<Layer> layers; ///< in the order of nep_layer_names(method)
};

/// The monthly layers method `method` reads: casa: ndvi, temperature_c, precipitation_mm,
/// solar_mj_per_m2, et_mm, pet_mm; npp_raster: npp_g_c_per_m2, temperature_c, precipitation_mm
/// (R_H needs temperature and precipitation with either).
std::vector<std::string> nep_layer_names(const std::string &method);

/// uncertainty (interface.md "Uncertainty"; configs/README.md): IPCC Approach 1 or 2 over the
/// parameters the chain's models declare (models/uncertainty.hpp).
struct UncertaintyConfig {
    /// Most realisations of a Monte Carlo: the draws of every parameter and monomial are held at
    /// once (8 bytes each), so 100000 draws of 1000 parameters already take 800 MB.
    static constexpr int64_t MAX_DRAWS = 100000;
    bool present = false;
    int line = 0; ///< line of `uncertainty`
    models::UncertaintyMethod method = models::UncertaintyMethod::monte_carlo;
    int method_line = 0;
    std::size_t draws = 1000;
    int draws_line = 0;
    uint64_t seed = 1; ///< the default when not given (documented)
    int seed_line = 0;
    double confidence = 0.95;
    int confidence_line = 0;
    /// uncertainty.parameters: a distribution the user gives a model parameter (by its name,
    /// e.g. "pools.csv:c_above[2]"); its mean (normal, lognormal, truncated normal) is always the
    /// value the model uses.
    struct Parameter {
        std::string name;
        models::Pdf pdf;         ///< kind and the given fields; pdf.mean is set by prepare
        bool low_given = false;  ///< truncated_normal: low given (else 0 or -inf)
        bool high_given = false; ///< truncated_normal: high given (else +inf)
        bool mode_given = false; ///< triangular: mode given (else the model's value)
        double u_pct = -1.0;     ///< given instead of sd: 95 % half-width, % of the value
        std::string source;
        int line = 0;
    };
    std::vector<Parameter> parameters;
    /// uncertainty.assume_exact: parameters the user declares exact (no uncertainty).
    struct Exact {
        std::string name;
        int line = 0;
    };
    std::vector<Exact> assume_exact;
    /// uncertainty.land_cover_accuracy: per epoch, the sample error matrix CSV.
    struct Accuracy {
        int year = 0;
        std::string path;
        std::string path_as_written;
        int line = 0;
    };
    std::vector<Accuracy> land_cover_accuracy; ///< ascending years
};

struct Config {
    std::string config_path;
    std::string config_text; ///< the file's bytes, exactly (checked to be UTF-8 text)
    /// The folder relative paths are joined to: the config file's folder as written, or "" (the
    /// current folder) for a config read from a pipe, a terminal or /dev/stdin, /dev/fd/N,
    /// /proc/<pid>/fd/N (see config_base_dir).
    std::string base_dir;
    std::string name;
    std::string output_dir;
    int output_dir_line = 0;

    std::vector<EpochSpec> epochs; ///< ascending years
    int land_cover_band = 1;
    std::string land_cover_resampling = "auto"; ///< auto, nearest or mode

    /// Reference grid handling: refuse misaligned inputs, or override the grid.
    struct GridOverride {
        bool strict = false;
        std::string crs;            ///< empty = the first epoch's CRS
        double resolution = 0.0;    ///< 0 = no override
        std::vector<double> extent; ///< xmin, ymin, xmax, ymax; empty = reference extent
        int line = 0;
    } grid;

    DistrictSpec districts;

    std::string stocks_method = "lookup";
    std::string pools_table;
    std::string pools_table_as_written;
    int pools_table_line = 0;
    std::string sink_method = "stock_difference";
    bool agb_is_carbon = false;     ///< stocks.agb_raster: map in Mg C/ha (else Mg dm/ha)
    double carbon_fraction = 0.0;   ///< stocks.agb_raster
    double root_shoot_ratio = -1.0; ///< stocks.agb_raster
    std::vector<LayerSpec> layers;  ///< model layers besides land cover
    /// The months of a run with monthly models, ascending (empty without them).
    struct YearMonth {
        int year = 0;
        int month = 0; ///< 1..12
    };
    std::vector<YearMonth> months;
    int months_line = 0;
    /// models.<section>.method of sections whose stage is built by a builder added with
    /// register_stage() (prepare.hpp) rather than one of the built-in models.
    std::map<std::string, std::string> registered_methods;
    std::vector<int32_t> forest_classes; ///< stocks.inventory: land-cover codes that are forest
    std::string crosswalk;               ///< stocks.inventory: scheme or CSV path for forest
    int crosswalk_line = 0;
    std::string forest_types; ///< stocks.inventory: the forest-types CSV
    std::string forest_types_as_written;
    int forest_types_line = 0;
    std::string soil_method; ///< "" (soil from the stock model) or ipcc_tier1
    int soil_line = 0;
    std::map<int32_t, std::string> soil_types; ///< soil raster code -> IPCC soil type
    std::string soil_management;               ///< soil-management CSV
    std::string soil_management_as_written;
    int soil_management_line = 0;
    /// models.soil.management_raster (a layer "management", one raster or one per epoch): its
    /// line, 0 when not given.
    int soil_management_raster_line = 0;
    std::string soil_management_codes; ///< the management-code CSV of the management raster
    std::string soil_management_codes_as_written;
    int soil_management_codes_line = 0;
    double soil_transition_years = 20.0; ///< IPCC default D
    std::string dom_method;              ///< "" (dead matter from the pools table) or agb_fraction
    int dom_line = 0;
    std::string dom_climate_domain; ///< tropical or temperate_or_boreal; "" with a zone raster
    bool dom_climate_zone = false;  ///< the domain of each pixel from models.dom.climate_zone
    bool dom_strata = false;        ///< models.dom.elevation and .precipitation are given

    /// models.sink.pools: pools whose change is the stock difference (empty = every pool not in
    /// flux_pools).
    std::vector<std::string> sink_pools;
    int sink_pools_line = 0;
    /// models.flux: "" (every pool by stock difference) or gain_loss.
    std::string flux_method;
    int flux_line = 0;
    std::string flux_growth;             ///< tier1 or volume_increment
    std::vector<std::string> flux_pools; ///< empty = the live-biomass pools of the stock model
    int flux_pools_line = 0;
    std::vector<int32_t> flux_forest_classes; ///< empty = stocks.inventory's forest classes
    std::string growth_table;                 ///< tier1: the growth CSV
    std::string growth_table_as_written;
    int growth_table_line = 0;
    /// Losses of forest remaining forest (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14): per-period
    /// layers "harvest_volume", "fuelwood_volume", "fuelwood_parts_volume", "disturbed_fraction",
    /// "disturbance_type" in `layers`; the user's fd table; the wood density D.
    std::string disturbance_table;
    std::string disturbance_table_as_written;
    int disturbance_table_line = 0;
    double wood_density = 0.0; ///< t d.m./m3, models.flux.wood_density (0 = not given)
    int wood_density_line = 0;

    NepConfig nep; ///< models.nep

    UncertaintyConfig uncertainty; ///< uncertainty (present = false: none)

    /// Largest processing.block_cells: a block of 2^26 cells already holds about 2 GiB of
    /// buffers per thread for two epochs and three outputs (resources.hpp), and blocks beyond
    /// 2^22 cells make no run faster.
    static constexpr int64_t MAX_BLOCK_CELLS = int64_t{1} << 26;
    int64_t block_cells = int64_t{1} << 20;
    int block_cells_line = 0; ///< 0 = the default
    int tile_size = 256;
    bool checkpoint = true; ///< per-block checkpoints for `run --resume`

    bool write_rasters = true;
    bool write_transitions = true;
    /// stock_<pool>_<year>.tif and stock_change_<pool>_<y1>_<y2>.tif per pool (with rasters).
    bool write_pool_rasters = false;
    /// Internal overviews in every GeoTIFF, laid out as a cloud-optimized GeoTIFF (raster/cog.hpp).
    bool write_overviews = true;
    bool write_method_codes = false;    ///< method_<year>.tif: which model branch per pixel
    bool write_monthly_rasters = false; ///< nep_<yyyy><mm>.tif besides the annual nep_<yyyy>.tif
    std::string compression = "DEFLATE";
    bool write_geopackage = true; ///< districts.gpkg (vector districts only)
    bool write_xlsx = true;       ///< districts.xlsx
    bool write_report = true;     ///< report.html (pipeline/report.hpp)

    /// "demo.yaml, line 7" for messages.
    std::string at(int line) const;
};

/// `path` joined to `base` the way the operating system will read it: an absolute `path` stays,
/// a relative one is appended to `base` ("" = the current folder). Only "." components and
/// repeated slashes are dropped; ".." is kept, because the system resolves it after following
/// symbolic links (with `proj` a link to /data/a/proj, `proj/../pools.csv` is
/// /data/a/pools.csv, not `pools.csv`), so the file opened is the file `cat` would show.
std::string join_os_path(const std::string &base, const std::string &path);

/// The folder a config's relative paths resolve against: the folder of `config_path` as
/// written (its symbolic links are followed by the system when the paths are opened), or ""
/// (the current folder) when the config is not a regular file (a pipe, `<(...)`, a terminal or
/// other character device, a socket) or is reached through /dev or /proc (/dev/stdin,
/// /dev/fd/N, /proc/self/fd/N): such a config has no folder of its own.
std::string config_base_dir(const std::string &config_path);

/// Problems with the encoding of a config's bytes: a UTF-16 or UTF-32 byte-order mark, a NUL
/// byte or an invalid UTF-8 sequence (with its line and column). Empty when the text is UTF-8
/// (a UTF-8 byte-order mark is allowed).
std::string describe_non_utf8_config(const std::string &text);

/// Limits of a config, checked before its YAML is loaded (a config needs far less; the limits
/// keep a mistaken or hostile file from exhausting memory or the parser's stack):
/// at most MAX_CONFIG_BYTES bytes, lists and mappings nested at most MAX_CONFIG_DEPTH deep
/// (the deepest key of a real config, models.soil.soil_types.<code>, is at depth 4), and no
/// scalar (key or value) longer than MAX_CONFIG_SCALAR_BYTES bytes (a WKT CRS for grid.crs is a
/// few kB).
inline constexpr std::size_t MAX_CONFIG_BYTES = std::size_t{1} << 20;
inline constexpr int MAX_CONFIG_DEPTH = 64;
inline constexpr std::size_t MAX_CONFIG_SCALAR_BYTES = std::size_t{1} << 16;

/// Read and check `path`. Every problem (YAML syntax, unknown keys with a suggestion, wrong
/// types, missing required keys, epochs out of order) is added to `problems`, each with its
/// line number. A file larger than MAX_CONFIG_BYTES is refused without being read. The returned
/// Config is meaningful only when problems.ok().
Config load_config(const std::string &path, Problems &problems);

/// Same as load_config, from text; `path` names the file and anchors relative paths.
Config parse_config(const std::string &text, const std::string &path, Problems &problems);

} // namespace cs::pipeline
