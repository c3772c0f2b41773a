// Typed parameter tables (configs/parameters/*.csv) with per-row provenance and lookups.
//
// Every loader parses CSV *text* (the pipeline reads the file) and appends each problem it finds
// to `errors` as "<where>, line N: <why>" (the caller prefixes what failed, e.g.
// "invalid parameter table: "); a table is usable only when no error was added. Every row
// carries `source`, `status` and its 1-based `line`. Lookups never throw and never allocate:
// they return a pointer (nullptr when absent), or a value with a `found` flag.
//
// Class intervals (growing stock, AGB, elevation, precipitation) are half-open (lower, upper]:
// a value x is in a class when lower < x <= upper, and x = 0 also belongs to a class whose lower
// bound is 0. This is the rule of the code the tables come from (xapple/forest_puller
// `lower < x <= upper` for Tables 4.4/4.5; wri/carbon-budget `<= 2000`, `> 1000 & <= 1600` for
// the CDM AR-TOOL12 dead wood/litter fractions). Bounds may be written INF (upper) or -INF
// (lower). A value in no class (a gap, below the first class, NaN) is "not found".
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cs::models {

/// True when `status` marks a value that must not be used as a default before it is checked:
/// it starts with "U" (unverified; also "[U]") or contains "PLACEHOLDER" (both case-insensitive,
/// leading spaces ignored). V, V2, V2-single, V2-conflict and V2-weak are not unverified. Same
/// rule as is_unverified_status() of the pools table.
bool is_unverified(const std::string &status);

/// True when x lies in the class (lower, upper], or x == 0 == lower (see the file comment).
inline bool in_class(double x, double lower, double upper) {
    return (x > lower || (x == 0.0 && lower == 0.0)) && x <= upper;
}

/// Where a row comes from: the citation, its status tag (V, V2, V2-single, V2-conflict,
/// V2-weak, U, PLACEHOLDER; see configs/parameters/README.md) and its 1-based line in the CSV.
struct RowProvenance {
    std::string source;
    std::string status;
    int line = 0;
};

/// A run of rows [begin, end) sharing a two-part key, in a table of classed rows.
struct ClassGroup {
    std::string key1;
    std::string key2;
    std::size_t begin = 0;
    std::size_t end = 0;
};

// ---------------------------------------------------------------------------------------------
// China continuous BEF, B = aV + b (science.md §4; configs/parameters/china_cbef.csv)

/// One forest type: B (t d.m./ha, total tree biomass INCLUDING roots) = a V + b.
struct CbefRow : RowProvenance {
    std::string forest_type; ///< stable snake_case key
    std::string forest_type_zh;
    std::string forest_type_en;
    double a_t_per_m3 = 0.0;      ///< t d.m. per m3 of stand volume, > 0
    double b_t_per_ha = 0.0;      ///< t d.m./ha, intercept
    double carbon_fraction = 0.0; ///< CF in (0, 1], a per-row choice
};

struct CbefTable {
    std::vector<CbefRow> rows; ///< sorted by forest_type
    /// The row of `forest_type`, or nullptr.
    const CbefRow *find(std::string_view forest_type) const noexcept;
};

/// Columns: forest_type, forest_type_zh, forest_type_en, a_t_per_m3 (> 0), b_t_per_ha,
/// carbon_fraction (0 < CF <= 1), source, status; others are ignored.
CbefTable parse_cbef_table(const std::string &text, const std::string &where,
                           std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// IPCC 2006 Vol. 4 Ch. 4 Table 4.5 BCEF by growing-stock class (configs/parameters/ipcc_bcef.csv)

struct BcefRow : RowProvenance {
    std::string climate_domain; ///< boreal, temperate, mediterranean
    std::string forest_type;    ///< e.g. pines, hardwoods, other_conifers
    double gs_lower_m3_per_ha = 0.0;
    double gs_upper_m3_per_ha = 0.0; ///< may be +inf
    double bcef_s = 0.0;             ///< t d.m. AGB per m3 growing stock (stocks)
    double bcef_i = 0.0;             ///< t d.m. AGB growth per m3 net increment
    double bcef_r = 0.0;             ///< t d.m. AGB per m3 removals
};

struct BcefTable {
    std::vector<BcefRow> rows;      ///< sorted by (climate_domain, forest_type, lower bound)
    std::vector<ClassGroup> groups; ///< one per (climate_domain, forest_type), sorted
    /// Index of the (domain, forest type) group in `groups`, or -1.
    int group(std::string_view climate_domain, std::string_view forest_type) const noexcept;
    /// The row of group `g` whose growing-stock class holds `volume_m3_per_ha`, or nullptr.
    const BcefRow *find(int g, double volume_m3_per_ha) const noexcept;
    const BcefRow *find(std::string_view climate_domain, std::string_view forest_type,
                        double volume_m3_per_ha) const noexcept;
    /// BCEF_S for stocks at this growing stock; 0 and found = false when absent.
    double bcef_s(std::string_view climate_domain, std::string_view forest_type,
                  double volume_m3_per_ha, bool &found) const noexcept;
    /// BCEF_I for net increment, classed by the growing stock (Table 4.5).
    double bcef_i(std::string_view climate_domain, std::string_view forest_type,
                  double volume_m3_per_ha, bool &found) const noexcept;
    /// BCEF_R for removals, classed by the growing stock (Table 4.5).
    double bcef_r(std::string_view climate_domain, std::string_view forest_type,
                  double volume_m3_per_ha, bool &found) const noexcept;
};

/// Columns: climate_domain, forest_type, gs_lower_m3_per_ha (>= 0), gs_upper_m3_per_ha (> lower,
/// INF allowed), bcef_s, bcef_i, bcef_r (> 0), source, status. Classes of one (domain, type)
/// must not overlap.
BcefTable parse_bcef_table(const std::string &text, const std::string &where,
                           std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// IPCC 2006 Vol. 4 Ch. 4 Table 4.4 root:shoot ratio by AGB class (ipcc_root_shoot.csv)

struct RootShootRow : RowProvenance {
    std::string climate_zone;        ///< subtropical_dry, temperate, boreal
    std::string forest_type;         ///< conifer, broadleaf, other_broadleaf, quercus, eucalyptus
    double agb_lower_t_per_ha = 0.0; ///< t d.m./ha
    double agb_upper_t_per_ha = 0.0; ///< t d.m./ha, may be +inf
    double ratio = 0.0;              ///< R = BGB / AGB, >= 0
};

struct RootShootTable {
    std::vector<RootShootRow> rows; ///< sorted by (climate_zone, forest_type, lower bound)
    std::vector<ClassGroup> groups;
    int group(std::string_view climate_zone, std::string_view forest_type) const noexcept;
    const RootShootRow *find(int g, double agb_t_dm_per_ha) const noexcept;
    const RootShootRow *find(std::string_view climate_zone, std::string_view forest_type,
                             double agb_t_dm_per_ha) const noexcept;
    /// R for the AGB class holding `agb_t_dm_per_ha`; 0 and found = false when absent.
    double ratio(std::string_view climate_zone, std::string_view forest_type,
                 double agb_t_dm_per_ha, bool &found) const noexcept;
};

/// Columns: climate_zone, forest_type, agb_lower_t_per_ha (>= 0), agb_upper_t_per_ha (> lower,
/// INF allowed), ratio (>= 0), source, status. Classes of one (zone, type) must not overlap.
RootShootTable parse_root_shoot_table(const std::string &text, const std::string &where,
                                      std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// Dead wood and litter as fractions of AGB, CDM AR-TOOL12 (science.md §2.5; dom_fractions.csv)

struct DomRow : RowProvenance {
    std::string climate_domain; ///< tropical, temperate, boreal
    double elevation_lower_m = 0.0;
    double elevation_upper_m = 0.0;
    double precip_lower_mm_per_yr = 0.0;
    double precip_upper_mm_per_yr = 0.0;
    double deadwood_fraction_of_agb = 0.0; ///< t d.m. dead wood per t d.m. AGB
    double litter_fraction_of_agb = 0.0;   ///< t d.m. litter per t d.m. AGB
    double deadwood_carbon_fraction = 0.0; ///< CF of dead wood
    double litter_carbon_fraction = 0.0;   ///< CF of litter
};

struct DomTable {
    std::vector<DomRow> rows; ///< sorted by (climate_domain, line)
    /// The row of `climate_domain` whose elevation and precipitation classes hold the inputs,
    /// or nullptr.
    const DomRow *find(std::string_view climate_domain, double elevation_m,
                       double precip_mm_per_yr) const noexcept;
};

/// Columns: climate_domain, elevation_lower_m, elevation_upper_m, precip_lower_mm_per_yr,
/// precip_upper_mm_per_yr (bounds, -INF/INF allowed), deadwood_fraction_of_agb,
/// litter_fraction_of_agb (>= 0), deadwood_carbon_fraction, litter_carbon_fraction (0 < CF <= 1),
/// source, status. Two rows of one domain must not overlap in both elevation and precipitation.
DomTable parse_dom_table(const std::string &text, const std::string &where,
                         std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// SOC_REF, IPCC 2019 Refinement Vol. 4 Ch. 2 Table 2.3 (ipcc2019_soc_ref.csv)

struct SocRefRow : RowProvenance {
    std::string climate_zone;        ///< e.g. cool_temperate_moist
    std::string soil_type;           ///< hac, lac, sandy, spodic, volcanic, wetland
    double soc_ref_t_c_per_ha = 0.0; ///< t C/ha (= Mg C/ha), 0-30 cm
    double uncertainty_pct = 0.0;    ///< half-width of the 95 % CI, % of the mean; NaN if empty
};

struct SocRefTable {
    std::vector<SocRefRow> rows; ///< sorted by (climate_zone, soil_type)
    const SocRefRow *find(std::string_view climate_zone, std::string_view soil_type) const noexcept;
};

/// Columns: climate_zone, soil_type, soc_ref_t_c_per_ha (>= 0), uncertainty_pct (>= 0 or
/// empty), source, status.
SocRefTable parse_soc_ref_table(const std::string &text, const std::string &where,
                                std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// Stock-change factors F_LU, F_MG, F_I, IPCC 2019 Tables 5.5 / 6.2 (ipcc2019_soc_factors.csv)

struct SocFactorRow : RowProvenance {
    std::string land_use;     ///< cropland, grassland
    std::string factor;       ///< F_LU, F_MG or F_I
    std::string level;        ///< e.g. long_term_cultivated, no_tillage, high_with_manure
    std::string climate_zone; ///< a 2019 zone key, or "all" (applies to every zone)
    double value = 0.0;       ///< dimensionless, > 0
    double error_pct = 0.0;   ///< two standard deviations, % of the value; NaN if empty
    std::string notes; ///< optional `notes` column (e.g. "reference level (=1 by definition)")
    /// A reference level: its notes say "=1 by definition" (IPCC 2019 Tables 5.5 / 6.2 define
    /// the factors of the reference condition as 1), so it has no uncertainty (exact).
    bool reference_level() const {
        return value == 1.0 && notes.find("=1 by definition") != std::string::npos;
    }
};

struct SocFactorTable {
    std::vector<SocFactorRow> rows; ///< sorted by (land_use, factor, level, climate_zone)
    /// The row for this zone; when there is none, the row whose climate_zone is "all" (the
    /// table's rows for factors that do not depend on climate); nullptr when neither exists.
    const SocFactorRow *find(std::string_view land_use, std::string_view factor,
                             std::string_view level, std::string_view climate_zone) const noexcept;
    /// The factor value, as find(); 0 and found = false when absent.
    double factor(std::string_view land_use, std::string_view factor, std::string_view level,
                  std::string_view climate_zone, bool &found) const noexcept;
};

/// Columns: land_use, factor (F_LU, F_MG or F_I), level, climate_zone, value (> 0), error_pct
/// (>= 0 or empty), source, status.
SocFactorTable parse_soc_factor_table(const std::string &text, const std::string &where,
                                      std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// Climate-zone raster codes (science.md §3.1; ipcc_climate_zone_codes.csv)

struct ClimateZoneCodeRow : RowProvenance {
    int code = 0;
    std::string climate_zone;
};

struct ClimateZoneCodeTable {
    std::vector<ClimateZoneCodeRow> rows; ///< sorted by code
    const ClimateZoneCodeRow *find(int code) const noexcept;
};

/// Columns: code (integer), climate_zone, source, status.
ClimateZoneCodeTable parse_climate_zone_code_table(const std::string &text,
                                                   const std::string &where,
                                                   std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// IPCC 2019 Tier 1 forest growth and caps, Earthshot compilation (ipcc_tier1_growth.csv)

struct Tier1GrowthRow : RowProvenance {
    std::string ecozone;                                         ///< e.g. subtropical_humid_forest
    std::string continent;                                       ///< e.g. asia
    std::string forest_type;                                     ///< e.g. natural, cunninghamia_sp
    double r0_t_dm_per_ha_yr = 0.0, r0_low = 0.0, r0_high = 0.0; ///< AGB growth, age <= 20 yr
    double k20_t_dm_per_ha = 0.0, k20_low = 0.0, k20_high = 0.0; ///< AGB cap at 20 yr
    double r20_t_dm_per_ha_yr = 0.0, r20_low = 0.0, r20_high = 0.0; ///< AGB growth, > 20 yr
    double kmax_t_dm_per_ha = 0.0, kmax_low = 0.0, kmax_high = 0.0; ///< AGB cap
    double root_shoot_break_t_dm_per_ha = 0.0; ///< AGB below which rs_young applies
    double rs_young = 0.0;
    double rs_old = 0.0;
    std::string rs_status; ///< status of rs_young/rs_old (the row's status when no column)
    /// What the bounds of r0/r20 (rate) and k20/kmax (cap) are, as the compilation labels them
    /// ("default", "standard deviation", "range", ...; empty when the column is absent or empty).
    std::string rate_uncertainty_type, cap_uncertainty_type;
};

struct Tier1GrowthTable {
    std::vector<Tier1GrowthRow> rows; ///< sorted by (ecozone, continent, forest_type)
    const Tier1GrowthRow *find(std::string_view ecozone, std::string_view continent,
                               std::string_view forest_type) const noexcept;
};

/// Columns: ecozone, continent, forest_type, r0_t_dm_per_ha_yr, k20_t_dm_per_ha,
/// r20_t_dm_per_ha_yr, kmax_t_dm_per_ha, root_shoot_break_t_dm_per_ha, rs_young, rs_old (all
/// >= 0), the bounds r0_low, r0_high, k20_low, ..., kmax_high (>= 0 or empty), source, status;
/// optional rs_status, rate_uncertainty_type and cap_uncertainty_type (free text). In a row that is
/// not unverified, each central value must lie within its bounds (a row whose columns are shifted
/// must be marked U).
Tier1GrowthTable parse_tier1_growth_table(const std::string &text, const std::string &where,
                                          std::vector<std::string> &errors);

// ---------------------------------------------------------------------------------------------
// CASA vegetation types (science.md §5.1; configs/parameters/casa_vegetation.csv)

/// The CASA parameters of one vegetation type, as the kernels read them.
struct CasaParameters {
    double ndvi_min = 0.0;
    double ndvi_max = 0.0;
    double sr_min = 0.0;
    double sr_max = 0.0;
    double epsilon_max_g_c_per_mj = 0.0;
};

/// One vegetation type of casa_vegetation.csv with its provenance (status U rows load; a stage
/// that uses one warns: is_unverified(row.status)).
struct CasaVegetationRow : RowProvenance {
    std::string casa_type; ///< snake_case key, e.g. evergreen_needleleaf_forest
    std::string vegetation_type_zh;
    std::string vegetation_type_en;
    CasaParameters parameters;
};

struct CasaVegetationTable {
    std::vector<CasaVegetationRow> rows; ///< sorted by casa_type
    /// Index of `casa_type` in rows, or -1.
    int find(const std::string &casa_type) const noexcept;
    /// The keys, ascending, separated by ", " (for messages).
    std::string keys() const;
};

/// Columns: casa_type (unique key), vegetation_type_zh, vegetation_type_en, ndvi_min, ndvi_max
/// (-1 <= min < max < 1), sr_min, sr_max (0 < min < max), epsilon_max_g_c_per_mj (> 0), source
/// (non-empty), status (a tag of configs/parameters/README.md); other columns are ignored.
/// Problems are appended to `errors` as "<where>, line N: <why>".
CasaVegetationTable parse_casa_table(const std::string &text, const std::string &where,
                                     std::vector<std::string> &errors);

} // namespace cs::models
