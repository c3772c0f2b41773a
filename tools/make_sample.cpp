// carbonsink-sample: deterministic synthetic CLCD land cover, forest inventory, soil strata,
// districts and configs for demos.
#include "raster/raster_error.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_geometry.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace {

namespace fs = std::filesystem;

// ------------------------------------------------------------------------------------------------
// Errors and command line
// ------------------------------------------------------------------------------------------------

/// A failure that ends the program. `message` reads `<what failed>: <which input>: <why>`.
struct Failure {
    int exit_code;
    std::string message;
};

/// Throw a usage failure (exit code 2).
[[noreturn]] void usage_error(const std::string &what, const std::string &where,
                              const std::string &why) {
    throw Failure{2, what + ": " + where + ": " + why};
}

/// Throw an input/output failure (exit code 1).
[[noreturn]] void io_error(const std::string &what, const std::string &where,
                           const std::string &why) {
    throw Failure{1, what + ": " + where + ": " + why};
}

constexpr const char *k_usage =
    "usage: carbonsink-sample sample --out DIR\n"
    "       carbonsink-sample bench --out DIR [--size N] [--districts K]\n"
    "\n"
    "sample  writes the 600 x 500 demo city (two land-cover epochs, 5 districts as GeoJSON,\n"
    "        pools.csv, demo.yaml) and its forest inventory (forest types, growing-stock\n"
    "        volume per epoch, forest_types.csv), its soil strata (climate zone, soil type,\n"
    "        soil_management.csv), its cropland management (management.tif,\n"
    "        management_codes.csv), pools_split.csv (dead wood and litter apart) and\n"
    "        demo-inventory.yaml into DIR.\n"
    "bench   streams two N x N land-cover epochs (default N 20000), K districts (default 100)\n"
    "        as GeoPackage, pools.csv and bench.yaml into DIR.\n"
    "Output depends only on the arguments: the same arguments give byte-identical files.\n";

/// Parsed command line.
struct Options {
    std::string mode;
    std::string out;
    int64_t size = 20000;
    int64_t districts = 100;
};

/// Parse a whole decimal integer in [lo, hi] given for `option`; usage failure otherwise.
int64_t parse_int(const std::string &option, const std::string &text, int64_t lo, int64_t hi) {
    const std::string range = "must be an integer from " + std::to_string(lo) + " to " +
                              std::to_string(hi) + ", got '" + text + "'";
    if (text.empty() || text.size() > 12 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        usage_error("invalid argument", option, range);
    }
    const int64_t v = std::stoll(text);
    if (v < lo || v > hi) {
        usage_error("invalid argument", option, range);
    }
    return v;
}

/// Parse argv into Options; prints usage and exits 0 for --help.
Options parse_args(int argc, char **argv) {
    Options o;
    if (argc < 2) {
        usage_error("missing argument", "mode",
                    "expected 'sample' or 'bench'\n" + std::string(k_usage));
    }
    o.mode = argv[1];
    if (o.mode == "-h" || o.mode == "--help") {
        std::fputs(k_usage, stdout);
        std::exit(0);
    }
    if (o.mode != "sample" && o.mode != "bench") {
        usage_error("invalid argument", "mode '" + o.mode + "'",
                    "expected 'sample' or 'bench'\n" + std::string(k_usage));
    }
    for (int i = 2; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_value = false;
        if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_value = true;
        }
        if (arg == "-h" || arg == "--help") {
            std::fputs(k_usage, stdout);
            std::exit(0);
        }
        const bool known =
            arg == "--out" || (o.mode == "bench" && (arg == "--size" || arg == "--districts"));
        if (!known) {
            usage_error("invalid argument", arg,
                        "unknown option for mode " + o.mode + "\n" + std::string(k_usage));
        }
        if (!has_value) {
            if (i + 1 >= argc) {
                usage_error("missing argument", arg, "expected a value after it");
            }
            value = argv[++i];
        }
        if (arg == "--out") {
            if (value.empty()) {
                usage_error("invalid argument", "--out", "the directory name is empty");
            }
            o.out = value;
        } else if (arg == "--size") {
            o.size = parse_int("--size", value, 256, 200000);
        } else {
            o.districts = parse_int("--districts", value, 1, 100000);
        }
    }
    if (o.out.empty()) {
        usage_error("missing argument", "--out", "required for mode " + o.mode);
    }
    return o;
}

// ------------------------------------------------------------------------------------------------
// Deterministic randomness: splitmix64 hashing and value noise
// ------------------------------------------------------------------------------------------------

/// The splitmix64 finaliser: a well-mixed 64-bit function of `x`.
constexpr uint64_t mix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/// Hash of a seed and two integer coordinates.
constexpr uint64_t hash3(uint64_t seed, int64_t a, int64_t b) {
    return mix64(seed ^ mix64(static_cast<uint64_t>(a) ^
                              mix64(static_cast<uint64_t>(b) ^ 0x2545F4914F6CDD1Dull)));
}

/// A uniform double in [0, 1) from the top 53 bits of `h`.
constexpr double unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

/// A sequential splitmix64 generator for placing features.
class Rng {
public:
    explicit Rng(uint64_t seed) : m_state(seed) {}
    /// Next 64 random bits.
    uint64_t next() {
        m_state += 0x9E3779B97F4A7C15ull;
        return mix64(m_state);
    }
    /// Uniform double in [lo, hi).
    double uniform(double lo, double hi) { return lo + (hi - lo) * unit(next()); }

private:
    uint64_t m_state;
};

/// Quintic smoothstep 6t^5 - 15t^4 + 10t^3: zero slope and curvature at 0 and 1.
constexpr double fade(double t) { return t * t * t * (t * (t * 6.0 - 15.0) + 10.0); }

/// Linear interpolation.
constexpr double lerp(double a, double b, double t) { return a + (b - a) * t; }

/// Value noise in [0, 1] at (x, y): lattice values at integer points, smooth interpolation.
double value_noise(uint64_t seed, double x, double y) {
    const double fx = std::floor(x);
    const double fy = std::floor(y);
    const auto ix = static_cast<int64_t>(fx);
    const auto iy = static_cast<int64_t>(fy);
    const double tx = fade(x - fx);
    const double ty = fade(y - fy);
    const double v00 = unit(hash3(seed, ix, iy));
    const double v10 = unit(hash3(seed, ix + 1, iy));
    const double v01 = unit(hash3(seed, ix, iy + 1));
    const double v11 = unit(hash3(seed, ix + 1, iy + 1));
    return lerp(lerp(v00, v10, tx), lerp(v01, v11, tx), ty);
}

/// One-dimensional value noise in [0, 1].
double value_noise_1d(uint64_t seed, double x) {
    const double fx = std::floor(x);
    const auto ix = static_cast<int64_t>(fx);
    return lerp(unit(hash3(seed, ix, 0)), unit(hash3(seed, ix + 1, 0)), fade(x - fx));
}

/// Fractal Brownian motion: `octaves` of value noise, each at twice the frequency and half the
/// amplitude of the previous, normalised to [0, 1].
double fbm(uint64_t seed, double x, double y, int octaves) {
    double sum = 0.0;
    double amplitude = 1.0;
    double norm = 0.0;
    for (int o = 0; o < octaves; ++o) {
        sum += amplitude * value_noise(mix64(seed + static_cast<uint64_t>(o)), x, y);
        norm += amplitude;
        amplitude *= 0.5;
        x = x * 2.0 + 17.31;
        y = y * 2.0 - 9.17;
    }
    return sum / norm;
}

/// One-dimensional fBm in [0, 1].
double fbm_1d(uint64_t seed, double x, int octaves) {
    double sum = 0.0;
    double amplitude = 1.0;
    double norm = 0.0;
    for (int o = 0; o < octaves; ++o) {
        sum += amplitude * value_noise_1d(mix64(seed + static_cast<uint64_t>(o)), x);
        norm += amplitude;
        amplitude *= 0.5;
        x = x * 2.0 + 5.73;
    }
    return sum / norm;
}

/// Clamp `v` to [0, 1].
constexpr double clamp01(double v) { return v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v); }

// ------------------------------------------------------------------------------------------------
// Grid, classes and fixed text files
// ------------------------------------------------------------------------------------------------

constexpr double k_origin_x = 500000.0;
constexpr double k_origin_y = 4640000.0;
constexpr double k_pixel = 30.0;
constexpr int k_epsg = 32651;
constexpr int k_tile = 256;

constexpr uint8_t k_nodata = 0;
constexpr uint8_t k_cropland = 1;
constexpr uint8_t k_forest = 2;
constexpr uint8_t k_grassland = 4;
constexpr uint8_t k_water = 5;
constexpr uint8_t k_impervious = 8;

/// A CLCD class: code, name and display colour (close to the usual CLCD legend).
struct ClassInfo {
    uint8_t code;
    const char *name;
    std::array<short, 3> rgb;
};

constexpr std::array<ClassInfo, 5> k_classes = {{
    {k_cropland, "cropland", {250, 227, 156}},
    {k_forest, "forest", {68, 111, 51}},
    {k_grassland, "grassland", {171, 211, 127}},
    {k_water, "water", {30, 105, 180}},
    {k_impervious, "impervious", {226, 66, 144}},
}};

constexpr const char *k_pools_csv =
    "lucode,lulc_name,c_above,c_below,c_soil,c_dead,status,source,c_soil_u_pct,uncertainty_sou"
    "rce\n"
    "1,cropland,0,0,56.7,0,V2 (soil); assumption (biomass),\"soil: SOC_REF 81 (IPCC 2019 "
    "Vol4 Ch2 Table 2.3, cool temperate moist, HAC) x F_LU 0.70 (2019 Table 5.5 long-term "
    "cultivated) x F_MG 1.0 x F_I 1.0; biomass and DOM 0: IPCC Tier 1 annual crops "
    "accumulate no multi-year biomass\",12.78,\"IPCC 2019 Vol4 Ch2 Table 2.3 SOC_REF cool "
    "temperate moist HAC 81 +-5 % (half-width of the 95 % CI; ipcc2019_soc_ref.csv) x Table "
    "5.5 F_LU long-term cultivated cool temperate moist 0.70 +-12 % (2 SD; "
    "ipcc2019_soc_factors.csv), a 95 % half-width of 1.96 x 12 / 2 = 11.76 %; F_MG full "
    "tillage and F_I medium are reference levels (1 by definition, exact); combined by the "
    "product rule U = sqrt(5^2 + 11.76^2) = 12.78 % (science.md section 7, IPCC 2006 Vol1 "
    "Ch3 Approach 1). Biomass and dead matter: none (no source)\"\n"
    "2,forest,53.05,15.39,81,5.91,V2,\"AGB 112.88 t dm/ha (IPCC 2019 Tier 1 Kmax, temperate "
    "continental Asia Larix, compiled by Earthshot Labs) x CF 0.47 (2006 Table 4.3); BGB: R "
    "0.29 (2006 Table 4.4 temperate conifer, AGB 50-150); DOM: dead wood 0.08 x AGB x 0.47 + "
    "litter 0.04 x AGB x 0.37 (CDM AR-TOOL12, temperate); soil: SOC_REF 81 (native forest, F "
    "= 1)\",5,\"IPCC 2019 Vol4 Ch2 Table 2.3 SOC_REF cool temperate moist HAC 81 +-5 % "
    "(half-width of the 95 % CI; ipcc2019_soc_ref.csv) (native forest: factors 1 by "
    "definition). Biomass and dead matter: none (no verified source)\"\n"
    "4,grassland,0,0,81,0,PLACEHOLDER (biomass) - confirm before use; V2 (soil),\"soil: "
    "SOC_REF 81 x F_LU 1.0 x F_MG 1.0 (nominally managed) x F_I 1.0 (2019 Table 6.2); "
    "biomass 0 is a placeholder: IPCC 2006 Table 6.4 grassland biomass not "
    "verified\",5,\"IPCC 2019 Vol4 Ch2 Table 2.3 SOC_REF cool temperate moist HAC 81 +-5 % "
    "(half-width of the 95 % CI; ipcc2019_soc_ref.csv) x F_LU, F_MG, F_I of nominally "
    "managed grassland with medium input (reference levels, 1 by definition, exact). Biomass "
    "and dead matter: none (no source)\"\n"
    "5,water,0,0,0,0,assumption,\"open water: no biomass; no mineral soil stock counted "
    "(IPCC Eq. 2.25 covers mineral soils)\",,\n"
    "8,impervious,0,0,0,0,PLACEHOLDER - confirm before use,\"sealed surfaces: biomass 0; "
    "soil 0 is a placeholder (IPCC 2019 Vol4 Ch8 settlement soil factors not verified)\",,\n";

/// The pools table of the forest-inventory demo: k_pools_csv with dead organic matter split into
/// dead wood and litter (pools dead_wood and litter, for models.dom). Values without a source are
/// 0 with a note; nothing is invented.
constexpr const char *k_pools_split_csv =
    "lucode,lulc_name,c_above,c_below,c_dead_wood,c_litter,c_soil,status,source,c_soil_u_pct,u"
    "ncertainty_source\n"
    "1,cropland,0,0,0,0,56.7,V2 (soil); assumption (biomass and dead matter),\"soil: SOC_REF "
    "81 (IPCC 2019 Vol4 Ch2 Table 2.3, cool temperate moist, HAC) x F_LU 0.70 (2019 Table "
    "5.5 long-term cultivated) x F_MG 1.0 x F_I 1.0; biomass, dead wood and litter 0: IPCC "
    "Tier 1 annual crops accumulate no multi-year biomass\",12.78,\"IPCC 2019 Vol4 Ch2 Table "
    "2.3 SOC_REF cool temperate moist HAC 81 +-5 % (half-width of the 95 % CI; "
    "ipcc2019_soc_ref.csv) x Table 5.5 F_LU long-term cultivated cool temperate moist 0.70 "
    "+-12 % (2 SD; ipcc2019_soc_factors.csv), a 95 % half-width of 1.96 x 12 / 2 = 11.76 %; "
    "F_MG full tillage and F_I medium are reference levels (1 by definition, exact); "
    "combined by the product rule U = sqrt(5^2 + 11.76^2) = 12.78 % (science.md section 7, "
    "IPCC 2006 Vol1 Ch3 Approach 1). Biomass and dead matter: none (no source)\"\n"
    "2,forest,53.05,15.39,4.24,1.67,81,V2,\"AGB 112.88 t dm/ha (IPCC 2019 Tier 1 Kmax, "
    "temperate continental Asia Larix, compiled by Earthshot Labs) x CF 0.47 (2006 Table "
    "4.3); BGB: R 0.29 (2006 Table 4.4 temperate conifer, AGB 50-150); dead wood 112.88 x "
    "0.08 x 0.47 = 4.24, litter 112.88 x 0.04 x 0.37 = 1.67 (CDM AR-TOOL12 temperate "
    "fractions, as models.dom computes them on pixels with AGB; used here on forest pixels "
    "without AGB, the China CBEF ones); soil: SOC_REF 81 (native forest, F = 1). Not used: "
    "IPCC 2006 Table 2.2 mature-forest litter, cool temperate moist, 16 (broadleaf "
    "deciduous) / 26 (needleleaf evergreen) t C/ha [V2], a stock of mature stands on another "
    "basis than the AGB fractions\",5,\"IPCC 2019 Vol4 Ch2 Table 2.3 SOC_REF cool temperate "
    "moist HAC 81 +-5 % (half-width of the 95 % CI; ipcc2019_soc_ref.csv) (native forest: "
    "factors 1 by definition). Biomass and dead matter: none (no verified source)\"\n"
    "4,grassland,0,0,0,0,81,PLACEHOLDER (biomass and dead matter) - confirm before use; V2 "
    "(soil),\"soil: SOC_REF 81 x F_LU 1.0 x F_MG 1.0 (nominally managed) x F_I 1.0 (2019 "
    "Table 6.2); biomass 0 is a placeholder: IPCC 2006 Table 6.4 grassland biomass not "
    "verified; dead wood and litter 0: no verified value\",5,\"IPCC 2019 Vol4 Ch2 Table 2.3 "
    "SOC_REF cool temperate moist HAC 81 +-5 % (half-width of the 95 % CI; "
    "ipcc2019_soc_ref.csv) x F_LU, F_MG, F_I of nominally managed grassland with medium "
    "input (reference levels, 1 by definition, exact). Biomass and dead matter: none (no "
    "source)\"\n"
    "5,water,0,0,0,0,0,assumption,\"open water: no biomass or dead matter; no mineral soil "
    "stock counted (IPCC Eq. 2.25 covers mineral soils)\",,\n"
    "8,impervious,0,0,0,0,0,PLACEHOLDER - confirm before use,\"sealed surfaces: biomass, "
    "dead wood and litter 0; soil 0 is a placeholder (IPCC 2019 Vol4 Ch8 settlement soil "
    "factors not verified)\",,\n";

constexpr const char *k_demo_yaml =
    "# carbonsink sample run: a synthetic city in UTM zone 51N, two epochs of CLCD-coded land "
    "cover.\n"
    "name: demo-city\n"
    "output_dir: ../out/demo-city\n"
    "land_cover:\n"
    "  epochs:\n"
    "    2015: land_cover_2015.tif\n"
    "    2020: land_cover_2020.tif\n"
    "districts:\n"
    "  path: districts.geojson\n"
    "  id_field: code\n"
    "  name_field: name\n"
    "models:\n"
    "  stocks:\n"
    "    method: lookup\n"
    "    table: pools.csv\n"
    "  sink:\n"
    "    method: stock_difference\n";

constexpr const char *k_forest_types_csv =
    "code,name,method,cbef_forest_type,climate_domain,bcef_forest_type,root_shoot_zone,"
    "root_shoot_type,carbon_fraction,source\n"
    "1,Chinese fir plantation,china_cbef,cunninghamia_lanceolata,,,,,,\"B = aV + b, Fang et al. "
    "2007 via Li Yin et al. (configs/parameters/china_cbef.csv); CF from that table\"\n"
    "2,Temperate pines,ipcc_bcef,,temperate,pines,temperate,conifer,0.51,\"BCEF_S IPCC 2006 Vol4 "
    "Ch4 Table 4.5 temperate pines; R Table 4.4 temperate conifers; CF 0.51 Table 4.3 "
    "temperate/boreal conifers (science.md 2.1)\"\n";

constexpr const char *k_demo_inventory_yaml =
    "# carbonsink sample run, forest-inventory version: forest biomass from growing-stock volume "
    "and forest type,\n"
    "# soil organic carbon from IPCC Tier 1 climate zone, soil type and management, dead wood "
    "and litter\n"
    "# as fractions of AGB where the inventory gives AGB (IPCC BCEF forest types; CDM "
    "AR-TOOL12).\n"
    "name: demo-city-inventory\n"
    "output_dir: ../out/demo-city-inventory\n"
    "land_cover:\n"
    "  epochs:\n"
    "    2015: land_cover_2015.tif\n"
    "    2020: land_cover_2020.tif\n"
    "districts:\n"
    "  path: districts.geojson\n"
    "  id_field: code\n"
    "  name_field: name\n"
    "models:\n"
    "  stocks:\n"
    "    method: inventory\n"
    "    table: pools_split.csv\n"
    "    crosswalk: clcd\n"
    "    volume:\n"
    "      2015: volume_2015.tif\n"
    "      2020: volume_2020.tif\n"
    "    forest_type: forest_type.tif\n"
    "    forest_types: forest_types.csv\n"
    "  soil:\n"
    "    method: ipcc_tier1\n"
    "    climate_zone: climate_zone.tif\n"
    "    soil_type: soil_type.tif\n"
    "    soil_types:\n"
    "      1: hac\n"
    "      2: lac\n"
    "      3: sandy\n"
    "    management: soil_management.csv\n"
    "    management_raster: management.tif\n"
    "    management_codes: management_codes.csv\n"
    "  dom:\n"
    "    method: agb_fraction\n"
    "    climate_domain: temperate_or_boreal   # climate_zone.tif: zone 3, cool temperate moist\n"
    "  sink:\n"
    "    method: stock_difference\n";

/// The soil-management table of `soil.ipcc_tier1`: one row per CLCD class of k_pools_csv.
constexpr const char *k_soil_management_csv =
    "lucode,mode,land_use,lu_level,mg_level,i_level,source\n"
    "1,raster,,,,,\"management per pixel: the code in management.tif, its land use and levels "
    "in management_codes.csv (IPCC 2019 Table 5.5 tillage)\"\n"
    "2,reference,,,,,\"native forest: SOC_REF (factors 1 by definition, IPCC 2019 Vol4 Ch2)\"\n"
    "4,factors,grassland,all,nominally_managed,medium,\"IPCC 2019 Table 6.2: nominally "
    "managed, medium input\"\n"
    "5,table,,,,,\"open water: no mineral-soil stock (pools table c_soil)\"\n"
    "8,table,,,,,\"sealed surfaces: pools table c_soil (a PLACEHOLDER there)\"\n";

/// The codes of management.tif: long-term cultivated cropland with medium input under full,
/// reduced or no tillage. Each source cites the rows of configs/parameters/ipcc2019_soc_factors.csv
/// the code uses in the sample's climate zone (cool temperate moist).
constexpr const char *k_management_codes_csv =
    "code,land_use,lu_level,mg_level,i_level,source,status\n"
    "1,cropland,long_term_cultivated,full_tillage,medium,\"IPCC 2019 Vol4 Ch5 Table 5.5 "
    "(configs/parameters/ipcc2019_soc_factors.csv): F_LU long_term_cultivated "
    "cool_temperate_moist 0.70 (line 9), F_MG full_tillage 1.0 (line 2), F_I medium 1.0 (line 3); "
    "which fields are tilled how is a sample choice\",V2\n"
    "2,cropland,long_term_cultivated,reduced_tillage,medium,\"IPCC 2019 Vol4 Ch5 Table 5.5 "
    "(configs/parameters/ipcc2019_soc_factors.csv): F_LU long_term_cultivated "
    "cool_temperate_moist 0.70 (line 9), F_MG reduced_tillage cool_temperate_moist 1.04 (line "
    "49), F_I medium 1.0 (line 3); which fields are tilled how is a sample choice\",V2\n"
    "3,cropland,long_term_cultivated,no_tillage,medium,\"IPCC 2019 Vol4 Ch5 Table 5.5 "
    "(configs/parameters/ipcc2019_soc_factors.csv): F_LU long_term_cultivated "
    "cool_temperate_moist 0.70 (line 9), F_MG no_tillage cool_temperate_moist 1.09 (line 59), "
    "F_I medium 1.0 (line 3); which fields are tilled how is a sample choice\",V2\n";

/// The vegetation mapping of `models.nep` (lucode -> CASA type of
/// configs/parameters/casa_vegetation.csv). Cropland, water and impervious have no row: the
/// shipped table has no cropland type (science.md §5.1: cropland values are unverified) and no
/// type fits open water or sealed surfaces, so those pixels have no NEP (counted and warned).
constexpr const char *k_casa_types_csv =
    "lucode,casa_type,lulc_name,note\n"
    "2,evergreen_needleleaf_forest,forest,\"the sample's forest is Chinese fir plantations and "
    "temperate pines (forest_types.csv): evergreen needleleaf\"\n"
    "4,grassland,grassland,\"pasture and forest-margin grassland: the (desert) grassland row of "
    "casa_vegetation.csv, the only grassland type there\"\n";

/// The demo city with a Monte Carlo over the uncertainties its pools table documents (issue 11).
constexpr const char *k_demo_uncertainty_yaml =
    "# carbonsink sample run with uncertainty (IPCC 2006 Vol. 1 Ch. 3): the demo city of "
    "demo.yaml,\n"
    "# with a Monte Carlo of 1000 shared draws over the parameters its pools table documents.\n"
    "#\n"
    "# pools.csv gives an uncertainty only where a source gives one (c_soil_u_pct of cropland, "
    "forest\n"
    "# and grassland, from IPCC 2019 SOC_REF and stock-change factor errors; see "
    "uncertainty_source).\n"
    "# The other densities the city uses have no documented uncertainty, and carbonsink invents "
    "none:\n"
    "# a Monte Carlo on them is refused (exit 2) and names them. Here they are declared exact, "
    "which\n"
    "# is an assumption the intervals below inherit: they cover the soil parameters only. Give "
    "them a\n"
    "# distribution with its source under `parameters` (or a <column>_sd column in the table) to\n"
    "# widen the intervals to what a real inventory would report.\n"
    "name: demo-city-uncertainty\n"
    "output_dir: ../out/demo-city-uncertainty\n"
    "land_cover:\n"
    "  epochs:\n"
    "    2015: land_cover_2015.tif\n"
    "    2020: land_cover_2020.tif\n"
    "districts:\n"
    "  path: districts.geojson\n"
    "  id_field: code\n"
    "  name_field: name\n"
    "models:\n"
    "  stocks:\n"
    "    method: lookup\n"
    "    table: pools.csv\n"
    "  sink:\n"
    "    method: stock_difference\n"
    "uncertainty:\n"
    "  method: monte_carlo\n"
    "  draws: 1000\n"
    "  seed: 20261204\n"
    "  confidence: 0.95\n"
    "  assume_exact:\n"
    "    - \"pools.csv:c_above[1]\"\n"
    "    - \"pools.csv:c_below[1]\"\n"
    "    - \"pools.csv:c_dead[1]\"\n"
    "    - \"pools.csv:c_above[2]\"\n"
    "    - \"pools.csv:c_below[2]\"\n"
    "    - \"pools.csv:c_dead[2]\"\n"
    "    - \"pools.csv:c_above[4]\"\n"
    "    - \"pools.csv:c_below[4]\"\n"
    "    - \"pools.csv:c_dead[4]\"\n"
    "    - \"pools.csv:c_above[5]\"\n"
    "    - \"pools.csv:c_below[5]\"\n"
    "    - \"pools.csv:c_soil[5]\"\n"
    "    - \"pools.csv:c_dead[5]\"\n"
    "    - \"pools.csv:c_above[8]\"\n"
    "    - \"pools.csv:c_below[8]\"\n"
    "    - \"pools.csv:c_soil[8]\"\n"
    "    - \"pools.csv:c_dead[8]\"\n";

constexpr const char *k_demo_seasonal_yaml =
    "# carbonsink sample run, seasonal version: monthly NPP (CASA), soil heterotrophic "
    "respiration\n"
    "# (Pei et al.) and NEP = NPP - R_H for the 12 months of 2020 (science.md 5), from the monthly "
    "NDVI\n"
    "# and climate rasters in met/. NEP > 0 is a sink. Stocks as in demo.yaml.\n"
    "name: demo-city-seasonal\n"
    "output_dir: ../out/demo-city-seasonal\n"
    "land_cover:\n"
    "  epochs:\n"
    "    2015: land_cover_2015.tif\n"
    "    2020: land_cover_2020.tif\n"
    "districts:\n"
    "  path: districts.geojson\n"
    "  id_field: code\n"
    "  name_field: name\n"
    "models:\n"
    "  stocks:\n"
    "    method: lookup\n"
    "    table: pools.csv\n"
    "  nep:\n"
    "    method: casa\n"
    "    months: [2020-01, 2020-12]\n"
    "    vegetation: casa_types.csv\n"
    "    layers:\n"
    "      ndvi: met/ndvi_{yyyy}{mm}.tif                # Int16 x 0.0001 (scale in the band "
    "metadata)\n"
    "      temperature_c: met/tmean_{yyyy}{mm}.tif\n"
    "      precipitation_mm: met/prec_{yyyy}{mm}.tif\n"
    "      solar_mj_per_m2: met/sol_{yyyy}{mm}.tif\n"
    "      et_mm: met/et_{yyyy}{mm}.tif\n"
    "      pet_mm: met/pet_{yyyy}{mm}.tif\n";

/// The benchmark run config for an N x N grid with K districts (as demo.yaml, with the
/// districts in a GeoPackage layer and outputs next to the config).
std::string bench_yaml(int64_t size, int64_t districts) {
    const std::string n = std::to_string(size);
    return "# carbonsink benchmark run: " + n + " x " + n +
           " synthetic CLCD land cover in UTM zone 51N, two epochs, " + std::to_string(districts) +
           " districts.\n" + "name: bench-" + n + "\n" +
           "output_dir: out\n"
           "land_cover:\n"
           "  epochs:\n"
           "    2015: land_cover_2015.tif\n"
           "    2020: land_cover_2020.tif\n"
           "districts:\n"
           "  path: districts.gpkg\n"
           "  layer: districts\n"
           "  id_field: code\n"
           "  name_field: name\n"
           "models:\n"
           "  stocks:\n"
           "    method: lookup\n"
           "    table: pools.csv\n"
           "  sink:\n"
           "    method: stock_difference\n";
}

/// Size of a file in bytes, or 0 when it cannot be read.
uintmax_t bytes_of(const fs::path &p) {
    std::error_code ec;
    const auto n = fs::file_size(p, ec);
    return ec ? 0 : n;
}

/// Write `text` to `path` exactly (binary, no newline translation). Throws Failure.
void write_text(const fs::path &path, const std::string &text, const std::string &what) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    if (f) {
        f.write(text.data(), static_cast<std::streamsize>(text.size()));
        f.close();
    }
    if (!f) {
        io_error("cannot write " + what, path.string(), std::strerror(errno));
    }
    std::printf("wrote %s: %s, %ju bytes\n", path.string().c_str(), what.c_str(), bytes_of(path));
}

/// Create the output directory (and parents). Throws Failure.
void make_output_dir(const fs::path &dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec || !fs::is_directory(dir)) {
        io_error("cannot create output directory", dir.string(),
                 ec ? ec.message() : "exists and is not a directory");
    }
}

/// Remove a previous output file and its GDAL side-car, so stale files never survive a run.
void remove_previous(const fs::path &path) {
    std::error_code ec;
    fs::remove(path, ec);
    fs::remove(fs::path(path.string() + ".aux.xml"), ec);
}

/// The sample and bench CRS, EPSG:32651, with x/y (easting/northing) axis order.
OGRSpatialReference utm_crs() {
    OGRSpatialReference srs;
    if (srs.importFromEPSG(k_epsg) != OGRERR_NONE) {
        io_error("cannot build CRS", "EPSG:" + std::to_string(k_epsg),
                 cs::raster::last_gdal_error() + " (is the PROJ database installed?)");
    }
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

// ------------------------------------------------------------------------------------------------
// Land-cover GeoTIFFs
// ------------------------------------------------------------------------------------------------

/// Closes a GDAL dataset.
struct DatasetCloser {
    void operator()(GDALDataset *ds) const { GDALClose(ds); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

/// Close `ds` and fail if GDAL reported an error while flushing it.
void close_dataset(DatasetPtr &ds, const fs::path &path) {
    CPLErrorReset();
    ds.reset();
    if (CPLGetLastErrorType() == CE_Failure || CPLGetLastErrorType() == CE_Fatal) {
        io_error("cannot finish writing", path.string(), cs::raster::last_gdal_error());
    }
}

/// Create a single-band Byte GeoTIFF on the sample grid: tiled 256 x 256, DEFLATE with
/// horizontal predictor, NoData 0, the CLCD colour table and category names. Throws Failure.
DatasetPtr create_land_cover(const fs::path &path, int64_t width, int64_t height, bool bigtiff) {
    remove_previous(path);
    GDALDriver *driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (driver == nullptr) {
        io_error("cannot create land-cover raster", path.string(), "GDAL has no GTiff driver");
    }
    CPLStringList options;
    options.SetNameValue("TILED", "YES");
    options.SetNameValue("BLOCKXSIZE", std::to_string(k_tile).c_str());
    options.SetNameValue("BLOCKYSIZE", std::to_string(k_tile).c_str());
    options.SetNameValue("COMPRESS", "DEFLATE");
    options.SetNameValue("PREDICTOR", "2");
    if (bigtiff) {
        options.SetNameValue("BIGTIFF", "IF_SAFER");
    }
    CPLErrorReset();
    DatasetPtr ds(driver->Create(path.string().c_str(), static_cast<int>(width),
                                 static_cast<int>(height), 1, GDT_Byte, options.List()));
    if (!ds) {
        io_error("cannot create land-cover raster", path.string(), cs::raster::last_gdal_error());
    }
    double gt[6] = {k_origin_x, k_pixel, 0.0, k_origin_y, 0.0, -k_pixel};
    const OGRSpatialReference srs = utm_crs();
    GDALRasterBand *band = ds->GetRasterBand(1);
    GDALColorTable colors;
    const GDALColorEntry none = {0, 0, 0, 0};
    colors.SetColorEntry(0, &none);
    std::vector<std::string> names(k_impervious + 1);
    names[0] = "nodata";
    for (const ClassInfo &c : k_classes) {
        const GDALColorEntry e = {c.rgb[0], c.rgb[1], c.rgb[2], 255};
        colors.SetColorEntry(c.code, &e);
        names[c.code] = c.name;
    }
    for (int code = 1; code <= k_impervious; ++code) {
        if (names[code].empty()) {
            const GDALColorEntry unused = {0, 0, 0, 255};
            colors.SetColorEntry(code, &unused);
        }
    }
    CPLStringList category_names;
    for (const std::string &n : names) {
        category_names.AddString(n.c_str());
    }
    band->SetDescription("land cover (CLCD codes)");
    if (ds->SetGeoTransform(gt) != CE_None || ds->SetSpatialRef(&srs) != CE_None ||
        band->SetNoDataValue(k_nodata) != CE_None || band->SetColorTable(&colors) != CE_None ||
        band->SetCategoryNames(category_names.List()) != CE_None) {
        io_error("cannot set georeferencing and legend", path.string(),
                 cs::raster::last_gdal_error());
    }
    return ds;
}

/// Pixel counts per class value for one epoch.
using Histogram = std::array<int64_t, 256>;

/// Print the per-class pixel counts of both epochs and the share of changed pixels.
void print_counts(const Histogram &h15, const Histogram &h20, int64_t changed, int64_t valid_both) {
    std::printf("class pixel counts        2015          2020\n");
    std::printf("  0 %-12s %12lld  %12lld\n", "nodata", static_cast<long long>(h15[0]),
                static_cast<long long>(h20[0]));
    for (const ClassInfo &c : k_classes) {
        std::printf("  %d %-12s %12lld  %12lld\n", c.code, c.name,
                    static_cast<long long>(h15[c.code]), static_cast<long long>(h20[c.code]));
    }
    const double pct = valid_both > 0
                           ? 100.0 * static_cast<double>(changed) / static_cast<double>(valid_both)
                           : 0.0;
    std::printf("changed class: %lld of %lld pixels valid in both epochs (%.2f %%)\n",
                static_cast<long long>(changed), static_cast<long long>(valid_both), pct);
}

/// Count classes of both epochs and changed pixels over `n` pixels.
void accumulate_counts(const uint8_t *a, const uint8_t *b, size_t n, Histogram &h15, Histogram &h20,
                       int64_t &changed, int64_t &valid_both) {
    for (size_t i = 0; i < n; ++i) {
        ++h15[a[i]];
        ++h20[b[i]];
        if (a[i] != k_nodata && b[i] != k_nodata) {
            ++valid_both;
            changed += a[i] != b[i] ? 1 : 0;
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Sample mode: a 600 x 500 demo city
// ------------------------------------------------------------------------------------------------

constexpr int k_demo_width = 600;
constexpr int k_demo_height = 500;
constexpr uint64_t k_demo_seed = 0x5EEDC17D2015ull;

/// Seeds of the independent noise fields of the demo landscape.
enum DemoSeed : uint64_t {
    seed_hills = 1,
    seed_river,
    seed_river_width,
    seed_lake,
    seed_city,
    seed_growth,
    seed_growth_grass,
    seed_margin,
    seed_riparian,
    seed_pasture,
    seed_afforest,
    seed_deforest,
    seed_cloud,
    seed_villages,
    seed_boundaries,
    // Forest inventory layers (appended, so the seeds above and the land cover do not change).
    seed_forest_type,
    seed_volume,
    seed_volume_growth,
    seed_young_volume,
    // Soil strata (appended after the inventory seeds, so nothing above changes).
    seed_soil_lac,
    seed_soil_sand,
    // Cropland management (appended, so nothing above changes).
    seed_management,
    // Monthly NDVI and climate of the seasonal demo (appended, so nothing above changes).
    seed_ndvi,
    seed_climate,
};

/// The seed of one demo noise field.
constexpr uint64_t demo_seed(DemoSeed s) { return mix64(k_demo_seed ^ (s * 0x100000001B3ull)); }

/// Hill height: smooth fBm plus a tilt that puts the high ground in the north (and a little in
/// the east). Forest grows above k_forest_line.
double demo_hills(double x, double y) {
    return 0.55 * fbm(demo_seed(seed_hills), x / 110.0, y / 110.0, 5) +
           0.50 * (1.0 - y / k_demo_height) + 0.08 * (x / k_demo_width);
}

constexpr double k_forest_line = 0.68;

/// Row of the river centreline at column x: flowing west to east, slightly falling to the south,
/// with large and small meanders.
double river_y(double x) {
    return k_demo_height * (0.47 + 0.14 * x / k_demo_width) +
           110.0 * (fbm_1d(demo_seed(seed_river), x / 170.0, 2) - 0.5) +
           24.0 * (value_noise_1d(demo_seed(seed_river) + 7, x / 38.0) - 0.5);
}

/// River half width in pixels (the river is 4 to 8 pixels wide).
double river_half_width(double x) {
    return 2.0 + 2.0 * value_noise_1d(demo_seed(seed_river_width), x / 90.0);
}

/// Distance in pixels from (x, y) to the river centreline, corrected for its local slope.
double river_distance(double x, double y) {
    const double slope = 0.5 * (river_y(x + 1.0) - river_y(x - 1.0));
    return std::fabs(y - river_y(x)) / std::sqrt(1.0 + slope * slope);
}

/// Fixed features of the demo landscape (pixel coordinates, y down).
struct DemoFeatures {
    double city_x = 0.0;
    double city_y = 0.0;
    double core_radius = 44.0;
    int park_x0 = 0, park_y0 = 0, park_x1 = 0, park_y1 = 0; ///< industrial park, 2020
    double lake_x = 468.0, lake_y = 92.0;
    double cloud_x = 562.0, cloud_y = 42.0;
    double island_x = 78.0, island_y = 0.0;
    std::vector<std::array<double, 3>> villages; ///< x, y, radius
};

/// City distance: distance to the centre divided by a noisy local radius factor, so the city
/// edge is ragged rather than a circle.
double city_distance(const DemoFeatures &f, double x, double y) {
    const double dx = x - f.city_x;
    const double dy = y - f.city_y;
    const double factor = 1.0 + 1.6 * (fbm(demo_seed(seed_city), x / 22.0, y / 22.0, 3) - 0.5);
    return std::sqrt(dx * dx + dy * dy) / factor;
}

/// Lake metric: below 1 inside a rotated noisy ellipse (a reservoir in the hills).
double lake_metric(const DemoFeatures &f, double x, double y) {
    const double c = 0.906, s = 0.423; // 25 degrees
    const double dx = x - f.lake_x;
    const double dy = y - f.lake_y;
    const double u = (c * dx + s * dy) / 24.0;
    const double v = (-s * dx + c * dy) / 12.0;
    return std::sqrt(u * u + v * v) - 0.45 * (fbm(demo_seed(seed_lake), x / 9.0, y / 9.0, 2) - 0.5);
}

/// True inside the cloud gap (NoData in both epochs): a ~30 x 20 px noisy ellipse near the
/// north-east corner.
bool in_cloud(const DemoFeatures &f, double x, double y) {
    const double u = (x - f.cloud_x) / 16.0;
    const double v = (y - f.cloud_y) / 10.5;
    return std::sqrt(u * u + v * v) <
           1.0 + 0.5 * (fbm(demo_seed(seed_cloud), x / 6.0, y / 6.0, 2) - 0.5);
}

/// True for the few pixels missing only in 2020: a broken scan-line segment in the south-west.
bool in_gap_2020(int col, int row) {
    return (row == 431 || row == 432) && col >= 64 && col < 98 &&
           unit(hash3(demo_seed(seed_cloud) + 1, col, row)) < 0.7;
}

/// Place the city, the industrial park, the island and the villages.
DemoFeatures demo_features() {
    DemoFeatures f;
    f.city_x = 226.0;
    f.city_y = river_y(f.city_x) - 26.0;
    const int park_cx = 400;
    const int park_cy = static_cast<int>(std::lround(river_y(park_cx) - 34.0));
    f.park_x0 = park_cx - 12;
    f.park_x1 = park_cx + 12;
    f.park_y0 = park_cy - 9;
    f.park_y1 = park_cy + 9;
    f.island_y = river_y(f.island_x);
    Rng rng(demo_seed(seed_villages));
    for (int attempt = 0; attempt < 400 && f.villages.size() < 9; ++attempt) {
        const double x = rng.uniform(25.0, k_demo_width - 25.0);
        const double y = rng.uniform(25.0, k_demo_height - 25.0);
        const double r = rng.uniform(2.5, 4.5);
        bool ok = demo_hills(x, y) < k_forest_line - 0.06 && river_distance(x, y) > 14.0 &&
                  city_distance(f, x, y) > f.core_radius + 45.0 && std::fabs(x - park_cx) > 30.0 &&
                  x > 40.0;
        for (const auto &v : f.villages) {
            ok = ok && std::hypot(x - v[0], y - v[1]) > 60.0;
        }
        if (ok) {
            f.villages.push_back({x, y, r});
        }
    }
    return f;
}

/// Generate both demo epochs (row-major, 600 x 500).
void generate_demo(const DemoFeatures &f, std::vector<uint8_t> &lc15, std::vector<uint8_t> &lc20) {
    lc15.assign(static_cast<size_t>(k_demo_width) * k_demo_height, k_nodata);
    lc20.assign(lc15.size(), k_nodata);
    for (int row = 0; row < k_demo_height; ++row) {
        for (int col = 0; col < k_demo_width; ++col) {
            const double x = col + 0.5;
            const double y = row + 0.5;
            const double h = demo_hills(x, y);
            const double rd = river_distance(x, y);
            const double hw = river_half_width(x);
            const double cd = city_distance(f, x, y);
            bool village = false;
            for (const auto &v : f.villages) {
                const double d = std::hypot(x - v[0], y - v[1]);
                village = village || d < v[2] * (0.8 + 0.5 * value_noise(demo_seed(seed_city) + 3,
                                                                         x / 3.0, y / 3.0));
            }
            uint8_t c = k_cropland;
            if (rd < hw || lake_metric(f, x, y) < 1.0) {
                c = k_water;
            } else if (cd < f.core_radius || village) {
                c = k_impervious;
            } else if (h >= k_forest_line) {
                c = k_forest;
            } else if ((h >= k_forest_line - 0.035 &&
                        fbm(demo_seed(seed_margin), x / 25.0, y / 25.0, 3) > 0.47) ||
                       (rd < hw + 5.0 &&
                        fbm(demo_seed(seed_riparian), x / 12.0, y / 12.0, 2) > 0.55) ||
                       fbm(demo_seed(seed_pasture), x / 35.0, y / 35.0, 4) > 0.665) {
                c = k_grassland;
            }

            uint8_t d = c;
            const double growth =
                6.0 +
                24.0 * clamp01((fbm(demo_seed(seed_growth), x / 70.0, y / 70.0, 2) - 0.38) / 0.25);
            const bool in_park =
                col >= f.park_x0 && col < f.park_x1 && row >= f.park_y0 && row < f.park_y1;
            if (c == k_water) {
                d = k_water;
            } else if (in_park) {
                d = k_impervious;
            } else if (cd >= f.core_radius && cd < f.core_radius + growth &&
                       (c == k_cropland ||
                        (c == k_grassland &&
                         value_noise(demo_seed(seed_growth_grass), x / 7.0, y / 7.0) > 0.4))) {
                d = k_impervious;
            } else if ((c == k_cropland || c == k_grassland) && h >= k_forest_line - 0.06 &&
                       fbm(demo_seed(seed_afforest), x / 20.0, y / 20.0, 3) > 0.6) {
                d = k_forest;
            } else if (c == k_forest && h < k_forest_line + 0.03 &&
                       fbm(demo_seed(seed_deforest), x / 14.0, y / 14.0, 2) > 0.6) {
                d = k_cropland;
            }

            const size_t i = static_cast<size_t>(row) * k_demo_width + col;
            const bool cloud = in_cloud(f, x, y);
            lc15[i] = cloud ? k_nodata : c;
            lc20[i] = cloud || in_gap_2020(col, row) ? k_nodata : d;
        }
    }
}

/// Write one demo epoch as a GeoTIFF. Throws Failure.
void write_demo_raster(const fs::path &path, const std::vector<uint8_t> &lc, int year) {
    DatasetPtr ds = create_land_cover(path, k_demo_width, k_demo_height, false);
    if (ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, k_demo_width, k_demo_height,
                                       const_cast<uint8_t *>(lc.data()), k_demo_width,
                                       k_demo_height, GDT_Byte, 0, 0, nullptr) != CE_None) {
        io_error("cannot write land-cover raster", path.string(), cs::raster::last_gdal_error());
    }
    close_dataset(ds, path);
    std::printf("wrote %s: land cover %d, %d x %d Byte, EPSG:%d, %g m pixels, %ju bytes\n",
                path.string().c_str(), year, k_demo_width, k_demo_height, k_epsg, k_pixel,
                bytes_of(path));
}

// ------------------------------------------------------------------------------------------------
// Sample mode: forest inventory layers for stocks.inventory
// ------------------------------------------------------------------------------------------------

constexpr uint8_t k_type_nodata = 0;
constexpr uint8_t k_type_fir = 1;  ///< Chinese fir plantation (forest_types.csv code 1)
constexpr uint8_t k_type_pine = 2; ///< temperate pines (forest_types.csv code 2)
constexpr float k_volume_nodata = -1.0f;
/// Volumes are whole m3/ha: smooth fields of whole numbers compress several times better than
/// full Float32 precision, which keeps data-samples/ small.
constexpr double k_volume_step = 1.0;

/// Forest below this line of (hill height + patch noise) is Chinese fir, above it pines.
constexpr double k_fir_line = 0.75;

/// The forest inventory of the demo city (row-major, 600 x 500 each).
struct DemoInventory {
    std::vector<uint8_t> forest_type; ///< k_type_*, where either epoch is forest; 0 elsewhere
    std::vector<float> volume15;      ///< m3/ha where 2015 is forest; k_volume_nodata elsewhere
    std::vector<float> volume20;      ///< m3/ha where 2020 is forest; k_volume_nodata elsewhere
};

/// `v` rounded to the nearest multiple of k_volume_step.
double round_volume(double v) { return std::round(v / k_volume_step) * k_volume_step; }

/// Forest type of a forest pixel: Chinese fir on the lower (southern) slopes of the forest,
/// pines in the northern hills. The boundary follows the hill height, displaced by fBm patch
/// noise (features of 7 to 30 pixels, 200 to 900 m), so each type also has outlying stands in
/// the other's zone.
uint8_t demo_forest_type(double x, double y) {
    const double score =
        demo_hills(x, y) + 0.22 * (fbm(demo_seed(seed_forest_type), x / 30.0, y / 30.0, 3) - 0.5);
    return score < k_fir_line ? k_type_fir : k_type_pine;
}

/// 2015 growing-stock volume of established forest, m3/ha: 60 to 180, varying smoothly (fBm with
/// features of 14 to 55 pixels, 400 m to 1.6 km).
double demo_volume_2015(double x, double y) {
    const double s = clamp01((fbm(demo_seed(seed_volume), x / 55.0, y / 55.0, 3) - 0.27) / 0.46);
    return 60.0 + 120.0 * s;
}

/// Growth factor of established forest from 2015 to 2020: 1.055 to 1.145, varying smoothly.
double demo_volume_growth(double x, double y) {
    const double s =
        clamp01((fbm(demo_seed(seed_volume_growth), x / 60.0, y / 60.0, 2) - 0.3) / 0.4);
    return 1.055 + 0.09 * s;
}

/// 2020 volume of a stand afforested between 2015 and 2020, m3/ha: 5 to 25.
double demo_young_volume(double x, double y) {
    const double s =
        clamp01((fbm(demo_seed(seed_young_volume), x / 25.0, y / 25.0, 2) - 0.3) / 0.4);
    return 5.0 + 20.0 * s;
}

/// Forest type and volume of both epochs from the land cover. A pixel forested in 2015 is
/// established forest (its 2020 volume, if still forest, is the 2015 volume times the growth
/// factor); a pixel forested only in 2020 was afforested and has a young stand's volume.
DemoInventory generate_demo_inventory(const std::vector<uint8_t> &lc15,
                                      const std::vector<uint8_t> &lc20) {
    DemoInventory inv;
    inv.forest_type.assign(lc15.size(), k_type_nodata);
    inv.volume15.assign(lc15.size(), k_volume_nodata);
    inv.volume20.assign(lc15.size(), k_volume_nodata);
    for (int row = 0; row < k_demo_height; ++row) {
        for (int col = 0; col < k_demo_width; ++col) {
            const size_t i = static_cast<size_t>(row) * k_demo_width + col;
            const bool forest15 = lc15[i] == k_forest;
            const bool forest20 = lc20[i] == k_forest;
            if (!forest15 && !forest20) {
                continue;
            }
            const double x = col + 0.5;
            const double y = row + 0.5;
            inv.forest_type[i] = demo_forest_type(x, y);
            const double v15 = demo_volume_2015(x, y);
            const double q15 = round_volume(v15);
            if (forest15) {
                inv.volume15[i] = static_cast<float>(q15);
            }
            if (forest20) {
                const bool young = !forest15 && lc15[i] != k_nodata;
                double q20 = 0.0;
                if (young) {
                    q20 = round_volume(demo_young_volume(x, y));
                } else {
                    // Round the smooth product, then keep the ratio of the rounded volumes
                    // inside 1.05 to 1.15.
                    q20 = std::clamp(round_volume(v15 * demo_volume_growth(x, y)),
                                     std::ceil(1.05 * q15 / k_volume_step) * k_volume_step,
                                     std::floor(1.15 * q15 / k_volume_step) * k_volume_step);
                }
                inv.volume20[i] = static_cast<float>(q20);
            }
        }
    }
    return inv;
}

/// Create a single-band GeoTIFF on the demo grid: tiled 256 x 256, DEFLATE level 9 (or, with
/// `zstd`, ZSTD level 9) with horizontal predictor (smaller than the floating-point predictor
/// for whole-number volumes), `nodata`, band description and unit. Throws Failure.
DatasetPtr create_demo_layer(const fs::path &path, GDALDataType type, double nodata,
                             const char *description, const char *unit, bool zstd = false) {
    remove_previous(path);
    GDALDriver *driver = GetGDALDriverManager()->GetDriverByName("GTiff");
    if (driver == nullptr) {
        io_error("cannot create raster", path.string(), "GDAL has no GTiff driver");
    }
    CPLStringList options;
    options.SetNameValue("TILED", "YES");
    options.SetNameValue("BLOCKXSIZE", std::to_string(k_tile).c_str());
    options.SetNameValue("BLOCKYSIZE", std::to_string(k_tile).c_str());
    options.SetNameValue("COMPRESS", zstd ? "ZSTD" : "DEFLATE");
    options.SetNameValue("PREDICTOR", "2");
    options.SetNameValue(zstd ? "ZSTD_LEVEL" : "ZLEVEL", "9");
    CPLErrorReset();
    DatasetPtr ds(driver->Create(path.string().c_str(), k_demo_width, k_demo_height, 1, type,
                                 options.List()));
    if (!ds) {
        io_error("cannot create raster", path.string(), cs::raster::last_gdal_error());
    }
    double gt[6] = {k_origin_x, k_pixel, 0.0, k_origin_y, 0.0, -k_pixel};
    const OGRSpatialReference srs = utm_crs();
    GDALRasterBand *band = ds->GetRasterBand(1);
    band->SetDescription(description);
    if (ds->SetGeoTransform(gt) != CE_None || ds->SetSpatialRef(&srs) != CE_None ||
        band->SetNoDataValue(nodata) != CE_None || band->SetUnitType(unit) != CE_None) {
        io_error("cannot set georeferencing", path.string(), cs::raster::last_gdal_error());
    }
    return ds;
}

/// Write the forest-type raster (Byte, NoData 0, colour table and category names). Throws
/// Failure.
void write_forest_type_raster(const fs::path &path, const std::vector<uint8_t> &types) {
    DatasetPtr ds = create_demo_layer(path, GDT_Byte, k_type_nodata,
                                      "forest type (codes of forest_types.csv)", "class");
    GDALRasterBand *band = ds->GetRasterBand(1);
    GDALColorTable colors;
    const GDALColorEntry none = {0, 0, 0, 0};
    const GDALColorEntry fir = {166, 97, 26, 255};
    const GDALColorEntry pine = {1, 102, 94, 255};
    colors.SetColorEntry(k_type_nodata, &none);
    colors.SetColorEntry(k_type_fir, &fir);
    colors.SetColorEntry(k_type_pine, &pine);
    CPLStringList names;
    names.AddString("not forest");
    names.AddString("Chinese fir plantation");
    names.AddString("Temperate pines");
    if (band->SetColorTable(&colors) != CE_None ||
        band->SetCategoryNames(names.List()) != CE_None ||
        band->RasterIO(GF_Write, 0, 0, k_demo_width, k_demo_height,
                       const_cast<uint8_t *>(types.data()), k_demo_width, k_demo_height, GDT_Byte,
                       0, 0, nullptr) != CE_None) {
        io_error("cannot write forest-type raster", path.string(), cs::raster::last_gdal_error());
    }
    close_dataset(ds, path);
    std::printf("wrote %s: forest type, %d x %d Byte, %ju bytes\n", path.string().c_str(),
                k_demo_width, k_demo_height, bytes_of(path));
}

/// Write one growing-stock volume raster (Float32, m3/ha, NoData -1). Throws Failure.
void write_volume_raster(const fs::path &path, const std::vector<float> &volume, int year) {
    const std::string description = "growing-stock volume " + std::to_string(year);
    DatasetPtr ds =
        create_demo_layer(path, GDT_Float32, k_volume_nodata, description.c_str(), "m3/ha");
    if (ds->GetRasterBand(1)->RasterIO(GF_Write, 0, 0, k_demo_width, k_demo_height,
                                       const_cast<float *>(volume.data()), k_demo_width,
                                       k_demo_height, GDT_Float32, 0, 0, nullptr) != CE_None) {
        io_error("cannot write volume raster", path.string(), cs::raster::last_gdal_error());
    }
    close_dataset(ds, path);
    std::printf("wrote %s: growing-stock volume %d, %d x %d Float32 m3/ha, %ju bytes\n",
                path.string().c_str(), year, k_demo_width, k_demo_height, bytes_of(path));
}

/// Patches of one forest type: 8-connected components of pixels with that code.
struct PatchStats {
    int64_t count = 0;
    int64_t largest = 0;
    int64_t median = 0;
};

PatchStats patch_stats(const std::vector<uint8_t> &types, uint8_t code) {
    std::vector<uint8_t> seen(types.size(), 0);
    std::vector<int64_t> sizes;
    std::vector<size_t> stack;
    for (size_t start = 0; start < types.size(); ++start) {
        if (types[start] != code || seen[start]) {
            continue;
        }
        int64_t n = 0;
        seen[start] = 1;
        stack.push_back(start);
        while (!stack.empty()) {
            const size_t i = stack.back();
            stack.pop_back();
            ++n;
            const int row = static_cast<int>(i / k_demo_width);
            const int col = static_cast<int>(i % k_demo_width);
            for (int dr = -1; dr <= 1; ++dr) {
                for (int dc = -1; dc <= 1; ++dc) {
                    const int r = row + dr;
                    const int c = col + dc;
                    if (r < 0 || r >= k_demo_height || c < 0 || c >= k_demo_width) {
                        continue;
                    }
                    const size_t j = static_cast<size_t>(r) * k_demo_width + c;
                    if (types[j] == code && !seen[j]) {
                        seen[j] = 1;
                        stack.push_back(j);
                    }
                }
            }
        }
        sizes.push_back(n);
    }
    PatchStats s;
    s.count = static_cast<int64_t>(sizes.size());
    if (!sizes.empty()) {
        std::sort(sizes.begin(), sizes.end());
        s.largest = sizes.back();
        s.median = sizes[sizes.size() / 2];
    }
    return s;
}

/// Min, mean and max of a set of values.
struct Range {
    int64_t n = 0;
    double min = 0.0, max = 0.0, sum = 0.0;
    void add(double v) {
        min = n == 0 ? v : std::min(min, v);
        max = n == 0 ? v : std::max(max, v);
        sum += v;
        ++n;
    }
    void print(const char *label) const {
        std::printf("  %-40s %6lld px  min %7.3f  mean %7.3f  max %7.3f\n", label,
                    static_cast<long long>(n), min, n > 0 ? sum / static_cast<double>(n) : 0.0,
                    max);
    }
};

/// Print forest-type pixel counts and patches, and volume statistics by stand kind and type.
void print_inventory(const DemoInventory &inv, const std::vector<uint8_t> &lc15,
                     const std::vector<uint8_t> &lc20) {
    std::printf("forest type      pixels  patches  median patch  largest patch (px; 1 px = 0.09 "
                "ha)\n");
    for (const auto &[code, name] :
         {std::pair{k_type_fir, "1 Chinese fir"}, std::pair{k_type_pine, "2 pines"}}) {
        const PatchStats p = patch_stats(inv.forest_type, code);
        const auto px = std::count(inv.forest_type.begin(), inv.forest_type.end(), code);
        std::printf("  %-13s %7lld  %7lld  %12lld  %13lld\n", name, static_cast<long long>(px),
                    static_cast<long long>(p.count), static_cast<long long>(p.median),
                    static_cast<long long>(p.largest));
    }
    std::array<Range, 3> v15, v20, young, ratio;
    for (size_t i = 0; i < lc15.size(); ++i) {
        const uint8_t t = inv.forest_type[i];
        if (t == k_type_nodata) {
            continue;
        }
        const bool f15 = lc15[i] == k_forest;
        const bool f20 = lc20[i] == k_forest;
        for (size_t k : {size_t{0}, static_cast<size_t>(t)}) {
            if (f15) {
                v15[k].add(inv.volume15[i]);
            }
            if (f15 && f20) {
                v20[k].add(inv.volume20[i]);
                ratio[k].add(static_cast<double>(inv.volume20[i]) / inv.volume15[i]);
            } else if (f20) {
                young[k].add(inv.volume20[i]);
            }
        }
    }
    std::printf("growing-stock volume (m3/ha)\n");
    const char *type_name[3] = {"all", "fir", "pines"};
    for (size_t k = 0; k < 3; ++k) {
        const std::string t = std::string(" (") + type_name[k] + ")";
        v15[k].print(("2015, forest 2015" + t).c_str());
        v20[k].print(("2020, forest both epochs" + t).c_str());
        ratio[k].print(("2020 / 2015, forest both epochs" + t).c_str());
        young[k].print(("2020, afforested 2015-2020" + t).c_str());
    }
}

// ------------------------------------------------------------------------------------------------
// Sample mode: soil strata for soil.ipcc_tier1
// ------------------------------------------------------------------------------------------------

/// IPCC 2019 climate zone of the whole demo city: code 3, cool temperate moist
/// (configs/parameters/ipcc_climate_zone_codes.csv). A choice for the temperate sample city, not
/// read from a climate map.
constexpr uint8_t k_zone_cool_temperate_moist = 3;

constexpr uint8_t k_soil_nodata = 0;
constexpr uint8_t k_soil_hac = 1;   ///< high-activity clay mineral soils (most of the map)
constexpr uint8_t k_soil_lac = 2;   ///< low-activity clay mineral soils (a broad southern patch)
constexpr uint8_t k_soil_sandy = 3; ///< sandy soils (river banks and the lake shore)

/// Soil type at (x, y): sandy in a band along the river (2 to 12 pixels, 60 to 360 m, beyond
/// the water's edge on either bank) and round the lake shore (about 3 to 8 pixels); low-activity
/// clays in a broad noisy ellipse south of the river (about 340 x 170 pixels, its edge displaced
/// by fBm with features of 1 to 4 km); high-activity clays everywhere else. The river and lake
/// themselves are sandy too (a stratum that their `table` rule does not use). Every pixel has a
/// soil type, so the soil model leaves no pixel invalid.
uint8_t demo_soil_type(const DemoFeatures &f, double x, double y) {
    const uint64_t sand = demo_seed(seed_soil_sand);
    const double bank = 2.0 + 10.0 * clamp01((fbm(sand, x / 22.0, y / 22.0, 2) - 0.3) / 0.4);
    if (river_distance(x, y) < river_half_width(x) + bank) {
        return k_soil_sandy;
    }
    const double shore = 1.3 + 0.3 * (fbm(sand + 1, x / 8.0, y / 8.0, 2) - 0.5);
    if (lake_metric(f, x, y) < shore) {
        return k_soil_sandy;
    }
    const double u = (x - 240.0) / 170.0;
    const double v = (y - 415.0) / 85.0;
    const double edge = 1.0 + 0.7 * (fbm(demo_seed(seed_soil_lac), x / 45.0, y / 45.0, 3) - 0.5);
    return std::sqrt(u * u + v * v) < edge ? k_soil_lac : k_soil_hac;
}

/// The soil-type raster of the demo city (row-major, 600 x 500).
std::vector<uint8_t> generate_demo_soil(const DemoFeatures &f) {
    std::vector<uint8_t> soil(static_cast<size_t>(k_demo_width) * k_demo_height, k_soil_nodata);
    for (int row = 0; row < k_demo_height; ++row) {
        for (int col = 0; col < k_demo_width; ++col) {
            soil[static_cast<size_t>(row) * k_demo_width + col] =
                demo_soil_type(f, col + 0.5, row + 0.5);
        }
    }
    return soil;
}

/// A legend entry of a class raster: code, name and colour.
struct LegendEntry {
    uint8_t code;
    const char *name;
    std::array<short, 3> rgb;
};

/// Write a Byte class raster on the demo grid (NoData 0, DEFLATE level 9, PREDICTOR 2) with
/// category names for the codes of `legend` (code 0 is "nodata") and, when `palette`, a colour
/// table. Throws Failure.
void write_class_raster(const fs::path &path, const std::vector<uint8_t> &codes,
                        const char *description, const std::vector<LegendEntry> &legend,
                        bool palette, const char *what) {
    DatasetPtr ds = create_demo_layer(path, GDT_Byte, 0, description, "class");
    GDALRasterBand *band = ds->GetRasterBand(1);
    GDALColorTable colors;
    const GDALColorEntry none = {0, 0, 0, 0};
    colors.SetColorEntry(0, &none);
    uint8_t top = 0;
    for (const LegendEntry &e : legend) {
        top = std::max(top, e.code);
    }
    std::vector<std::string> names(static_cast<size_t>(top) + 1);
    names[0] = "nodata";
    for (int code = 1; code <= top; ++code) {
        const GDALColorEntry unused = {0, 0, 0, 255};
        colors.SetColorEntry(code, &unused);
    }
    for (const LegendEntry &e : legend) {
        const GDALColorEntry c = {e.rgb[0], e.rgb[1], e.rgb[2], 255};
        colors.SetColorEntry(e.code, &c);
        names[e.code] = e.name;
    }
    CPLStringList category_names;
    for (const std::string &n : names) {
        category_names.AddString(n.c_str());
    }
    if ((palette && band->SetColorTable(&colors) != CE_None) ||
        band->SetCategoryNames(category_names.List()) != CE_None ||
        band->RasterIO(GF_Write, 0, 0, k_demo_width, k_demo_height,
                       const_cast<uint8_t *>(codes.data()), k_demo_width, k_demo_height, GDT_Byte,
                       0, 0, nullptr) != CE_None) {
        io_error(std::string("cannot write ") + what + " raster", path.string(),
                 cs::raster::last_gdal_error());
    }
    close_dataset(ds, path);
    std::printf("wrote %s: %s, %d x %d Byte, %ju bytes\n", path.string().c_str(), what,
                k_demo_width, k_demo_height, bytes_of(path));
}

/// Print soil-type pixel counts and patches, and the soil types under each land-cover class.
void print_soil(const std::vector<uint8_t> &soil, const std::vector<uint8_t> &lc15,
                const std::vector<uint8_t> &lc20) {
    std::printf("soil type        pixels  patches  median patch  largest patch (px)\n");
    for (const auto &[code, name] : {std::pair{k_soil_hac, "1 HAC"}, std::pair{k_soil_lac, "2 LAC"},
                                     std::pair{k_soil_sandy, "3 sandy"}}) {
        const PatchStats p = patch_stats(soil, code);
        const auto px = std::count(soil.begin(), soil.end(), code);
        std::printf("  %-13s %7lld  %7lld  %12lld  %13lld\n", name, static_cast<long long>(px),
                    static_cast<long long>(p.count), static_cast<long long>(p.median),
                    static_cast<long long>(p.largest));
    }
    for (const auto &[lc, year] : {std::pair{&lc15, 2015}, std::pair{&lc20, 2020}}) {
        std::printf("land cover %d x soil type   HAC      LAC    sandy\n", year);
        for (const ClassInfo &c : k_classes) {
            std::array<int64_t, 4> n{};
            for (size_t i = 0; i < soil.size(); ++i) {
                if ((*lc)[i] == c.code) {
                    ++n[soil[i]];
                }
            }
            std::printf("  %d %-12s %9lld %8lld %8lld\n", c.code, c.name,
                        static_cast<long long>(n[k_soil_hac]),
                        static_cast<long long>(n[k_soil_lac]),
                        static_cast<long long>(n[k_soil_sandy]));
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Sample mode: cropland management for soil.ipcc_tier1 mode raster
// ------------------------------------------------------------------------------------------------

constexpr uint8_t k_mg_nodata = 0;
constexpr uint8_t k_mg_full_tillage = 1;    ///< management_codes.csv code 1
constexpr uint8_t k_mg_reduced_tillage = 2; ///< code 2
constexpr uint8_t k_mg_no_tillage = 3;      ///< code 3

/// Tillage at (x, y): farms in patches of a smooth fBm field (features of about 0.6 to 2.4 km):
/// the highest values no-till, the next reduced tillage, the rest full tillage. Made up.
uint8_t demo_management(double x, double y) {
    const double m = fbm(demo_seed(seed_management), x / 40.0, y / 40.0, 3);
    return m > 0.65 ? k_mg_no_tillage : (m > 0.55 ? k_mg_reduced_tillage : k_mg_full_tillage);
}

/// The management raster (row-major, 600 x 500): a code on every pixel that is cropland in 2015
/// or 2020, nodata elsewhere (no other class reads it). One raster serves both epochs.
std::vector<uint8_t> generate_demo_management(const std::vector<uint8_t> &lc15,
                                              const std::vector<uint8_t> &lc20) {
    std::vector<uint8_t> mg(lc15.size(), k_mg_nodata);
    for (int row = 0; row < k_demo_height; ++row) {
        for (int col = 0; col < k_demo_width; ++col) {
            const size_t i = static_cast<size_t>(row) * k_demo_width + col;
            if (lc15[i] == k_cropland || lc20[i] == k_cropland) {
                mg[i] = demo_management(col + 0.5, row + 0.5);
            }
        }
    }
    return mg;
}

/// Print the cropland pixels of each epoch by management code and soil type.
void print_management(const std::vector<uint8_t> &mg, const std::vector<uint8_t> &soil,
                      const std::vector<uint8_t> &lc15, const std::vector<uint8_t> &lc20) {
    for (const auto &[lc, year] : {std::pair{&lc15, 2015}, std::pair{&lc20, 2020}}) {
        std::printf("cropland %d x management        HAC      LAC    sandy\n", year);
        for (const auto &[code, name] : {std::pair{k_mg_full_tillage, "1 full tillage"},
                                         std::pair{k_mg_reduced_tillage, "2 reduced tillage"},
                                         std::pair{k_mg_no_tillage, "3 no-till"}}) {
            std::array<int64_t, 4> n{};
            for (size_t i = 0; i < mg.size(); ++i) {
                if ((*lc)[i] == k_cropland && mg[i] == code) {
                    ++n[soil[i]];
                }
            }
            std::printf("  %-20s %9lld %8lld %8lld\n", name, static_cast<long long>(n[k_soil_hac]),
                        static_cast<long long>(n[k_soil_lac]),
                        static_cast<long long>(n[k_soil_sandy]));
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Sample mode: 12 months of NDVI and climate for models.nep (demo-seasonal.yaml)
// ------------------------------------------------------------------------------------------------

// Made-up monthly values for 2020, shaped like a cool temperate monsoon climate at the sample's
// latitude (about 42 deg N): cold dry winters, a warm wet summer. They describe no station and
// no real year; they only have to look plausible. Index 0 is January.
constexpr std::array<double, 12> k_tmean_c = {-11.0, -6.5, 1.0,  10.0, 17.0, 22.0,
                                              24.6,  23.6, 17.5, 9.5,  0.5,  -7.5};
constexpr std::array<double, 12> k_prec_mm = {7.0,   10.0,  20.0, 40.0, 60.0, 95.0,
                                              170.0, 160.0, 70.0, 40.0, 20.0, 10.0};
constexpr std::array<double, 12> k_sol_mj_per_m2 = {220.0, 290.0, 430.0, 520.0, 600.0, 590.0,
                                                    540.0, 510.0, 450.0, 350.0, 240.0, 190.0};
constexpr std::array<double, 12> k_pet_mm = {10.0,  18.0,  45.0, 90.0, 130.0, 140.0,
                                             135.0, 120.0, 85.0, 50.0, 20.0,  10.0};
constexpr std::array<double, 12> k_et_mm = {5.0,   8.0,   18.0, 40.0, 70.0, 100.0,
                                            120.0, 110.0, 65.0, 35.0, 12.0, 6.0};

/// Made-up NDVI per CLCD class and month (index 0 is January): crops green up in June and peak
/// in August, the evergreen needleleaf forest keeps a winter floor, water is below 0.
struct ClassNdvi {
    uint8_t code;
    std::array<double, 12> ndvi;
};
constexpr std::array<ClassNdvi, 5> k_class_ndvi = {{
    {k_cropland, {0.12, 0.12, 0.14, 0.20, 0.32, 0.55, 0.74, 0.78, 0.62, 0.32, 0.18, 0.13}},
    {k_forest, {0.36, 0.36, 0.40, 0.50, 0.68, 0.80, 0.84, 0.83, 0.74, 0.58, 0.42, 0.37}},
    {k_grassland, {0.16, 0.16, 0.18, 0.26, 0.42, 0.56, 0.64, 0.63, 0.52, 0.34, 0.22, 0.17}},
    {k_water, {0.00, 0.00, -0.03, -0.08, -0.10, -0.10, -0.10, -0.10, -0.10, -0.08, -0.04, 0.00}},
    {k_impervious, {0.10, 0.10, 0.11, 0.13, 0.16, 0.18, 0.19, 0.19, 0.17, 0.14, 0.11, 0.10}},
}};

/// NDVI cells are 16 x 16 pixels (480 m, like 500 m MODIS NDVI resampled to the 30 m grid);
/// climate cells 32 x 32 pixels (960 m, like a 1 km climate grid resampled to it).
constexpr int k_ndvi_cell = 16;
constexpr int k_climate_cell = 32;
/// NDVI is stored as Int16 x 0.0001 (the MODIS MOD13 convention), NoData -32768.
constexpr double k_ndvi_scale = 0.0001;
constexpr int16_t k_ndvi_nodata = -32768;
constexpr float k_climate_nodata = -9999.0f;

/// The NDVI of one month: per 16 x 16 cell, the mean class NDVI of the cell's 2020 land-cover
/// pixels plus up to +-0.02 of cell noise, rounded to 0.001 and stored as Int16 x 0.0001;
/// NoData where the cell has no land-cover data.
std::vector<int16_t> generate_demo_ndvi(const std::vector<uint8_t> &lc20, int month) {
    std::vector<int16_t> out(lc20.size(), k_ndvi_nodata);
    for (int cy = 0; cy * k_ndvi_cell < k_demo_height; ++cy) {
        for (int cx = 0; cx * k_ndvi_cell < k_demo_width; ++cx) {
            const int y0 = cy * k_ndvi_cell;
            const int x0 = cx * k_ndvi_cell;
            const int y1 = std::min(y0 + k_ndvi_cell, k_demo_height);
            const int x1 = std::min(x0 + k_ndvi_cell, k_demo_width);
            double sum = 0.0;
            int n = 0;
            for (int y = y0; y < y1; ++y) {
                for (int x = x0; x < x1; ++x) {
                    const uint8_t c = lc20[static_cast<size_t>(y) * k_demo_width + x];
                    for (const ClassNdvi &k : k_class_ndvi) {
                        if (k.code == c) {
                            sum += k.ndvi[static_cast<size_t>(month)];
                            ++n;
                        }
                    }
                }
            }
            if (n == 0) {
                continue;
            }
            const double noise =
                0.04 *
                (unit(hash3(demo_seed(seed_ndvi) + static_cast<uint64_t>(month), cx, cy)) - 0.5);
            const double ndvi = std::clamp(sum / n + noise, -1.0, 1.0);
            const auto v = static_cast<int16_t>(10 * std::lround(ndvi * 1000.0)); // 0.001 steps
            for (int y = y0; y < y1; ++y) {
                std::fill(out.begin() + static_cast<std::ptrdiff_t>(y) * k_demo_width + x0,
                          out.begin() + static_cast<std::ptrdiff_t>(y) * k_demo_width + x1, v);
            }
        }
    }
    return out;
}

/// The climate layers of one month.
struct DemoClimate {
    std::vector<float> tmean, prec, sol, et, pet;
};

/// One month of climate: per 32 x 32 cell, the month's value adjusted for the hill height of the
/// cell centre (cooler, wetter and a little cloudier uphill) with up to +-1 % of cell noise.
/// Actual evapotranspiration never exceeds the potential.
DemoClimate generate_demo_climate(int month) {
    DemoClimate c;
    const size_t n = static_cast<size_t>(k_demo_width) * k_demo_height;
    for (auto *v : {&c.tmean, &c.prec, &c.sol, &c.et, &c.pet}) {
        v->assign(n, k_climate_nodata);
    }
    const auto m = static_cast<size_t>(month);
    for (int cy = 0; cy * k_climate_cell < k_demo_height; ++cy) {
        for (int cx = 0; cx * k_climate_cell < k_demo_width; ++cx) {
            const int y0 = cy * k_climate_cell;
            const int x0 = cx * k_climate_cell;
            const int y1 = std::min(y0 + k_climate_cell, k_demo_height);
            const int x1 = std::min(x0 + k_climate_cell, k_demo_width);
            const double h = demo_hills(0.5 * (x0 + x1), 0.5 * (y0 + y1)) - 0.5;
            const double noise =
                0.02 * (unit(hash3(demo_seed(seed_climate) + m, cx, cy)) - 0.5); // +-1 %
            const double round1 = 10.0;                                          // values to 0.1
            auto r = [&](double v) { return static_cast<float>(std::round(v * round1) / round1); };
            const float t = r(k_tmean_c[m] - 3.0 * h + noise * 10.0);
            const float p = r(k_prec_mm[m] * (1.0 + 0.15 * h + noise));
            const float s = r(k_sol_mj_per_m2[m] * (1.0 - 0.04 * h + noise));
            const float pet = r(k_pet_mm[m] * (1.0 - 0.10 * h + noise));
            const float et = std::min(pet, r(k_et_mm[m] * (1.0 + 0.10 * h - noise)));
            for (int y = y0; y < y1; ++y) {
                const size_t a = static_cast<size_t>(y) * k_demo_width + static_cast<size_t>(x0);
                const size_t b = a + static_cast<size_t>(x1 - x0);
                std::fill(c.tmean.begin() + static_cast<std::ptrdiff_t>(a),
                          c.tmean.begin() + static_cast<std::ptrdiff_t>(b), t);
                std::fill(c.prec.begin() + static_cast<std::ptrdiff_t>(a),
                          c.prec.begin() + static_cast<std::ptrdiff_t>(b), p);
                std::fill(c.sol.begin() + static_cast<std::ptrdiff_t>(a),
                          c.sol.begin() + static_cast<std::ptrdiff_t>(b), s);
                std::fill(c.et.begin() + static_cast<std::ptrdiff_t>(a),
                          c.et.begin() + static_cast<std::ptrdiff_t>(b), et);
                std::fill(c.pet.begin() + static_cast<std::ptrdiff_t>(a),
                          c.pet.begin() + static_cast<std::ptrdiff_t>(b), pet);
            }
        }
    }
    return c;
}

/// Write one monthly layer (Int16 NDVI with its scale, or Float32 climate). Returns its size.
template <class T>
uintmax_t write_monthly_layer(const fs::path &path, const std::vector<T> &values, GDALDataType type,
                              double nodata, double scale, const std::string &description,
                              const char *unit) {
    // ZSTD: the layers are constant over cells of 16 or 32 rows and columns, and DEFLATE (whose
    // matches are at most 258 bytes long) stores them about five times larger.
    DatasetPtr ds = create_demo_layer(path, type, nodata, description.c_str(), unit, true);
    GDALRasterBand *band = ds->GetRasterBand(1);
    if ((scale != 1.0 && (band->SetScale(scale) != CE_None || band->SetOffset(0.0) != CE_None)) ||
        band->RasterIO(GF_Write, 0, 0, k_demo_width, k_demo_height, const_cast<T *>(values.data()),
                       k_demo_width, k_demo_height, type, 0, 0, nullptr) != CE_None) {
        io_error("cannot write monthly raster", path.string(), cs::raster::last_gdal_error());
    }
    close_dataset(ds, path);
    return bytes_of(path);
}

/// Write met/ndvi_2020MM.tif, tmean_, prec_, sol_, et_ and pet_ for the 12 months of 2020, and
/// print the monthly means over the land pixels.
void write_demo_seasonal(const fs::path &dir, const std::vector<uint8_t> &lc20) {
    const fs::path met = dir / "met";
    make_output_dir(met);
    uintmax_t bytes = 0;
    std::printf("month   NDVI mean  T mean  P mean  SOL mean  ET mean  PET mean (land pixels)\n");
    for (int month = 0; month < 12; ++month) {
        char ym[16];
        std::snprintf(ym, sizeof ym, "2020%02d", month + 1);
        const std::string when = std::string(" 2020-") + (ym + 4);
        const std::vector<int16_t> ndvi = generate_demo_ndvi(lc20, month);
        const DemoClimate c = generate_demo_climate(month);
        bytes += write_monthly_layer(met / ("ndvi_" + std::string(ym) + ".tif"), ndvi, GDT_Int16,
                                     k_ndvi_nodata, k_ndvi_scale, "NDVI" + when, "NDVI");
        bytes += write_monthly_layer(met / ("tmean_" + std::string(ym) + ".tif"), c.tmean,
                                     GDT_Float32, k_climate_nodata, 1.0,
                                     "monthly mean air temperature" + when, "deg C");
        bytes +=
            write_monthly_layer(met / ("prec_" + std::string(ym) + ".tif"), c.prec, GDT_Float32,
                                k_climate_nodata, 1.0, "monthly precipitation" + when, "mm");
        bytes += write_monthly_layer(met / ("sol_" + std::string(ym) + ".tif"), c.sol, GDT_Float32,
                                     k_climate_nodata, 1.0, "monthly total solar radiation" + when,
                                     "MJ m-2");
        bytes += write_monthly_layer(met / ("et_" + std::string(ym) + ".tif"), c.et, GDT_Float32,
                                     k_climate_nodata, 1.0,
                                     "monthly actual evapotranspiration" + when, "mm");
        bytes += write_monthly_layer(met / ("pet_" + std::string(ym) + ".tif"), c.pet, GDT_Float32,
                                     k_climate_nodata, 1.0,
                                     "monthly potential evapotranspiration" + when, "mm");
        double sums[6] = {0, 0, 0, 0, 0, 0};
        int64_t n = 0;
        for (size_t i = 0; i < lc20.size(); ++i) {
            if (ndvi[i] == k_ndvi_nodata) {
                continue;
            }
            sums[0] += ndvi[i] * k_ndvi_scale;
            sums[1] += c.tmean[i];
            sums[2] += c.prec[i];
            sums[3] += c.sol[i];
            sums[4] += c.et[i];
            sums[5] += c.pet[i];
            ++n;
        }
        const double d = n > 0 ? static_cast<double>(n) : 1.0;
        std::printf("%s  %9.3f  %6.1f  %6.1f  %8.1f  %7.1f  %8.1f\n", when.c_str() + 1, sums[0] / d,
                    sums[1] / d, sums[2] / d, sums[3] / d, sums[4] / d, sums[5] / d);
    }
    std::printf("wrote %s: 72 monthly rasters (12 months x 6 layers), %ju bytes\n",
                met.string().c_str(), bytes);
}

/// A point list in pixel coordinates (x right, y down).
using PixelLine = std::vector<std::array<double, 2>>;

/// A closed ring in map coordinates from pixel positions (the first point is not repeated).
std::unique_ptr<OGRLinearRing> ring_from_pixels(const PixelLine &pts) {
    auto ring = std::make_unique<OGRLinearRing>();
    for (const auto &p : pts) {
        ring->addPoint(k_origin_x + p[0] * k_pixel, k_origin_y - p[1] * k_pixel);
    }
    ring->closeRings();
    return ring;
}

/// A polygon in map coordinates from an outer ring and holes, all in pixel positions.
std::unique_ptr<OGRPolygon> polygon_from_pixels(const PixelLine &outer,
                                                const std::vector<PixelLine> &holes = {}) {
    auto poly = std::make_unique<OGRPolygon>();
    poly->addRingDirectly(ring_from_pixels(outer).release());
    for (const PixelLine &h : holes) {
        poly->addRingDirectly(ring_from_pixels(h).release());
    }
    return poly;
}

/// A noisy closed ring around (cx, cy) with radii (rx, ry) and `n` vertices.
PixelLine blob(uint64_t seed, double cx, double cy, double rx, double ry, int n, double jitter) {
    PixelLine pts;
    for (int k = 0; k < n; ++k) {
        const double a = 2.0 * M_PI * k / n;
        const double r = 1.0 + jitter * (2.0 * fbm_1d(seed, 4.0 * k / n, 2) - 1.0) +
                         0.3 * jitter * (2.0 * unit(hash3(seed, k, 1)) - 1.0);
        pts.push_back({cx + rx * r * std::cos(a), cy + ry * r * std::sin(a)});
    }
    return pts;
}

/// A polyline from (x0, y0) to (x1, y1) with `n` segments whose inner vertices are displaced
/// sideways by up to `amplitude` pixels; the end points stay exactly where they are given.
PixelLine jittered_line(uint64_t seed, double x0, double y0, double x1, double y1, int n,
                        double amplitude) {
    PixelLine pts;
    const double len = std::hypot(x1 - x0, y1 - y0);
    const double nx = -(y1 - y0) / len;
    const double ny = (x1 - x0) / len;
    pts.push_back({x0, y0});
    for (int k = 1; k < n; ++k) {
        const double t = static_cast<double>(k) / n;
        const double off = 0.8 * amplitude * (2.0 * fbm_1d(seed, 5.0 * t, 3) - 1.0) +
                           0.2 * amplitude * (2.0 * unit(hash3(seed, k, 2)) - 1.0);
        pts.push_back({lerp(x0, x1, t) + nx * off, lerp(y0, y1, t) + ny * off});
    }
    pts.push_back({x1, y1});
    return pts;
}

/// Append points [first, last] of `line` (inclusive indices, either direction) to `out`,
/// skipping a first point equal to the current last point of `out`.
void append(PixelLine &out, const PixelLine &line, size_t first, size_t last) {
    const auto push = [&](const std::array<double, 2> &p) {
        if (out.empty() || out.back() != p) {
            out.push_back(p);
        }
    };
    if (first <= last) {
        for (size_t i = first; i <= last; ++i) {
            push(line[i]);
        }
    } else {
        for (size_t i = first + 1; i-- > last;) {
            push(line[i]);
        }
    }
}

/// One demo district: code, name and geometry in EPSG:32651.
struct District {
    int code;
    std::string name;
    std::unique_ptr<OGRGeometry> geometry;
};

/// The five demo districts. They are built from shared boundary polylines (a north line, a
/// west line, a ragged east edge) and closed rings (Old Town, the park, an exclave) used by both
/// neighbours vertex for vertex, so they partition the study area exactly: no overlaps and no
/// gaps, and rounding of coordinates cannot open either. The study area is the grid with a
/// ragged east edge reaching up to about 10 pixels past the grid.
std::vector<District> demo_districts(const DemoFeatures &f) {
    const uint64_t seed = demo_seed(seed_boundaries);
    const double w = k_demo_width;
    const double h = k_demo_height;

    // East edge from the north-east to the south-east corner, split where the north line ends.
    const PixelLine east = jittered_line(seed + 1, w + 6.0, 0.0, w + 6.0, h, 20, 8.0);
    const size_t east_split = 6; // vertex at row 150
    // North line from the west edge to the east edge; the west line leaves it at vertex 7.
    const PixelLine north =
        jittered_line(seed + 2, 0.0, 112.0, east[east_split][0], east[east_split][1], 32, 20.0);
    const size_t north_split = 7;
    const PixelLine west =
        jittered_line(seed + 3, north[north_split][0], north[north_split][1], 140.0, h, 24, 16.0);

    const PixelLine town = blob(seed + 5, f.city_x, f.city_y, 60.0, 55.0, 44, 0.14);
    const PixelLine park = blob(seed + 4, 0.5 * (f.park_x0 + f.park_x1),
                                0.5 * (f.park_y0 + f.park_y1), 17.0, 13.5, 20, 0.08);
    const double slope = 0.5 * (river_y(f.island_x + 1.0) - river_y(f.island_x - 1.0));
    const double angle = std::atan(slope);
    PixelLine exclave;
    for (int k = 0; k < 18; ++k) {
        const double a = 2.0 * M_PI * k / 18;
        const double r = 1.0 + 0.12 * (2.0 * unit(hash3(seed + 6, k, 0)) - 1.0);
        const double u = 13.0 * r * std::cos(a);
        const double v = 6.0 * r * std::sin(a);
        exclave.push_back({f.island_x + u * std::cos(angle) - v * std::sin(angle),
                           f.island_y + u * std::sin(angle) + v * std::cos(angle)});
    }

    PixelLine hills_ring = {{0.0, 0.0}};
    append(hills_ring, east, 0, east_split);
    append(hills_ring, north, north.size() - 1, 0);

    PixelLine farm_ring;
    append(farm_ring, north, 0, north_split);
    append(farm_ring, west, 1, west.size() - 1);
    farm_ring.push_back({0.0, h});

    PixelLine river_ring;
    append(river_ring, north, north_split, north.size() - 1);
    append(river_ring, east, east_split, east.size() - 1);
    append(river_ring, west, west.size() - 1, 1);

    auto riverside = std::make_unique<OGRMultiPolygon>();
    riverside->addGeometryDirectly(polygon_from_pixels(river_ring, {town, park}).release());
    riverside->addGeometryDirectly(polygon_from_pixels(exclave).release());

    std::vector<District> out;
    out.push_back({101, "Old Town", polygon_from_pixels(town)});
    out.push_back({102, "Riverside", std::move(riverside)});
    out.push_back({103, "North Hills", polygon_from_pixels(hills_ring)});
    out.push_back({104, "West Farmland", polygon_from_pixels(farm_ring, {exclave})});
    out.push_back({105, "Eco-Industrial Park", polygon_from_pixels(park)});

    // The holes must lie strictly inside their polygons for the partition to be valid.
    if (OGRGeometryFactory::haveGEOS()) {
        for (const District &d : out) {
            if (!d.geometry->IsValid()) {
                throw Failure{1, "internal error: district polygons: " + d.name +
                                     ": the generated polygon is not valid"};
            }
        }
        for (size_t i = 0; i < out.size(); ++i) {
            for (size_t j = i + 1; j < out.size(); ++j) {
                if (out[i].geometry->Overlaps(out[j].geometry.get())) {
                    throw Failure{1, "internal error: district polygons: " + out[i].name + " and " +
                                         out[j].name + ": they overlap"};
                }
            }
        }
    }
    return out;
}

/// Write the demo districts as RFC 7946 GeoJSON in EPSG:4326 (lon/lat). Throws Failure.
void write_demo_districts(const fs::path &path, std::vector<District> districts) {
    remove_previous(path);
    OGRSpatialReference utm = utm_crs();
    OGRSpatialReference wgs84;
    if (wgs84.importFromEPSG(4326) != OGRERR_NONE) {
        io_error("cannot build CRS", "EPSG:4326", cs::raster::last_gdal_error());
    }
    wgs84.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    std::unique_ptr<OGRCoordinateTransformation> ct(
        OGRCreateCoordinateTransformation(&utm, &wgs84));
    if (!ct) {
        io_error("cannot reproject districts", "EPSG:32651 to EPSG:4326",
                 cs::raster::last_gdal_error());
    }
    GDALDriver *driver = GetGDALDriverManager()->GetDriverByName("GeoJSON");
    if (driver == nullptr) {
        io_error("cannot create districts", path.string(), "GDAL has no GeoJSON driver");
    }
    CPLErrorReset();
    DatasetPtr ds(driver->Create(path.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) {
        io_error("cannot create districts", path.string(), cs::raster::last_gdal_error());
    }
    CPLStringList layer_options;
    layer_options.SetNameValue("RFC7946", "YES");
    OGRLayer *layer = ds->CreateLayer("districts", &wgs84, wkbUnknown, layer_options.List());
    OGRFieldDefn code_field("code", OFTInteger);
    OGRFieldDefn name_field("name", OFTString);
    if (layer == nullptr || layer->CreateField(&code_field) != OGRERR_NONE ||
        layer->CreateField(&name_field) != OGRERR_NONE) {
        io_error("cannot create districts layer", path.string(), cs::raster::last_gdal_error());
    }
    for (District &d : districts) {
        if (d.geometry->transform(ct.get()) != OGRERR_NONE) {
            io_error("cannot reproject district", d.name, cs::raster::last_gdal_error());
        }
        OGRFeature feature(layer->GetLayerDefn());
        feature.SetField("code", d.code);
        feature.SetField("name", d.name.c_str());
        feature.SetGeometryDirectly(d.geometry.release());
        if (layer->CreateFeature(&feature) != OGRERR_NONE) {
            io_error("cannot write district", path.string() + ", " + d.name,
                     cs::raster::last_gdal_error());
        }
    }
    close_dataset(ds, path);
    std::printf("wrote %s: %zu districts, RFC 7946 GeoJSON, EPSG:4326, %ju bytes\n",
                path.string().c_str(), districts.size(), bytes_of(path));
}

/// Sample mode: write the demo city into `dir`.
void run_sample(const fs::path &dir) {
    make_output_dir(dir);
    const DemoFeatures features = demo_features();
    std::vector<uint8_t> lc15;
    std::vector<uint8_t> lc20;
    generate_demo(features, lc15, lc20);
    write_demo_raster(dir / "land_cover_2015.tif", lc15, 2015);
    write_demo_raster(dir / "land_cover_2020.tif", lc20, 2020);
    write_demo_districts(dir / "districts.geojson", demo_districts(features));
    write_text(dir / "pools.csv", k_pools_csv, "carbon pools table (Mg C/ha)");
    write_text(dir / "demo.yaml", k_demo_yaml, "run config");
    const DemoInventory inventory = generate_demo_inventory(lc15, lc20);
    write_forest_type_raster(dir / "forest_type.tif", inventory.forest_type);
    write_volume_raster(dir / "volume_2015.tif", inventory.volume15, 2015);
    write_volume_raster(dir / "volume_2020.tif", inventory.volume20, 2020);
    write_text(dir / "forest_types.csv", k_forest_types_csv, "forest-types table");
    // One value everywhere: no colour table (it would be most of the file), only the names of
    // the first codes of ipcc_climate_zone_codes.csv.
    const std::vector<uint8_t> zones(lc15.size(), k_zone_cool_temperate_moist);
    write_class_raster(dir / "climate_zone.tif", zones,
                       "IPCC 2019 climate zone (configs/parameters/ipcc_climate_zone_codes.csv)",
                       {{1, "warm temperate moist", {}},
                        {2, "warm temperate dry", {}},
                        {k_zone_cool_temperate_moist, "cool temperate moist", {}}},
                       false, "climate zone");
    const std::vector<uint8_t> soil = generate_demo_soil(features);
    write_class_raster(dir / "soil_type.tif", soil, "soil type (codes of models.soil.soil_types)",
                       {{k_soil_hac, "HAC (high-activity clay)", {140, 90, 50}},
                        {k_soil_lac, "LAC (low-activity clay)", {205, 110, 60}},
                        {k_soil_sandy, "sandy", {235, 215, 150}}},
                       true, "soil type");
    write_text(dir / "soil_management.csv", k_soil_management_csv, "soil-management table");
    write_text(dir / "pools_split.csv", k_pools_split_csv,
               "carbon pools table, dead wood and litter apart (Mg C/ha)");
    const std::vector<uint8_t> management = generate_demo_management(lc15, lc20);
    write_class_raster(dir / "management.tif", management,
                       "cropland management code (models.soil.management_codes)",
                       {{k_mg_full_tillage, "full tillage", {200, 160, 90}},
                        {k_mg_reduced_tillage, "reduced tillage", {150, 190, 90}},
                        {k_mg_no_tillage, "no-till", {60, 150, 70}}},
                       true, "management");
    write_text(dir / "management_codes.csv", k_management_codes_csv, "management-code table");
    write_text(dir / "demo-inventory.yaml", k_demo_inventory_yaml,
               "run config (stocks.inventory, soil.ipcc_tier1, dom.agb_fraction)");
    write_demo_seasonal(dir, lc20);
    write_text(dir / "casa_types.csv", k_casa_types_csv, "CASA vegetation mapping");
    write_text(dir / "demo-seasonal.yaml", k_demo_seasonal_yaml, "run config (models.nep casa)");
    write_text(dir / "demo-uncertainty.yaml", k_demo_uncertainty_yaml,
               "run config (uncertainty: Monte Carlo)");
    Histogram h15{};
    Histogram h20{};
    int64_t changed = 0;
    int64_t valid_both = 0;
    accumulate_counts(lc15.data(), lc20.data(), lc15.size(), h15, h20, changed, valid_both);
    print_counts(h15, h20, changed, valid_both);
    print_inventory(inventory, lc15, lc20);
    print_soil(soil, lc15, lc20);
    print_management(management, soil, lc15, lc20);
}

// ------------------------------------------------------------------------------------------------
// Bench mode: N x N land cover generated and written in strips of tile rows
// ------------------------------------------------------------------------------------------------

constexpr uint64_t k_bench_seed = 0xBE7C4C0DE2020ull;

/// The seed of one bench noise field or feature set.
constexpr uint64_t bench_seed(uint64_t k) { return mix64(k_bench_seed ^ (k * 0x100000001B3ull)); }

/// Value noise on a coarse lattice (spacing 2^shift pixels) evaluated a whole raster row at a
/// time: lattice values are interpolated bilinearly with smoothstep weights.
class RowNoise {
public:
    /// Noise with lattice spacing 2^shift over rows `width` pixels wide.
    RowNoise(uint64_t seed, int shift, int64_t width)
        : m_seed(seed), m_shift(shift), m_columns((width >> shift) + 2),
          m_weight(size_t{1} << shift), m_column(static_cast<size_t>(m_columns)) {
        const double spacing = static_cast<double>(int64_t{1} << shift);
        for (size_t i = 0; i < m_weight.size(); ++i) {
            const double t = (static_cast<double>(i) + 0.5) / spacing;
            m_weight[i] = static_cast<float>(t * t * (3.0 - 2.0 * t));
        }
    }

    /// Add `amplitude` x noise at pixel centres (x, y) for x = 0 .. width-1 to `out`.
    void add_row(int64_t y, float amplitude, float *out, int64_t width) {
        const int64_t iy = y >> m_shift;
        const float ty = m_weight[static_cast<size_t>(y & ((int64_t{1} << m_shift) - 1))];
        for (int64_t ix = 0; ix < m_columns; ++ix) {
            const auto a = static_cast<float>(unit(hash3(m_seed, ix, iy)));
            const auto b = static_cast<float>(unit(hash3(m_seed, ix, iy + 1)));
            m_column[static_cast<size_t>(ix)] = amplitude * (a + (b - a) * ty);
        }
        const int64_t spacing = int64_t{1} << m_shift;
        for (int64_t ix = 0; ix * spacing < width; ++ix) {
            const float a = m_column[static_cast<size_t>(ix)];
            const float d = m_column[static_cast<size_t>(ix + 1)] - a;
            const int64_t x0 = ix * spacing;
            const int64_t n = std::min(spacing, width - x0);
            float *o = out + x0;
            for (int64_t k = 0; k < n; ++k) {
                o[k] += a + d * m_weight[static_cast<size_t>(k)];
            }
        }
    }

private:
    uint64_t m_seed;
    int m_shift;
    int64_t m_columns;
    std::vector<float> m_weight;
    std::vector<float> m_column;
};

/// A meandering river crossing the bench grid from west to east.
struct BenchRiver {
    std::vector<float> centre; ///< centreline row per column
    std::vector<float> half;   ///< half width per column, slope-corrected (vertical extent)
    float y_min = 0.0f;        ///< top of the rows the river touches
    float y_max = 0.0f;        ///< bottom of the rows the river touches
};

/// A settlement: core radius in 2015, growth ring by 2020, optional industrial park (2020).
struct Settlement {
    double x, y, radius, growth;
    bool has_park;
    double park_x0, park_y0, park_x1, park_y1;
};

/// An elliptical NoData gap.
struct Gap {
    double x, y, rx, ry;
};

/// Streamed generator of the two bench epochs, one strip of rows at a time.
class BenchGenerator {
public:
    explicit BenchGenerator(int64_t size);

    /// Generate rows [y0, y0 + rows) of both epochs into row-major buffers `size` wide.
    void strip(int64_t y0, int64_t rows, uint8_t *lc15, uint8_t *lc20);

private:
    void base_row(int64_t y, uint8_t *c15, uint8_t *c20);
    Settlement settlement(int64_t cell_x, int64_t cell_y, int64_t cell, bool city) const;
    void stamp_settlements(int64_t y0, int64_t rows, uint8_t *lc15, uint8_t *lc20, bool city);
    void stamp_gaps(int64_t y0, int64_t rows, uint8_t *lc15, uint8_t *lc20, bool both);

    static constexpr double forest_line = 0.57;
    static constexpr int64_t city_cell = 1024;
    static constexpr int64_t village_cell = 256;
    static constexpr int64_t cloud_cell = 1024;
    static constexpr int64_t gap_cell = 1024;

    int64_t m_size;
    std::vector<BenchRiver> m_rivers;
    std::vector<RowNoise> m_hills;
    std::vector<RowNoise> m_lake;
    std::vector<RowNoise> m_margin;
    std::vector<RowNoise> m_pasture;
    std::vector<RowNoise> m_afforest;
    std::vector<RowNoise> m_deforest;
    std::vector<float> m_h, m_l, m_m, m_p, m_a, m_d;
};

BenchGenerator::BenchGenerator(int64_t size) : m_size(size) {
    const auto n = static_cast<size_t>(size);
    const auto add = [&](std::vector<RowNoise> &f, uint64_t seed, std::initializer_list<int> s) {
        for (int shift : s) {
            f.emplace_back(bench_seed(seed * 16 + static_cast<uint64_t>(shift)), shift, size);
        }
    };
    add(m_hills, 1, {11, 9, 7, 5});
    add(m_lake, 2, {8, 5});
    add(m_margin, 3, {6});
    add(m_pasture, 4, {8, 6, 4});
    add(m_afforest, 5, {7, 5});
    add(m_deforest, 6, {6});
    for (auto *v : {&m_h, &m_l, &m_m, &m_p, &m_a, &m_d}) {
        v->assign(n, 0.0f);
    }

    const int64_t count = std::max<int64_t>(1, size / 3200);
    const double band = static_cast<double>(size) / static_cast<double>(count);
    for (int64_t r = 0; r < count; ++r) {
        const uint64_t s = bench_seed(100 + static_cast<uint64_t>(r));
        BenchRiver river;
        river.centre.resize(n);
        river.half.resize(n);
        const double base = (static_cast<double>(r) + 0.5) * band;
        const auto centre = [&](double x) {
            return base + 0.6 * band * (fbm_1d(s, x / 3000.0, 2) - 0.5) +
                   160.0 * (value_noise_1d(s + 1, x / 600.0) - 0.5) +
                   30.0 * (value_noise_1d(s + 2, x / 140.0) - 0.5);
        };
        double y_min = static_cast<double>(size);
        double y_max = 0.0;
        for (size_t x = 0; x < n; ++x) {
            const double xc = static_cast<double>(x) + 0.5;
            const double c = centre(xc);
            const double slope = 0.5 * (centre(xc + 1.0) - centre(xc - 1.0));
            const double half =
                (2.5 + 4.0 * value_noise_1d(s + 3, xc / 1500.0)) * std::sqrt(1.0 + slope * slope);
            river.centre[x] = static_cast<float>(c);
            river.half[x] = static_cast<float>(half);
            y_min = std::min(y_min, c - half - 1.0);
            y_max = std::max(y_max, c + half + 1.0);
        }
        river.y_min = static_cast<float>(y_min);
        river.y_max = static_cast<float>(y_max);
        m_rivers.push_back(std::move(river));
    }
}

/// Classify one row before settlements and gaps: water, forest, grassland, cropland, plus the
/// 2020 afforestation and deforestation.
void BenchGenerator::base_row(int64_t y, uint8_t *c15, uint8_t *c20) {
    const int64_t n = m_size;
    const auto fill = [&](std::vector<RowNoise> &fields, std::vector<float> &out,
                          std::initializer_list<float> amplitudes) {
        std::fill(out.begin(), out.end(), 0.0f);
        auto a = amplitudes.begin();
        for (RowNoise &f : fields) {
            f.add_row(y, *a++, out.data(), n);
        }
    };
    fill(m_hills, m_h, {0.45f, 0.28f, 0.17f, 0.1f});
    fill(m_lake, m_l, {0.7f, 0.3f});
    fill(m_margin, m_m, {1.0f});
    fill(m_pasture, m_p, {0.55f, 0.3f, 0.15f});
    fill(m_afforest, m_a, {0.7f, 0.3f});
    fill(m_deforest, m_d, {1.0f});
    constexpr auto line = static_cast<float>(forest_line);
    for (int64_t x = 0; x < n; ++x) {
        const float h = m_h[x];
        uint8_t c = k_cropland;
        if (m_l[x] > 0.86f && h < line) {
            c = k_water;
        } else if (h >= line) {
            c = k_forest;
        } else if ((h >= line - 0.03f && m_m[x] > 0.5f) || m_p[x] > 0.8f) {
            c = k_grassland;
        }
        uint8_t d = c;
        if ((c == k_cropland || c == k_grassland) && h >= line - 0.07f && m_a[x] > 0.69f) {
            d = k_forest;
        } else if (c == k_forest && h < line + 0.025f && m_d[x] > 0.74f) {
            d = k_cropland;
        }
        c15[x] = c;
        c20[x] = d;
    }
    const float yc = static_cast<float>(y) + 0.5f;
    for (const BenchRiver &r : m_rivers) {
        if (yc < r.y_min || yc > r.y_max) {
            continue;
        }
        for (int64_t x = 0; x < n; ++x) {
            if (std::fabs(yc - r.centre[static_cast<size_t>(x)]) < r.half[static_cast<size_t>(x)]) {
                c15[x] = k_water;
                c20[x] = k_water;
            }
        }
    }
}

/// The settlement of one lattice cell (radius 0 when the cell has none).
Settlement BenchGenerator::settlement(int64_t cell_x, int64_t cell_y, int64_t cell,
                                      bool city) const {
    const uint64_t s = bench_seed(city ? 200 : 201);
    Rng rng(hash3(s, cell_x, cell_y));
    Settlement t{};
    const double present = rng.uniform(0.0, 1.0);
    const double c = static_cast<double>(cell);
    t.x = (static_cast<double>(cell_x) + rng.uniform(0.2, 0.8)) * c;
    t.y = (static_cast<double>(cell_y) + rng.uniform(0.2, 0.8)) * c;
    const double u = rng.uniform(0.0, 1.0);
    if (city) {
        t.radius = present < 0.5 ? 25.0 + 120.0 * u * u : 0.0;
        t.growth = 5.0 + 0.14 * t.radius;
        t.has_park = rng.uniform(0.0, 1.0) < 0.6;
        const double pw = rng.uniform(18.0, 45.0);
        const double ph = rng.uniform(14.0, 32.0);
        const double dir = rng.uniform(0.0, 4.0);
        const double off = 1.25 * (t.radius + t.growth);
        double px = t.x;
        double py = t.y;
        if (dir < 1.0) {
            px += off + 0.5 * pw;
        } else if (dir < 2.0) {
            px -= off + 0.5 * pw;
        } else if (dir < 3.0) {
            py += off + 0.5 * ph;
        } else {
            py -= off + 0.5 * ph;
        }
        t.park_x0 = std::floor(px - 0.5 * pw);
        t.park_x1 = std::floor(px + 0.5 * pw);
        t.park_y0 = std::floor(py - 0.5 * ph);
        t.park_y1 = std::floor(py + 0.5 * ph);
    } else {
        t.radius = present < 0.35 ? 3.0 + 6.0 * u : 0.0;
        t.growth = rng.uniform(0.0, 1.0) < 0.5 ? 1.5 + 2.0 * u : 0.0;
        t.has_park = false;
    }
    return t;
}

/// Stamp settlements onto a strip: cores are impervious in both epochs, the growth ring turns
/// cropland (and some grassland) impervious in 2020, industrial parks appear in 2020.
void BenchGenerator::stamp_settlements(int64_t y0, int64_t rows, uint8_t *lc15, uint8_t *lc20,
                                       bool city) {
    const int64_t cell = city ? city_cell : village_cell;
    const int64_t reach = city ? 700 : 20;
    const int64_t cy0 = std::max<int64_t>(0, (y0 - reach) / cell);
    const int64_t cy1 = std::min((m_size - 1) / cell, (y0 + rows + reach) / cell);
    const uint64_t edge_seed = bench_seed(city ? 210 : 211);
    const uint64_t grass_seed = bench_seed(212);
    for (int64_t cy = cy0; cy <= cy1; ++cy) {
        for (int64_t cx = 0; cx * cell < m_size; ++cx) {
            const Settlement t = settlement(cx, cy, cell, city);
            if (t.radius <= 0.0) {
                continue;
            }
            const double r_max = 1.3 * (t.radius + t.growth) + 1.0;
            const int64_t ya = std::max<int64_t>(y0, static_cast<int64_t>(t.y - r_max));
            const int64_t yb = std::min<int64_t>(y0 + rows, static_cast<int64_t>(t.y + r_max) + 1);
            const int64_t xa = std::max<int64_t>(0, static_cast<int64_t>(t.x - r_max));
            const int64_t xb = std::min<int64_t>(m_size, static_cast<int64_t>(t.x + r_max) + 1);
            for (int64_t y = ya; y < yb; ++y) {
                uint8_t *a = lc15 + (y - y0) * m_size;
                uint8_t *b = lc20 + (y - y0) * m_size;
                for (int64_t x = xa; x < xb; ++x) {
                    if (a[x] == k_water) {
                        continue;
                    }
                    const double px = static_cast<double>(x) + 0.5;
                    const double py = static_cast<double>(y) + 0.5;
                    const double dx = px - t.x;
                    const double dy = py - t.y;
                    const double scale = city ? 24.0 : 3.0;
                    const double factor =
                        1.0 + 0.6 * (value_noise(edge_seed, px / scale, py / scale) - 0.5);
                    const double d = std::sqrt(dx * dx + dy * dy) / factor;
                    if (d < t.radius) {
                        a[x] = k_impervious;
                        b[x] = k_impervious;
                    } else if (d < t.radius + t.growth &&
                               (a[x] == k_cropland ||
                                (a[x] == k_grassland &&
                                 value_noise(grass_seed, px / 6.0, py / 6.0) > 0.4))) {
                        b[x] = k_impervious;
                    }
                }
            }
            if (!t.has_park) {
                continue;
            }
            const int64_t pya = std::max<int64_t>(y0, static_cast<int64_t>(t.park_y0));
            const int64_t pyb = std::min<int64_t>(y0 + rows, static_cast<int64_t>(t.park_y1));
            const int64_t pxa = std::max<int64_t>(0, static_cast<int64_t>(t.park_x0));
            const int64_t pxb = std::min<int64_t>(m_size, static_cast<int64_t>(t.park_x1));
            for (int64_t y = pya; y < pyb; ++y) {
                for (int64_t x = pxa; x < pxb; ++x) {
                    uint8_t *b = lc20 + (y - y0) * m_size + x;
                    if (lc15[(y - y0) * m_size + x] != k_water) {
                        *b = k_impervious;
                    }
                }
            }
        }
    }
}

/// Stamp NoData gaps onto a strip: cloud gaps in both epochs (`both`) or small gaps in 2020.
void BenchGenerator::stamp_gaps(int64_t y0, int64_t rows, uint8_t *lc15, uint8_t *lc20, bool both) {
    const int64_t cell = both ? cloud_cell : gap_cell;
    const uint64_t s = bench_seed(both ? 300 : 301);
    const int64_t reach = 80;
    const int64_t cy0 = std::max<int64_t>(0, (y0 - reach) / cell);
    const int64_t cy1 = std::min((m_size - 1) / cell, (y0 + rows + reach) / cell);
    for (int64_t cy = cy0; cy <= cy1; ++cy) {
        for (int64_t cx = 0; cx * cell < m_size; ++cx) {
            Rng rng(hash3(s, cx, cy));
            if (rng.uniform(0.0, 1.0) >= (both ? 0.3 : 0.35)) {
                continue;
            }
            const double c = static_cast<double>(cell);
            Gap g{(static_cast<double>(cx) + rng.uniform(0.1, 0.9)) * c,
                  (static_cast<double>(cy) + rng.uniform(0.1, 0.9)) * c, 0.0, 0.0};
            g.rx = both ? rng.uniform(12.0, 55.0) : rng.uniform(2.0, 5.0);
            g.ry = both ? rng.uniform(8.0, 35.0) : rng.uniform(2.0, 5.0);
            const double r_max = 1.3 * std::max(g.rx, g.ry) + 1.0;
            const int64_t ya = std::max<int64_t>(y0, static_cast<int64_t>(g.y - r_max));
            const int64_t yb = std::min<int64_t>(y0 + rows, static_cast<int64_t>(g.y + r_max) + 1);
            const int64_t xa = std::max<int64_t>(0, static_cast<int64_t>(g.x - r_max));
            const int64_t xb = std::min<int64_t>(m_size, static_cast<int64_t>(g.x + r_max) + 1);
            for (int64_t y = ya; y < yb; ++y) {
                for (int64_t x = xa; x < xb; ++x) {
                    const double px = static_cast<double>(x) + 0.5;
                    const double py = static_cast<double>(y) + 0.5;
                    const double u = (px - g.x) / g.rx;
                    const double v = (py - g.y) / g.ry;
                    const double edge = 1.0 + 0.5 * (value_noise(s, px / 6.0, py / 6.0) - 0.5);
                    if (u * u + v * v < edge * edge) {
                        const size_t i = static_cast<size_t>((y - y0) * m_size + x);
                        lc20[i] = k_nodata;
                        if (both) {
                            lc15[i] = k_nodata;
                        }
                    }
                }
            }
        }
    }
}

void BenchGenerator::strip(int64_t y0, int64_t rows, uint8_t *lc15, uint8_t *lc20) {
    for (int64_t y = y0; y < y0 + rows; ++y) {
        base_row(y, lc15 + (y - y0) * m_size, lc20 + (y - y0) * m_size);
    }
    stamp_settlements(y0, rows, lc15, lc20, false);
    stamp_settlements(y0, rows, lc15, lc20, true);
    stamp_gaps(y0, rows, lc15, lc20, true);
    stamp_gaps(y0, rows, lc15, lc20, false);
}

/// Write one strip (rows of full tiles) of `lc` to `band` tile by tile, straight to the file.
void write_strip(GDALRasterBand *band, const fs::path &path, const std::vector<uint8_t> &lc,
                 int64_t size, int64_t tile_row, int64_t rows, std::vector<uint8_t> &tile) {
    for (int64_t tx = 0; tx * k_tile < size; ++tx) {
        std::fill(tile.begin(), tile.end(), k_nodata);
        const int64_t x0 = tx * k_tile;
        const int64_t cols = std::min<int64_t>(k_tile, size - x0);
        for (int64_t r = 0; r < rows; ++r) {
            std::memcpy(tile.data() + r * k_tile, lc.data() + r * size + x0,
                        static_cast<size_t>(cols));
        }
        if (band->WriteBlock(static_cast<int>(tx), static_cast<int>(tile_row), tile.data()) !=
            CE_None) {
            io_error("cannot write land-cover raster",
                     path.string() + ", tile " + std::to_string(tx) + "," +
                         std::to_string(tile_row),
                     cs::raster::last_gdal_error());
        }
    }
}

/// One vertex of a district boundary, in pixel coordinates (y down).
struct Vertex {
    double x;
    double y;
};

/// A horizontal district boundary: vertices sorted by x from the west to the east edge.
using HLine = std::vector<Vertex>;

/// The y of `line` at `x` by linear interpolation.
double hline_y(const HLine &line, double x) {
    const auto it = std::lower_bound(line.begin(), line.end(), x,
                                     [](const Vertex &v, double value) { return v.x < value; });
    if (it == line.begin()) {
        return it->y;
    }
    if (it == line.end()) {
        return line.back().y;
    }
    const Vertex &b = *it;
    const Vertex &a = *(it - 1);
    return b.x == a.x ? b.y : a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x);
}

/// Insert a vertex of `line` at `x` (if none is there yet) and return its y.
double hline_insert(HLine &line, double x) {
    const auto it = std::lower_bound(line.begin(), line.end(), x,
                                     [](const Vertex &v, double value) { return v.x < value; });
    if (it != line.end() && it->x == x) {
        return it->y;
    }
    const double y = hline_y(line, x);
    line.insert(it, Vertex{x, y});
    return y;
}

/// The K bench districts: a jittered lattice of rows of cells whose shared edges are the same
/// jittered polylines on both sides, so the polygons partition the grid exactly. Coordinates
/// are EPSG:32651 metres.
std::vector<std::vector<Vertex>> bench_districts(int64_t size, int64_t count) {
    const uint64_t s = bench_seed(400);
    const double n = static_cast<double>(size);
    const auto rows = std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(count))));
    std::vector<int64_t> per_row(static_cast<size_t>(rows), count / rows);
    for (int64_t r = 0; r < count % rows; ++r) {
        ++per_row[static_cast<size_t>(r)];
    }
    const int64_t max_cols = *std::max_element(per_row.begin(), per_row.end());
    const double row_h = n / static_cast<double>(rows);
    const double amp = 0.1 * row_h;
    const int64_t samples = 8 * max_cols;
    const auto jitter = [&](uint64_t k, int64_t a, int64_t b) {
        return 2.0 * unit(hash3(s + k, a, b)) - 1.0;
    };

    // Horizontal boundaries 0..rows; the first and last are the grid's north and south edges.
    std::vector<HLine> hlines(static_cast<size_t>(rows + 1));
    for (int64_t j = 0; j <= rows; ++j) {
        const double base = static_cast<double>(j) * row_h;
        HLine &line = hlines[static_cast<size_t>(j)];
        const bool edge = j == 0 || j == rows;
        for (int64_t k = 0; k <= samples; ++k) {
            if (edge && k != 0 && k != samples) {
                continue;
            }
            const double x =
                (k == samples) ? n : static_cast<double>(k) * n / static_cast<double>(samples);
            const double smooth =
                2.0 * fbm_1d(s + 7 + static_cast<uint64_t>(j), static_cast<double>(k) / 6.0, 2) -
                1.0;
            const double y = edge ? base : base + amp * (0.7 * smooth + 0.3 * jitter(1, j, k));
            line.push_back({x, y});
        }
    }

    // Vertical boundaries per row: x at the top, intermediate jittered vertices, x at the bottom.
    struct VLine {
        std::vector<Vertex> pts;
    };
    std::vector<std::vector<VLine>> vlines(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r) {
        const int64_t cols = per_row[static_cast<size_t>(r)];
        const double col_w = n / static_cast<double>(cols);
        auto &vs = vlines[static_cast<size_t>(r)];
        HLine &top = hlines[static_cast<size_t>(r)];
        HLine &bottom = hlines[static_cast<size_t>(r + 1)];
        const double y_top = static_cast<double>(r) * row_h;
        for (int64_t i = 0; i <= cols; ++i) {
            VLine v;
            if (i == 0 || i == cols) {
                const double x = i == 0 ? 0.0 : n;
                v.pts.push_back({x, hline_insert(top, x)});
                v.pts.push_back({x, hline_insert(bottom, x)});
            } else {
                const double base = static_cast<double>(i) * col_w;
                const double xt = base + 0.12 * col_w * jitter(2, r, i);
                const double xb = base + 0.12 * col_w * jitter(3, r, i);
                v.pts.push_back({xt, hline_insert(top, xt)});
                constexpr int inner = 7;
                for (int m = 0; m < inner; ++m) {
                    const double t = static_cast<double>(m) / (inner - 1);
                    const double y = y_top + row_h * (0.15 + 0.7 * t);
                    double x = lerp(xt, xb, t);
                    if (m != 0 && m != inner - 1) {
                        x += 0.1 * col_w * jitter(4, r * 1000 + i, m);
                    }
                    v.pts.push_back({x, y});
                }
                v.pts.push_back({xb, hline_insert(bottom, xb)});
            }
            vs.push_back(std::move(v));
        }
    }

    std::vector<std::vector<Vertex>> out;
    for (int64_t r = 0; r < rows; ++r) {
        const HLine &top = hlines[static_cast<size_t>(r)];
        const HLine &bottom = hlines[static_cast<size_t>(r + 1)];
        const auto &vs = vlines[static_cast<size_t>(r)];
        for (size_t i = 0; i + 1 < vs.size(); ++i) {
            const auto &left = vs[i].pts;
            const auto &right = vs[i + 1].pts;
            std::vector<Vertex> ring;
            for (const Vertex &v : top) {
                if (v.x >= left.front().x && v.x <= right.front().x) {
                    ring.push_back(v);
                }
            }
            ring.insert(ring.end(), right.begin() + 1, right.end());
            for (auto it = bottom.rbegin(); it != bottom.rend(); ++it) {
                if (it->x < right.back().x && it->x >= left.back().x) {
                    ring.push_back(*it);
                }
            }
            ring.insert(ring.end(), left.rbegin() + 1, left.rend());
            for (Vertex &v : ring) {
                v = {k_origin_x + v.x * k_pixel, k_origin_y - v.y * k_pixel};
            }
            out.push_back(std::move(ring));
        }
    }
    return out;
}

/// Write the bench districts as a GeoPackage layer `districts` in EPSG:32651. Throws Failure.
void write_bench_districts(const fs::path &path, int64_t size, int64_t count) {
    remove_previous(path);
    const std::vector<std::vector<Vertex>> rings = bench_districts(size, count);
    GDALDriver *driver = GetGDALDriverManager()->GetDriverByName("GPKG");
    if (driver == nullptr) {
        io_error("cannot create districts", path.string(), "GDAL has no GPKG driver");
    }
    // A fixed timestamp in gpkg_contents keeps the file byte-identical between runs.
    CPLSetConfigOption("OGR_CURRENT_DATE", "2020-01-01T00:00:00.000Z");
    CPLErrorReset();
    DatasetPtr ds(driver->Create(path.string().c_str(), 0, 0, 0, GDT_Unknown, nullptr));
    if (!ds) {
        io_error("cannot create districts", path.string(), cs::raster::last_gdal_error());
    }
    OGRSpatialReference srs = utm_crs();
    OGRLayer *layer = ds->CreateLayer("districts", &srs, wkbPolygon, nullptr);
    OGRFieldDefn code_field("code", OFTInteger);
    OGRFieldDefn name_field("name", OFTString);
    if (layer == nullptr || layer->CreateField(&code_field) != OGRERR_NONE ||
        layer->CreateField(&name_field) != OGRERR_NONE ||
        layer->StartTransaction() != OGRERR_NONE) {
        io_error("cannot create districts layer", path.string(), cs::raster::last_gdal_error());
    }
    for (size_t i = 0; i < rings.size(); ++i) {
        auto ring = std::make_unique<OGRLinearRing>();
        for (const Vertex &v : rings[i]) {
            ring->addPoint(v.x, v.y);
        }
        ring->closeRings();
        auto poly = std::make_unique<OGRPolygon>();
        poly->addRingDirectly(ring.release());
        char name[32];
        std::snprintf(name, sizeof name, "District %03zu", i + 1);
        OGRFeature feature(layer->GetLayerDefn());
        feature.SetField("code", static_cast<int>(i + 1));
        feature.SetField("name", name);
        feature.SetGeometryDirectly(poly.release());
        if (layer->CreateFeature(&feature) != OGRERR_NONE) {
            io_error("cannot write district", path.string() + ", " + name,
                     cs::raster::last_gdal_error());
        }
    }
    if (layer->CommitTransaction() != OGRERR_NONE) {
        io_error("cannot write districts", path.string(), cs::raster::last_gdal_error());
    }
    close_dataset(ds, path);
    CPLSetConfigOption("OGR_CURRENT_DATE", nullptr);
    std::printf("wrote %s: %zu districts, GeoPackage layer districts, EPSG:%d, %ju bytes\n",
                path.string().c_str(), rings.size(), k_epsg, bytes_of(path));
}

/// Bench mode: stream two N x N epochs and write the districts, pools table and config.
void run_bench(const fs::path &dir, int64_t size, int64_t districts) {
    const auto rows_needed =
        std::max<int64_t>(1, std::llround(std::sqrt(static_cast<double>(districts))));
    const int64_t cols_needed = (districts + rows_needed - 1) / rows_needed;
    if (size / std::max(rows_needed, cols_needed) < 16) {
        usage_error("invalid argument", "--districts " + std::to_string(districts),
                    "too many districts for a " + std::to_string(size) + " x " +
                        std::to_string(size) + " grid (each must be at least 16 pixels wide)");
    }
    make_output_dir(dir);
    const auto start = std::chrono::steady_clock::now();
    const fs::path p15 = dir / "land_cover_2015.tif";
    const fs::path p20 = dir / "land_cover_2020.tif";
    DatasetPtr ds15 = create_land_cover(p15, size, size, true);
    DatasetPtr ds20 = create_land_cover(p20, size, size, true);
    BenchGenerator gen(size);
    const auto strip_cells = static_cast<size_t>(size) * k_tile;
    std::vector<uint8_t> lc15(strip_cells);
    std::vector<uint8_t> lc20(strip_cells);
    std::vector<uint8_t> tile(static_cast<size_t>(k_tile) * k_tile);
    Histogram h15{};
    Histogram h20{};
    int64_t changed = 0;
    int64_t valid_both = 0;
    for (int64_t ty = 0; ty * k_tile < size; ++ty) {
        const int64_t y0 = ty * k_tile;
        const int64_t rows = std::min<int64_t>(k_tile, size - y0);
        gen.strip(y0, rows, lc15.data(), lc20.data());
        accumulate_counts(lc15.data(), lc20.data(), static_cast<size_t>(rows * size), h15, h20,
                          changed, valid_both);
        write_strip(ds15->GetRasterBand(1), p15, lc15, size, ty, rows, tile);
        write_strip(ds20->GetRasterBand(1), p20, lc20, size, ty, rows, tile);
    }
    close_dataset(ds15, p15);
    close_dataset(ds20, p20);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto &[path, year] : {std::pair{p15, 2015}, std::pair{p20, 2020}}) {
        std::printf("wrote %s: land cover %d, %lld x %lld Byte, EPSG:%d, %g m pixels, %ju bytes\n",
                    path.string().c_str(), year, static_cast<long long>(size),
                    static_cast<long long>(size), k_epsg, k_pixel, bytes_of(path));
    }
    std::printf("generated 2 epochs of %lld x %lld pixels in %.1f s\n",
                static_cast<long long>(size), static_cast<long long>(size), seconds);
    write_bench_districts(dir / "districts.gpkg", size, districts);
    write_text(dir / "pools.csv", k_pools_csv, "carbon pools table (Mg C/ha)");
    write_text(dir / "bench.yaml", bench_yaml(size, districts), "run config");
    print_counts(h15, h20, changed, valid_both);
}

} // namespace

int main(int argc, char **argv) {
    try {
        const Options o = parse_args(argc, argv);
        cs::raster::init_gdal();
        if (o.mode == "sample") {
            run_sample(o.out);
        } else {
            run_bench(o.out, o.size, o.districts);
        }
        return 0;
    } catch (const Failure &f) {
        std::fprintf(stderr, "error: %s\n", f.message.c_str());
        return f.exit_code;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "error: unexpected failure: carbonsink-sample: %s\n", e.what());
        return 1;
    }
}
