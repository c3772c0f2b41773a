// Tests of the science kernels and parameter tables: case files, shipped tables, error texts.
#include "models/carbon.hpp"
#include "models/casa.hpp"
#include "models/csv.hpp"
#include "models/months.hpp"
#include "models/parameter_tables.hpp"
#include "models/units.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace cs::models;
namespace fs = std::filesystem;

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();

std::string read_text(const fs::path &path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << "cannot open " << path;
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

fs::path parameters_dir() { return fs::path(CS_CONFIGS_DIR) / "parameters"; }

std::string join(const std::vector<std::string> &v) {
    std::string s;
    for (const auto &e : v) {
        s += e + "\n";
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// The shipped tables, loaded once.

struct Shipped {
    CbefTable cbef;
    BcefTable bcef;
    RootShootTable root_shoot;
    DomTable dom;
    SocRefTable soc_ref;
    SocFactorTable soc_factors;
    ClimateZoneCodeTable zone_codes;
    Tier1GrowthTable growth;
    CasaVegetationTable casa;
    std::map<std::string, std::vector<std::string>> errors; ///< per file
};

const Shipped &shipped() {
    static const Shipped s = [] {
        Shipped t;
        auto load = [&](const char *file, auto parser, auto &dst) {
            std::vector<std::string> errs;
            dst = parser(read_text(parameters_dir() / file), file, errs);
            t.errors[file] = errs;
        };
        load("china_cbef.csv", parse_cbef_table, t.cbef);
        load("ipcc_bcef.csv", parse_bcef_table, t.bcef);
        load("ipcc_root_shoot.csv", parse_root_shoot_table, t.root_shoot);
        load("dom_fractions.csv", parse_dom_table, t.dom);
        load("ipcc2019_soc_ref.csv", parse_soc_ref_table, t.soc_ref);
        load("ipcc2019_soc_factors.csv", parse_soc_factor_table, t.soc_factors);
        load("ipcc_climate_zone_codes.csv", parse_climate_zone_code_table, t.zone_codes);
        load("ipcc_tier1_growth.csv", parse_tier1_growth_table, t.growth);
        load("casa_vegetation.csv", parse_casa_table, t.casa);
        return t;
    }();
    return s;
}

// ---------------------------------------------------------------------------------------------
// Case files: "operation inputs -> expected tolerance | text | failure"

/// Result of one operation: a number, a word, or a failure.
struct Outcome {
    bool ok = false;
    bool is_text = false;
    double value = NaN;
    std::string text;
};

Outcome number(double v) { return {std::isfinite(v), false, v, {}}; }
Outcome word(const std::string &s) { return {true, true, NaN, s}; }
Outcome failure() { return {}; }
template <class Row> Outcome value_of(const Row *row, double Row::*field) {
    return row ? number(row->*field) : failure();
}
template <class Row> Outcome status_of(const Row *row) {
    return row ? word(row->status) : failure();
}

/// Inputs of one case line.
struct Args {
    std::vector<std::string> tok;
    std::string where;
    const std::string &s(std::size_t i) const { return tok[i]; }
    double n(std::size_t i) const {
        const std::string &t = tok[i];
        char *end = nullptr;
        const double v = std::strtod(t.c_str(), &end);
        if (t.empty() || end != t.c_str() + t.size()) {
            ADD_FAILURE() << where << ": input " << i + 1 << " \"" << t << "\" is not a number";
            return NaN;
        }
        return v;
    }
    int i(std::size_t k) const { return static_cast<int>(n(k)); }
};

struct Operation {
    std::size_t arity;
    std::function<Outcome(const Args &)> run;
};

const std::map<std::string, Operation> &operations() {
    static const std::map<std::string, Operation> ops = [] {
        std::map<std::string, Operation> m;
        // Kernels of models/carbon.hpp.
        m["carbon_from_dry_matter"] = {
            2, [](const Args &a) { return number(carbon_from_dry_matter(a.n(0), a.n(1))); }};
        m["total_biomass_from_volume"] = {
            3, [](const Args &a) {
                return number(total_biomass_from_volume_t_dm_per_ha(a.n(0), a.n(1), a.n(2)));
            }};
        m["agb_from_volume"] = {
            2, [](const Args &a) { return number(agb_from_volume_t_dm_per_ha(a.n(0), a.n(1))); }};
        m["bgb_from_agb"] = {
            2, [](const Args &a) { return number(bgb_from_agb_t_dm_per_ha(a.n(0), a.n(1))); }};
        m["deadwood_carbon"] = {3, [](const Args &a) {
                                    return number(
                                        deadwood_carbon_t_c_per_ha(a.n(0), a.n(1), a.n(2)));
                                }};
        m["litter_carbon"] = {3, [](const Args &a) {
                                  return number(litter_carbon_t_c_per_ha(a.n(0), a.n(1), a.n(2)));
                              }};
        m["soc_equilibrium"] = {
            4, [](const Args &a) {
                return number(soc_equilibrium_mg_c_per_ha(a.n(0), a.n(1), a.n(2), a.n(3)));
            }};
        m["soc_after_change"] = {
            4, [](const Args &a) {
                return number(soc_after_change_mg_c_per_ha(a.n(0), a.n(1), a.n(2), a.n(3)));
            }};
        m["soc_change_between_epochs"] = {
            6, [](const Args &a) {
                return number(soc_change_between_epochs_mg_c_per_ha_yr(a.n(0), a.n(1), a.n(2),
                                                                       a.n(3), a.n(4), a.n(5)));
            }};
        m["tier1_agb"] = {5, [](const Args &a) {
                              return number(
                                  tier1_agb_t_dm_per_ha(a.n(0), a.n(1), a.n(2), a.n(3), a.n(4)));
                          }};
        m["tier1_agb_growth"] = {6, [](const Args &a) {
                                     return number(tier1_agb_growth_t_dm_per_ha_yr(
                                         a.n(0), a.n(1), a.n(2), a.n(3), a.n(4), a.n(5)));
                                 }};
        m["tier1_agb_growth_rate"] = {
            3, [](const Args &a) {
                return number(tier1_agb_growth_rate_t_dm_per_ha_yr(a.n(0), a.n(1), a.n(2)));
            }};
        m["tier1_root_shoot_ratio"] = {
            4, [](const Args &a) {
                return number(tier1_root_shoot_ratio(a.n(0), a.n(1), a.n(2), a.n(3)));
            }};
        m["total_growth"] = {
            2, [](const Args &a) { return number(total_growth_t_dm_per_ha_yr(a.n(0), a.n(1))); }};
        m["growth_from_volume_increment"] = {
            2, [](const Args &a) {
                return number(growth_from_volume_increment_t_dm_per_ha_yr(a.n(0), a.n(1)));
            }};

        // Seasonal flux kernels of models/casa.hpp and models/months.hpp.
        m["casa_simple_ratio"] = {1,
                                  [](const Args &a) { return number(casa_simple_ratio(a.n(0))); }};
        m["casa_fpar_ndvi"] = {
            3, [](const Args &a) { return number(casa_fpar_ndvi(a.n(0), a.n(1), a.n(2))); }};
        m["casa_fpar_sr"] = {
            3, [](const Args &a) { return number(casa_fpar_sr(a.n(0), a.n(1), a.n(2))); }};
        m["casa_fpar"] = {5, [](const Args &a) {
                              return number(casa_fpar(a.n(0), a.n(1), a.n(2), a.n(3), a.n(4)));
                          }};
        m["casa_fpar_of"] = {2, [](const Args &a) {
                                 const int k = shipped().casa.find(a.s(0));
                                 if (k < 0) {
                                     return failure();
                                 }
                                 const CasaParameters &p =
                                     shipped().casa.rows[static_cast<std::size_t>(k)].parameters;
                                 return number(
                                     casa_fpar(a.n(1), p.ndvi_min, p.ndvi_max, p.sr_min, p.sr_max));
                             }};
        m["casa_apar"] = {
            2, [](const Args &a) { return number(casa_apar_mj_per_m2(a.n(0), a.n(1))); }};
        m["casa_t_epsilon1"] = {
            2, [](const Args &a) { return number(casa_t_epsilon1(a.n(0), a.n(1))); }};
        m["casa_t_epsilon2_formula"] = {
            2, [](const Args &a) { return number(casa_t_epsilon2_formula(a.n(0), a.n(1))); }};
        m["casa_t_epsilon2"] = {
            2, [](const Args &a) { return number(casa_t_epsilon2(a.n(0), a.n(1))); }};
        m["casa_w_epsilon"] = {
            2, [](const Args &a) { return number(casa_w_epsilon(a.n(0), a.n(1))); }};
        m["casa_npp_month"] = {
            7, [](const Args &a) {
                const int k = shipped().casa.find(a.s(0));
                if (k < 0) {
                    return failure();
                }
                const CasaParameters &p =
                    shipped().casa.rows[static_cast<std::size_t>(k)].parameters;
                const double t = a.n(2);
                const double t_opt = a.n(3);
                const double apar = casa_apar_mj_per_m2(
                    a.n(4), casa_fpar(a.n(1), p.ndvi_min, p.ndvi_max, p.sr_min, p.sr_max));
                return number(casa_npp_g_c_per_m2(
                    apar, casa_epsilon_g_c_per_mj(
                              casa_t_epsilon1(t, t_opt), casa_t_epsilon2(t, t_opt),
                              casa_w_epsilon(a.n(5), a.n(6)), p.epsilon_max_g_c_per_mj)));
            }};
        m["casa_epsilon_max"] = {1, [](const Args &a) {
                                     const int k = shipped().casa.find(a.s(0));
                                     return k < 0
                                                ? failure()
                                                : number(shipped()
                                                             .casa.rows[static_cast<std::size_t>(k)]
                                                             .parameters.epsilon_max_g_c_per_mj);
                                 }};
        m["casa_status"] = {
            1, [](const Args &a) {
                const int k = shipped().casa.find(a.s(0));
                return k < 0 ? failure()
                             : word(shipped().casa.rows[static_cast<std::size_t>(k)].status);
            }};
        m["pei_rh"] = {2, [](const Args &a) { return number(pei_rh_g_c_per_m2(a.n(0), a.n(1))); }};
        m["nep"] = {2, [](const Args &a) { return number(nep_g_c_per_m2(a.n(0), a.n(1))); }};
        m["season_of"] = {1, [](const Args &a) {
                              YearMonth ym;
                              if (!parse_year_month(a.s(0), ym)) {
                                  return failure();
                              }
                              const SeasonOfYear so = season_of(ym);
                              return word(std::to_string(so.year) + "-" + season_name(so.season));
                          }};
        m["month_path"] = {2, [](const Args &a) {
                               YearMonth ym;
                               return parse_year_month(a.s(1), ym)
                                          ? word(expand_month_pattern(a.s(0), ym))
                                          : failure();
                           }};

        // Lookups in the shipped tables.
        m["china_total_biomass"] = {2, [](const Args &a) {
                                        const CbefRow *r = shipped().cbef.find(a.s(0));
                                        return r ? number(total_biomass_from_volume_t_dm_per_ha(
                                                       a.n(1), r->a_t_per_m3, r->b_t_per_ha))
                                                 : failure();
                                    }};
        m["china_live_carbon"] = {
            2, [](const Args &a) {
                const CbefRow *r = shipped().cbef.find(a.s(0));
                return r ? number(china_live_biomass_carbon_t_c_per_ha(*r, a.n(1))) : failure();
            }};
        m["cbef_status"] = {1,
                            [](const Args &a) { return status_of(shipped().cbef.find(a.s(0))); }};
        m["bcef_s"] = {3, [](const Args &a) {
                           return value_of(shipped().bcef.find(a.s(0), a.s(1), a.n(2)),
                                           &BcefRow::bcef_s);
                       }};
        m["bcef_i"] = {3, [](const Args &a) {
                           return value_of(shipped().bcef.find(a.s(0), a.s(1), a.n(2)),
                                           &BcefRow::bcef_i);
                       }};
        m["bcef_r"] = {3, [](const Args &a) {
                           return value_of(shipped().bcef.find(a.s(0), a.s(1), a.n(2)),
                                           &BcefRow::bcef_r);
                       }};
        m["root_shoot"] = {3, [](const Args &a) {
                               return value_of(shipped().root_shoot.find(a.s(0), a.s(1), a.n(2)),
                                               &RootShootRow::ratio);
                           }};
        m["ipcc_agb"] = {
            3, [](const Args &a) {
                bool found = false;
                const double bcef = shipped().bcef.bcef_s(a.s(0), a.s(1), a.n(2), found);
                return found ? number(agb_from_volume_t_dm_per_ha(a.n(2), bcef)) : failure();
            }};
        m["ipcc_bgb"] = {5, [](const Args &a) {
                             const Shipped &t = shipped();
                             const auto r = ipcc_live_biomass_from_volume(
                                 t.bcef, t.bcef.group(a.s(0), a.s(1)), t.root_shoot,
                                 t.root_shoot.group(a.s(2), a.s(3)), a.n(4));
                             return r.found ? number(r.bgb_t_dm_per_ha) : failure();
                         }};
        m["deadwood_fraction"] = {3, [](const Args &a) {
                                      return value_of(shipped().dom.find(a.s(0), a.n(1), a.n(2)),
                                                      &DomRow::deadwood_fraction_of_agb);
                                  }};
        m["litter_fraction"] = {3, [](const Args &a) {
                                    return value_of(shipped().dom.find(a.s(0), a.n(1), a.n(2)),
                                                    &DomRow::litter_fraction_of_agb);
                                }};
        m["deadwood_carbon_from_agb"] = {
            4, [](const Args &a) {
                const auto r = dom_carbon_from_agb(shipped().dom, a.s(0), a.n(1), a.n(2), a.n(3));
                return r.found ? number(r.deadwood_t_c_per_ha) : failure();
            }};
        m["litter_carbon_from_agb"] = {4, [](const Args &a) {
                                           const auto r = dom_carbon_from_agb(
                                               shipped().dom, a.s(0), a.n(1), a.n(2), a.n(3));
                                           return r.found ? number(r.litter_t_c_per_ha) : failure();
                                       }};
        m["soc_ref"] = {2, [](const Args &a) {
                            return value_of(shipped().soc_ref.find(a.s(0), a.s(1)),
                                            &SocRefRow::soc_ref_t_c_per_ha);
                        }};
        m["soc_ref_uncertainty"] = {2, [](const Args &a) {
                                        return value_of(shipped().soc_ref.find(a.s(0), a.s(1)),
                                                        &SocRefRow::uncertainty_pct);
                                    }};
        m["soc_factor"] = {4, [](const Args &a) {
                               return value_of(
                                   shipped().soc_factors.find(a.s(0), a.s(1), a.s(2), a.s(3)),
                                   &SocFactorRow::value);
                           }};
        m["soc_factor_error"] = {4, [](const Args &a) {
                                     return value_of(
                                         shipped().soc_factors.find(a.s(0), a.s(1), a.s(2), a.s(3)),
                                         &SocFactorRow::error_pct);
                                 }};
        m["soc_factor_status"] = {
            4, [](const Args &a) {
                return status_of(shipped().soc_factors.find(a.s(0), a.s(1), a.s(2), a.s(3)));
            }};
        m["soc_stock"] = {
            6, [](const Args &a) {
                const Shipped &t = shipped();
                const SocRefRow *ref = t.soc_ref.find(a.s(0), a.s(1));
                bool lu = false;
                bool mg = false;
                bool in = false;
                const double f_lu = t.soc_factors.factor(a.s(2), "F_LU", a.s(3), a.s(0), lu);
                const double f_mg = t.soc_factors.factor(a.s(2), "F_MG", a.s(4), a.s(0), mg);
                const double f_i = t.soc_factors.factor(a.s(2), "F_I", a.s(5), a.s(0), in);
                if (!ref || !lu || !mg || !in) {
                    return failure();
                }
                return number(
                    soc_equilibrium_mg_c_per_ha(ref->soc_ref_t_c_per_ha, f_lu, f_mg, f_i));
            }};
        m["climate_zone_of_code"] = {1, [](const Args &a) {
                                         const auto *r = shipped().zone_codes.find(a.i(0));
                                         return r ? word(r->climate_zone) : failure();
                                     }};
        m["climate_zone_code_status"] = {
            1, [](const Args &a) { return status_of(shipped().zone_codes.find(a.i(0))); }};
        m["tier1_agb_row"] = {4, [](const Args &a) {
                                  const auto *r = shipped().growth.find(a.s(0), a.s(1), a.s(2));
                                  return r ? number(tier1_agb_t_dm_per_ha(*r, a.n(3))) : failure();
                              }};
        m["tier1_root_shoot_row"] = {
            4, [](const Args &a) {
                const auto *r = shipped().growth.find(a.s(0), a.s(1), a.s(2));
                return r ? number(tier1_root_shoot_ratio(a.n(3), r->root_shoot_break_t_dm_per_ha,
                                                         r->rs_young, r->rs_old))
                         : failure();
            }};
        m["tier1_status"] = {3, [](const Args &a) {
                                 return status_of(shipped().growth.find(a.s(0), a.s(1), a.s(2)));
                             }};
        m["tier1_rs_status"] = {3, [](const Args &a) {
                                    const auto *r = shipped().growth.find(a.s(0), a.s(1), a.s(2));
                                    return r ? word(r->rs_status) : failure();
                                }};
        return m;
    }();
    return ops;
}

/// Run every case of one file; returns the number of cases run.
int run_case_file(const fs::path &path) {
    std::ifstream in(path);
    EXPECT_TRUE(in.good()) << "cannot open case file " << path;
    const std::string name = path.filename().string();
    int cases = 0;
    int line_no = 0;
    std::string text;
    std::string pending;
    int first_line = 0;
    while (std::getline(in, text)) {
        ++line_no;
        if (const auto hash = text.find('#'); hash != std::string::npos) {
            text.erase(hash);
        }
        while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
            text.pop_back();
        }
        if (pending.empty()) {
            first_line = line_no;
        }
        if (!text.empty() && text.back() == '\\') {
            text.pop_back();
            pending += text + " ";
            continue;
        }
        const std::string full = pending + text;
        pending.clear();
        std::istringstream ss(full);
        std::vector<std::string> left;
        std::vector<std::string> right;
        bool arrow = false;
        std::string tok;
        while (ss >> tok) {
            if (tok == "->") {
                arrow = true;
            } else {
                (arrow ? right : left).push_back(tok);
            }
        }
        if (left.empty() && !arrow) {
            continue;
        }
        const std::string where = name + ":" + std::to_string(first_line);
        if (!arrow || left.empty() || right.empty() || right.size() > 2) {
            ADD_FAILURE() << where << ": expected \"operation inputs -> expected tolerance\", "
                          << "\"-> word\" or \"-> failure\": " << full;
            continue;
        }
        const auto op = operations().find(left[0]);
        if (op == operations().end()) {
            ADD_FAILURE() << where << ": unknown operation \"" << left[0] << "\"";
            continue;
        }
        Args args{{left.begin() + 1, left.end()}, where};
        if (args.tok.size() != op->second.arity) {
            ADD_FAILURE() << where << ": " << left[0] << " takes " << op->second.arity
                          << " inputs, the line has " << args.tok.size();
            continue;
        }
        ++cases;
        const Outcome got = op->second.run(args);
        SCOPED_TRACE(where + ": " + full);
        if (right[0] == "failure" && right.size() == 1) {
            EXPECT_FALSE(got.ok) << "expected failure, got "
                                 << (got.is_text ? got.text : std::to_string(got.value));
            continue;
        }
        if (!got.ok) {
            ADD_FAILURE() << "expected " << right[0] << ", got failure";
            continue;
        }
        if (got.is_text) {
            EXPECT_EQ(right.size(), 1u) << "a word result takes no tolerance";
            EXPECT_EQ(got.text, right[0]);
            continue;
        }
        if (right.size() != 2) {
            ADD_FAILURE() << "a numeric result needs \"expected tolerance\"";
            continue;
        }
        Args expect{right, where};
        const double want = expect.n(0);
        const double tol = expect.n(1);
        EXPECT_LE(std::fabs(got.value - want), tol)
            << "got " << got.value << ", expected " << want << " +- " << tol;
    }
    EXPECT_TRUE(pending.empty()) << name << ": the last line ends with a backslash";
    return cases;
}

TEST(ScienceCases, AllCaseFiles) {
    std::vector<fs::path> files;
    for (const auto &e : fs::directory_iterator(CS_TEST_CASES)) {
        const std::string n = e.path().filename().string();
        if (n.rfind("science_", 0) == 0 && e.path().extension() == ".txt") {
            files.push_back(e.path());
        }
    }
    std::sort(files.begin(), files.end());
    ASSERT_GE(files.size(), 2u) << "tests/cases/science_kernels.txt and science_tables.txt";
    int total = 0;
    for (const auto &f : files) {
        const int n = run_case_file(f);
        EXPECT_GT(n, 10) << f;
        total += n;
    }
    EXPECT_GT(total, 150);
}

// ---------------------------------------------------------------------------------------------
// Shipped tables

TEST(ShippedTables, EveryTableLoadsWithoutErrors) {
    const Shipped &t = shipped();
    for (const auto &[file, errs] : t.errors) {
        EXPECT_TRUE(errs.empty()) << file << ":\n" << join(errs);
    }
    EXPECT_EQ(t.cbef.rows.size(), 26u);
    EXPECT_EQ(t.bcef.rows.size(), 39u);
    EXPECT_EQ(t.bcef.groups.size(), 9u);
    EXPECT_EQ(t.root_shoot.rows.size(), 18u);
    EXPECT_EQ(t.root_shoot.groups.size(), 8u);
    EXPECT_EQ(t.dom.rows.size(), 6u);
    EXPECT_EQ(t.soc_ref.rows.size(), 56u);
    EXPECT_EQ(t.soc_factors.rows.size(), 135u);
    EXPECT_EQ(t.zone_codes.rows.size(), 12u);
    EXPECT_EQ(t.growth.rows.size(), 295u);
    EXPECT_EQ(t.casa.rows.size(), 7u);
}

TEST(ShippedTables, EveryCsvFileIsKnownAndEveryRowHasSourceAndStatus) {
    const std::set<std::string> known = {"china_cbef.csv",
                                         "ipcc_bcef.csv",
                                         "ipcc_root_shoot.csv",
                                         "dom_fractions.csv",
                                         "ipcc2019_soc_ref.csv",
                                         "ipcc2019_soc_factors.csv",
                                         "ipcc_climate_zone_codes.csv",
                                         "ipcc_tier1_growth.csv",
                                         "casa_vegetation.csv"};
    std::set<std::string> seen;
    for (const auto &e : fs::directory_iterator(parameters_dir())) {
        if (e.path().extension() != ".csv") {
            continue;
        }
        const std::string file = e.path().filename().string();
        seen.insert(file);
        EXPECT_TRUE(known.count(file)) << file << " has no loader test: add it to Shipped";
        const CsvTable csv = parse_csv(read_text(e.path()), file);
        const int src = csv.column("source");
        const int st = csv.column("status");
        ASSERT_GE(src, 0) << file << " has no source column";
        ASSERT_GE(st, 0) << file << " has no status column";
        EXPECT_FALSE(csv.rows.empty()) << file;
        for (const auto &row : csv.rows) {
            ASSERT_EQ(row.cells.size(), csv.header.size()) << file << ", line " << row.line;
            const std::string &source = row.cells[static_cast<std::size_t>(src)];
            const std::string &status = row.cells[static_cast<std::size_t>(st)];
            EXPECT_FALSE(source.empty()) << file << ", line " << row.line;
            static const std::set<std::string> tags = {"V",       "V2", "V2-single",  "V2-conflict",
                                                       "V2-weak", "U",  "PLACEHOLDER"};
            EXPECT_TRUE(tags.count(status)) << file << ", line " << row.line << ": " << status;
        }
    }
    EXPECT_EQ(seen, known);
}

TEST(ShippedTables, UnverifiedRowsAreExactlyTheOnesScienceMdFlags) {
    const Shipped &t = shipped();
    // Growth: the rows whose r20 columns are shifted in the source (science.md §2.4).
    std::set<std::string> growth_u;
    for (const auto &r : t.growth.rows) {
        if (is_unverified(r.status)) {
            growth_u.insert(r.ecozone + "/" + r.continent + "/" + r.forest_type);
        }
        if (r.ecozone == "temperate_continental" &&
            (r.continent == "asia" || r.continent == "oceania")) {
            EXPECT_TRUE(is_unverified(r.rs_status)) << r.forest_type << " line " << r.line;
        } else {
            EXPECT_FALSE(is_unverified(r.rs_status)) << r.ecozone << " line " << r.line;
        }
    }
    const std::set<std::string> expect_u = {
        "temperate_continental/asia/natural",       "temperate_continental/europe/natural",
        "temperate_continental/oceania/natural",    "temperate_mountain_system/asia/natural",
        "temperate_mountain_system/europe/natural", "temperate_mountain_system/oceania/natural"};
    EXPECT_EQ(growth_u, expect_u);
    // SOC factors: the single-copy tropical-montane perennial crop (1.1, HESTIA only).
    int factors_u = 0;
    for (const auto &r : t.soc_factors.rows) {
        if (is_unverified(r.status)) {
            ++factors_u;
            EXPECT_EQ(r.level, "perennial_tree_crop");
            EXPECT_EQ(r.climate_zone, "tropical_montane");
        }
    }
    EXPECT_EQ(factors_u, 1);
    for (const auto &r : t.cbef.rows) {
        EXPECT_FALSE(is_unverified(r.status)) << r.forest_type;
        EXPECT_DOUBLE_EQ(r.carbon_fraction, 0.5) << r.forest_type;
    }
    for (const auto &r : t.bcef.rows) {
        EXPECT_EQ(r.status, "V");
    }
    for (const auto &r : t.root_shoot.rows) {
        EXPECT_EQ(r.status, "V");
    }
    for (const auto &r : t.dom.rows) {
        EXPECT_EQ(r.status, "V");
    }
    for (const auto &r : t.soc_ref.rows) {
        EXPECT_EQ(r.status, "V2");
    }
    // CASA: the broadleaf epsilon_max assignment and the shrub value are [U] until checked
    // against Zhu et al. 2006 (science.md §5.1); the other rows are one copy (V2-single).
    std::set<std::string> casa_u;
    for (const auto &r : t.casa.rows) {
        if (is_unverified(r.status)) {
            casa_u.insert(r.casa_type);
        } else {
            EXPECT_EQ(r.status, "V2-single") << r.casa_type;
        }
    }
    EXPECT_EQ(casa_u, (std::set<std::string>{"deciduous_broadleaf_forest",
                                             "evergreen_broadleaf_forest", "shrubland"}));
}

TEST(ShippedTables, ClassesAreContiguousAndEveryUpperBoundIsInItsOwnClass) {
    const Shipped &t = shipped();
    for (const auto &g : t.bcef.groups) {
        double previous_upper = 0.0;
        for (std::size_t i = g.begin; i < g.end; ++i) {
            const BcefRow &r = t.bcef.rows[i];
            EXPECT_EQ(r.gs_lower_m3_per_ha, previous_upper) << g.key1 << "/" << g.key2;
            previous_upper = r.gs_upper_m3_per_ha;
            if (std::isfinite(r.gs_upper_m3_per_ha)) {
                EXPECT_EQ(t.bcef.find(g.key1, g.key2, r.gs_upper_m3_per_ha), &r);
            }
        }
        EXPECT_EQ(previous_upper, std::numeric_limits<double>::infinity());
    }
    for (const auto &g : t.root_shoot.groups) {
        for (std::size_t i = g.begin; i < g.end; ++i) {
            const RootShootRow &r = t.root_shoot.rows[i];
            if (std::isfinite(r.agb_upper_t_per_ha)) {
                EXPECT_EQ(t.root_shoot.find(g.key1, g.key2, r.agb_upper_t_per_ha), &r);
            }
        }
    }
}

/// snake_case of a label, as the shipped tables spell their keys.
std::string snake(const std::string &s) {
    std::string out;
    bool sep = false;
    for (const char c : s) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            if (sep && !out.empty()) {
                out += '_';
            }
            out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            sep = false;
        } else {
            sep = true;
        }
    }
    return out;
}

double num(const std::string &s) {
    double v = NaN;
    EXPECT_TRUE(parse_number(s, v)) << "\"" << s << "\"";
    return v;
}

/// Every value of the shipped tables equals its origin in ../shared/tables (when present).
TEST(ShippedTables, ValuesMatchTheSharedSourceTables) {
    const fs::path shared = fs::path(CS_CONFIGS_DIR) / ".." / ".." / "shared" / "tables";
    if (!fs::is_directory(shared)) {
        GTEST_SKIP() << "../shared/tables is absent: cannot cross-check the shipped values";
    }
    const Shipped &t = shipped();
    auto rows_of = [&](const char *file) { return parse_csv(read_text(shared / file), file); };
    auto cell = [](const CsvTable &csv, const CsvTable::Row &row, const char *col) {
        const int c = csv.column(col);
        EXPECT_GE(c, 0) << col;
        return c >= 0 ? row.cells[static_cast<std::size_t>(c)] : std::string();
    };

    { // China CBEF: every source row is shipped with the same a and b.
        const auto csv = rows_of("china_forest_biomass_volume_coefficients_B_eq_aV_plus_b.csv");
        ASSERT_EQ(csv.rows.size(), t.cbef.rows.size());
        for (const auto &row : csv.rows) {
            int matches = 0;
            for (const auto &r : t.cbef.rows) {
                if (r.forest_type_zh == cell(csv, row, "forest_type_zh") &&
                    r.forest_type_en == cell(csv, row, "forest_type_en") &&
                    r.a_t_per_m3 == num(cell(csv, row, "a_t_per_m3")) &&
                    r.b_t_per_ha == num(cell(csv, row, "b_t_per_ha"))) {
                    ++matches;
                }
            }
            EXPECT_EQ(matches, 1) << "line " << row.line;
        }
    }
    for (const char *domain : {"boreal", "temperate", "mediterranean"}) { // BCEF
        const auto csv =
            rows_of((std::string("ipcc2006_table4_5_bcef_") + domain + ".csv").c_str());
        for (const auto &row : csv.rows) {
            const std::string type = snake(cell(csv, row, "forest_type"));
            const std::string kind = cell(csv, row, "bcef");
            for (std::size_t c = 3; c < csv.header.size(); ++c) {
                // the class's upper bound: gs_<lower>_<upper>, INF -> a large stock
                const std::string h = csv.header[c];
                const std::string up = h.substr(h.rfind('_') + 1);
                const double v = up == "INF" ? 1e6 : num(up);
                const BcefRow *r = t.bcef.find(domain, type, v);
                ASSERT_NE(r, nullptr) << domain << " " << type << " " << h;
                const double shipped_value = kind == "bcefs"   ? r->bcef_s
                                             : kind == "bcefi" ? r->bcef_i
                                                               : r->bcef_r;
                EXPECT_EQ(shipped_value, num(row.cells[c])) << domain << " " << type << " " << h;
            }
        }
    }
    { // Root:shoot.
        const auto csv = rows_of("ipcc2006_table4_4_root_shoot_nontropical.csv");
        ASSERT_EQ(csv.rows.size(), t.root_shoot.rows.size());
        const std::map<std::string, std::string> types = {{"con", "conifer"},
                                                          {"broad", "broadleaf"},
                                                          {"quercus", "quercus"},
                                                          {"eucalyptus", "eucalyptus"}};
        for (const auto &row : csv.rows) {
            const std::string zone = cell(csv, row, "climatic_zone");
            std::string type = types.at(cell(csv, row, "forest_type"));
            if (zone == "temperate" && type == "broadleaf") {
                type = "other_broadleaf";
            }
            const double lo = num(cell(csv, row, "lower"));
            const std::string up = cell(csv, row, "upper");
            const double v = up == "INF" ? lo + 1.0 : num(up);
            const RootShootRow *r = t.root_shoot.find(zone, type, v);
            ASSERT_NE(r, nullptr) << "line " << row.line;
            EXPECT_EQ(r->ratio, num(cell(csv, row, "ratio"))) << "line " << row.line;
            EXPECT_EQ(r->agb_lower_t_per_ha, lo) << "line " << row.line;
        }
    }
    { // DOM fractions.
        const auto csv = rows_of("cdm_ar_tool12_deadwood_litter_fraction_of_agb.csv");
        struct Probe {
            const char *domain;
            double elevation;
            double precip;
            std::size_t source_row;
        };
        for (const Probe &p : {Probe{"tropical", 100, 500, 0}, Probe{"tropical", 100, 1200, 1},
                               Probe{"tropical", 100, 2000, 2}, Probe{"tropical", 3000, 500, 3},
                               Probe{"temperate", 100, 500, 4}, Probe{"boreal", 3000, 3000, 4}}) {
            const DomRow *r = t.dom.find(p.domain, p.elevation, p.precip);
            ASSERT_NE(r, nullptr) << p.domain;
            const auto &row = csv.rows[p.source_row];
            EXPECT_EQ(r->deadwood_fraction_of_agb, num(cell(csv, row, "deadwood_fraction_of_agb")));
            EXPECT_EQ(r->litter_fraction_of_agb, num(cell(csv, row, "litter_fraction_of_agb")));
        }
    }
    { // SOC_REF with uncertainty.
        const auto csv = rows_of("ipcc2019_socref_mineral_0-30cm_with_uncertainty.csv");
        ASSERT_EQ(csv.rows.size(), t.soc_ref.rows.size());
        for (const auto &row : csv.rows) {
            const SocRefRow *r = t.soc_ref.find(snake(cell(csv, row, "climate_zone_ipcc2019")),
                                                snake(cell(csv, row, "soil_class")));
            ASSERT_NE(r, nullptr) << "line " << row.line;
            EXPECT_EQ(r->soc_ref_t_c_per_ha, num(cell(csv, row, "socref_tC_per_ha")));
            EXPECT_EQ(r->uncertainty_pct, num(cell(csv, row, "uncertainty_pct_95ci_of_mean")));
        }
    }
    { // Stock-change factors with error (exact zone rows, no fallback).
        const auto csv = rows_of("ipcc2019_soc_stock_change_factors_with_error.csv");
        ASSERT_EQ(csv.rows.size(), t.soc_factors.rows.size());
        for (const auto &row : csv.rows) {
            const std::string zone = cell(csv, row, "climate_zone_ipcc2019");
            const SocFactorRow *r = t.soc_factors.find(
                snake(cell(csv, row, "land_use")), cell(csv, row, "factor"),
                snake(cell(csv, row, "level")), zone == "All" ? "all" : snake(zone));
            ASSERT_NE(r, nullptr) << "line " << row.line;
            EXPECT_EQ(r->climate_zone, zone == "All" ? "all" : snake(zone));
            EXPECT_EQ(r->value, num(cell(csv, row, "value"))) << "line " << row.line;
            const std::string err = cell(csv, row, "error_pct_2sd_of_mean");
            if (err.empty()) {
                EXPECT_TRUE(std::isnan(r->error_pct)) << "line " << row.line;
            } else {
                EXPECT_EQ(r->error_pct, num(err)) << "line " << row.line;
            }
            if (!is_unverified(r->status)) {
                EXPECT_EQ(r->status, cell(csv, row, "status")) << "line " << row.line;
            }
        }
    }
    { // CASA vegetation types: every source row shipped with the same six numbers.
        const auto csv = rows_of("china_casa_vegetation_parameters.csv");
        ASSERT_EQ(csv.rows.size(), t.casa.rows.size());
        for (const auto &row : csv.rows) {
            int matches = 0;
            for (const auto &r : t.casa.rows) {
                const CasaParameters &p = r.parameters;
                if (r.vegetation_type_zh == cell(csv, row, "vegetation_type_zh") &&
                    p.ndvi_max == num(cell(csv, row, "NDVI_max")) &&
                    p.ndvi_min == num(cell(csv, row, "NDVI_min")) &&
                    p.sr_max == num(cell(csv, row, "SR_max")) &&
                    p.sr_min == num(cell(csv, row, "SR_min")) &&
                    p.epsilon_max_g_c_per_mj == num(cell(csv, row, "epsilon_max_gC_per_MJ"))) {
                    ++matches;
                    // A row the source marks CHECK is shipped unverified.
                    EXPECT_EQ(is_unverified(r.status),
                              cell(csv, row, "note").rfind("CHECK", 0) == 0)
                        << r.casa_type;
                }
            }
            EXPECT_EQ(matches, 1) << "line " << row.line;
        }
    }
    { // Tier 1 growth: every source row (exact duplicates dropped) with the same values.
        const auto csv = rows_of("earthshot_ipcc_tier1_forest_growth_parameters.csv");
        for (const auto &row : csv.rows) {
            const Tier1GrowthRow *r =
                t.growth.find(snake(cell(csv, row, "ecozone")), snake(cell(csv, row, "continent")),
                              snake(cell(csv, row, "forest_type")));
            ASSERT_NE(r, nullptr) << "line " << row.line;
            EXPECT_EQ(r->r0_t_dm_per_ha_yr, num(cell(csv, row, "r0")));
            EXPECT_EQ(r->r0_low, num(cell(csv, row, "r0_low")));
            EXPECT_EQ(r->r0_high, num(cell(csv, row, "r0_high")));
            EXPECT_EQ(r->k20_t_dm_per_ha, num(cell(csv, row, "K20")));
            EXPECT_EQ(r->k20_low, num(cell(csv, row, "K20_low")));
            EXPECT_EQ(r->k20_high, num(cell(csv, row, "K20_high")));
            EXPECT_EQ(r->r20_t_dm_per_ha_yr, num(cell(csv, row, "r20")));
            EXPECT_EQ(r->r20_low, num(cell(csv, row, "r20_low")));
            EXPECT_EQ(r->r20_high, num(cell(csv, row, "r20_high")));
            EXPECT_EQ(r->kmax_t_dm_per_ha, num(cell(csv, row, "Kmax")));
            EXPECT_EQ(r->kmax_low, num(cell(csv, row, "Kmax_low")));
            EXPECT_EQ(r->kmax_high, num(cell(csv, row, "Kmax_high")));
            EXPECT_EQ(r->root_shoot_break_t_dm_per_ha, num(cell(csv, row, "root_shoot_break")));
            EXPECT_EQ(r->rs_young, num(cell(csv, row, "rs_young")));
            EXPECT_EQ(r->rs_old, num(cell(csv, row, "rs_old")));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Loaders: lookups and error texts

TEST(ParameterTables, IsUnverified) {
    EXPECT_TRUE(is_unverified("U"));
    EXPECT_TRUE(is_unverified("U (check against the PDF)"));
    EXPECT_TRUE(is_unverified("unverified"));
    EXPECT_TRUE(is_unverified("[U]"));
    EXPECT_TRUE(is_unverified("PLACEHOLDER"));
    EXPECT_TRUE(is_unverified("V2 (soil); PLACEHOLDER (biomass)"));
    EXPECT_TRUE(is_unverified("  placeholder - confirm before use"));
    EXPECT_FALSE(is_unverified("V"));
    EXPECT_FALSE(is_unverified("V2"));
    EXPECT_FALSE(is_unverified("V2-single"));
    EXPECT_FALSE(is_unverified("V2-conflict"));
    EXPECT_FALSE(is_unverified("V2-weak"));
    EXPECT_FALSE(is_unverified(""));
}

TEST(ParameterTables, InClassIsLowerExclusiveUpperInclusiveWithZeroInTheFirstClass) {
    EXPECT_TRUE(in_class(0.0, 0.0, 20.0));
    EXPECT_TRUE(in_class(20.0, 0.0, 20.0));
    EXPECT_FALSE(in_class(20.0, 20.0, 50.0));
    EXPECT_TRUE(in_class(20.000001, 20.0, 50.0));
    EXPECT_TRUE(in_class(1e300, 200.0, std::numeric_limits<double>::infinity()));
    EXPECT_TRUE(in_class(-400.0, -std::numeric_limits<double>::infinity(), 2000.0));
    EXPECT_FALSE(in_class(-1.0, 0.0, 20.0));
    EXPECT_FALSE(in_class(NaN, 0.0, 20.0));
    EXPECT_FALSE(in_class(0.0, 70.0, 100.0));
}

const char *const CBEF_HEADER =
    "forest_type,forest_type_zh,forest_type_en,a_t_per_m3,b_t_per_ha,carbon_fraction,source,"
    "status\n";

std::vector<std::string> cbef_errors(const std::string &body) {
    std::vector<std::string> errors;
    parse_cbef_table(CBEF_HEADER + body, "china_cbef.csv", errors);
    return errors;
}

TEST(ParameterTables, CbefLookupAndProvenance) {
    std::vector<std::string> errors;
    const auto t = parse_cbef_table(std::string(CBEF_HEADER) +
                                        "b_type,乙,B,0.5,10,0.47,paper B,V2\n"
                                        "a_type,甲,A,0.4652,19.141,0.5,\"paper A, Table 1\",V\n",
                                    "china_cbef.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const CbefRow *a = t.find("a_type");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->line, 3);
    EXPECT_EQ(a->source, "paper A, Table 1");
    EXPECT_EQ(a->status, "V");
    EXPECT_EQ(a->forest_type_zh, "甲");
    EXPECT_DOUBLE_EQ(china_live_biomass_carbon_t_c_per_ha(*a, 100.0), 65.661 * 0.5);
    EXPECT_EQ(t.find("c_type"), nullptr);
    EXPECT_EQ(t.find(""), nullptr);
}

TEST(ParameterTables, CbefErrorTexts) {
    EXPECT_EQ(cbef_errors("x,,,abc,1,0.5,s,V\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: a_t_per_m3 \"abc\" is not a finite number"});
    EXPECT_EQ(cbef_errors("x,,,-0.4,1,0.5,s,V\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: a_t_per_m3 -0.4 is not positive (it must be > 0)"});
    EXPECT_EQ(cbef_errors("x,,,0.4,1,1.5,s,V\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: carbon_fraction 1.5 is not in (0, 1] (a carbon "
                  "fraction)"});
    EXPECT_EQ(cbef_errors("x,,,0.4,,0.5,s,V\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: b_t_per_ha is empty (a number is required)"});
    EXPECT_EQ(cbef_errors("x,,,INF,1,0.5,s,V\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: a_t_per_m3 \"INF\" is not a finite number"});
    EXPECT_EQ(cbef_errors(",,,0.4,1,0.5,s,V\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: forest_type is empty (a key is required)"});
    EXPECT_EQ(cbef_errors("x,,,0.4,1,0.5,s,V\ny,,,0.4,1,0.5,s,V\nx,,,0.5,2,0.5,s,V\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 4: forest_type \"x\" is listed twice (also line 2)"});
    EXPECT_EQ(cbef_errors("x,,,0.4,1,0.5,,V\n"),
              std::vector<std::string>{"china_cbef.csv, line 2: source is empty (every row "
                                       "must cite where its values come from)"});
    EXPECT_EQ(cbef_errors("x,,,0.4,1,0.5,s,\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: status is empty (every row needs one of V, V2, "
                  "V2-single, V2-conflict, V2-weak, U, PLACEHOLDER)"});
    EXPECT_EQ(cbef_errors("x,,,0.4,1,0.5,s,verified\n"),
              std::vector<std::string>{
                  "china_cbef.csv, line 2: status \"verified\" is not one of V, V2, V2-single, "
                  "V2-conflict, V2-weak, U, PLACEHOLDER"});
    EXPECT_EQ(cbef_errors(""), std::vector<std::string>{"china_cbef.csv: the table has no rows"});
    EXPECT_EQ(cbef_errors("x,,,\"0.4,1,0.5,s,V\n"),
              std::vector<std::string>{"china_cbef.csv, line 2: a quoted field is not closed"});
    // Every problem of a row and of every row is reported, not only the first.
    EXPECT_EQ(cbef_errors("x,,,a,b,0.5,s,V\ny,,,0.4,1,2,s,V\n").size(), 3u);
    // U and PLACEHOLDER rows load (they are flagged, not refused).
    EXPECT_TRUE(cbef_errors("x,,,0.4,1,0.5,s,U\ny,,,0.4,1,0.5,s,PLACEHOLDER - confirm\n").empty());
}

TEST(ParameterTables, MissingColumnsAreAllReported) {
    std::vector<std::string> errors;
    parse_cbef_table("forest_type,a_t_per_m3,source,status\nx,0.4,s,V\n", "china_cbef.csv", errors);
    const std::string tail = "\" is missing (the header must have forest_type, forest_type_zh, "
                             "forest_type_en, a_t_per_m3, b_t_per_ha, carbon_fraction, source, "
                             "status)";
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "china_cbef.csv, line 1: required column \"forest_type_zh" + tail,
                          "china_cbef.csv, line 1: required column \"forest_type_en" + tail,
                          "china_cbef.csv, line 1: required column \"b_t_per_ha" + tail,
                          "china_cbef.csv, line 1: required column \"carbon_fraction" + tail}));
}

const char *const BCEF_HEADER = "climate_domain,forest_type,gs_lower_m3_per_ha,gs_upper_m3_per_ha,"
                                "bcef_s,bcef_i,bcef_r,source,status\n";

std::vector<std::string> bcef_errors(const std::string &body) {
    std::vector<std::string> errors;
    parse_bcef_table(BCEF_HEADER + body, "ipcc_bcef.csv", errors);
    return errors;
}

TEST(ParameterTables, BcefClassesAndErrorTexts) {
    std::vector<std::string> errors;
    const auto t =
        parse_bcef_table(std::string(BCEF_HEADER) + "temperate,pines,20,inf,0.7,0.6,0.77,s,V\n"
                                                    "temperate,pines,0,20,1.8,1.5,2.0,s,V\n",
                         "ipcc_bcef.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const int g = t.group("temperate", "pines");
    ASSERT_GE(g, 0);
    EXPECT_EQ(t.group("temperate", "larch"), -1);
    EXPECT_EQ(t.group("boreal", "pines"), -1);
    EXPECT_EQ(t.find(g, 20.0)->bcef_s, 1.8);
    EXPECT_EQ(t.find(g, 1e9)->bcef_s, 0.7);
    EXPECT_EQ(t.find(-1, 10.0), nullptr);
    EXPECT_EQ(t.find(99, 10.0), nullptr);
    bool found = true;
    EXPECT_EQ(t.bcef_s("temperate", "pines", -0.5, found), 0.0);
    EXPECT_FALSE(found);
    EXPECT_EQ(t.bcef_r("temperate", "pines", 5.0, found), 2.0);
    EXPECT_TRUE(found);

    EXPECT_EQ(bcef_errors("temperate,pines,0,20,1.8,1.5,2.0,s,V\n"
                          "temperate,pines,10,40,1.0,0.75,1.11,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 3: growing-stock class (10, 40] of "
                                       "temperate/pines overlaps line 2 (0, 20]"});
    EXPECT_EQ(bcef_errors("temperate,pines,0,20,1.8,1.5,2.0,s,V\n"
                          "temperate,pines,0,20,1.8,1.5,2.0,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 3: growing-stock class (0, 20] of "
                                       "temperate/pines overlaps line 2 (0, 20]"});
    EXPECT_EQ(bcef_errors("temperate,pines,INF,20,1.8,1.5,2.0,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 2: gs_lower_m3_per_ha \"INF\" "
                                       "cannot be INF (a lower bound may be -INF)"});
    EXPECT_EQ(bcef_errors("temperate,pines,0,-INF,1.8,1.5,2.0,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 2: gs_upper_m3_per_ha \"-INF\" "
                                       "cannot be -INF (an upper bound may be INF)"});
    EXPECT_EQ(bcef_errors("temperate,pines,-5,20,1.8,1.5,2.0,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 2: gs_lower_m3_per_ha -5 is "
                                       "negative (the quantity is >= 0)"});
    EXPECT_EQ(bcef_errors("temperate,pines,40,20,1.8,1.5,2.0,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 2: gs_upper_m3_per_ha 20 is not "
                                       "above gs_lower_m3_per_ha 40 (an empty class)"});
    EXPECT_EQ(bcef_errors("temperate,pines,0,,1.8,1.5,2.0,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 2: gs_upper_m3_per_ha is empty (a "
                                       "bound is required; write INF or -INF for none)"});
    EXPECT_EQ(bcef_errors("temperate,pines,0,lots,1.8,1.5,2.0,s,V\n"),
              std::vector<std::string>{"ipcc_bcef.csv, line 2: gs_upper_m3_per_ha \"lots\" is "
                                       "not a number, INF or -INF"});
    EXPECT_EQ(bcef_errors("temperate,pines,0,20,0,1.5,2.0,s,V\n"),
              std::vector<std::string>{
                  "ipcc_bcef.csv, line 2: bcef_s 0 is not positive (it must be > 0)"});
}

TEST(ParameterTables, RootShootErrorTexts) {
    std::vector<std::string> errors;
    parse_root_shoot_table("climate_zone,forest_type,agb_lower_t_per_ha,agb_upper_t_per_ha,ratio,"
                           "source,status\n"
                           "temperate,conifer,0,50,-0.4,s,V\n"
                           "temperate,conifer,50,150,0.29,s,V\n"
                           "temperate,conifer,100,INF,0.2,s,V\n",
                           "ipcc_root_shoot.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "ipcc_root_shoot.csv, line 2: ratio -0.4 is negative (it must be >= 0)",
                          "ipcc_root_shoot.csv, line 4: AGB class (100, INF] of "
                          "temperate/conifer overlaps line 3 (50, 150]"}));
}

TEST(ParameterTables, DomLookupAndErrorTexts) {
    const std::string header =
        "climate_domain,elevation_lower_m,elevation_upper_m,precip_lower_mm_per_yr,"
        "precip_upper_mm_per_yr,deadwood_fraction_of_agb,litter_fraction_of_agb,"
        "deadwood_carbon_fraction,litter_carbon_fraction,source,status\n";
    std::vector<std::string> errors;
    const auto t = parse_dom_table(header + "tropical,-INF,2000,0,1000,0.02,0.04,0.47,0.37,s,V\n"
                                            "tropical,2000,INF,0,INF,0.07,0.01,0.47,0.37,s,V\n",
                                   "dom_fractions.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    EXPECT_EQ(t.find("tropical", 2000.0, 0.0)->deadwood_fraction_of_agb, 0.02);
    EXPECT_EQ(t.find("tropical", 2000.5, 5000.0)->deadwood_fraction_of_agb, 0.07);
    EXPECT_EQ(t.find("tropical", 100.0, 1000.5), nullptr);
    EXPECT_EQ(t.find("temperate", 100.0, 100.0), nullptr);
    const auto dom = dom_carbon_from_agb(t, "tropical", 2500.0, 100.0, 200.0);
    ASSERT_TRUE(dom.found);
    EXPECT_EQ(dom.row->line, 3);
    EXPECT_DOUBLE_EQ(dom.deadwood_t_c_per_ha, 200.0 * 0.07 * 0.47);
    EXPECT_FALSE(dom_carbon_from_agb(t, "tropical", NaN, 100.0, 200.0).found);

    errors.clear();
    parse_dom_table(header + "tropical,-INF,2000,0,1000,0.02,0.04,0.47,0.37,s,V\n"
                             "tropical,1000,INF,500,INF,0.07,0.01,0.47,0.37,s,V\n"
                             "boreal,-INF,INF,0,INF,0.08,0.04,0,0.37,s,V\n",
                    "dom_fractions.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "dom_fractions.csv, line 4: deadwood_carbon_fraction 0 is not in (0, "
                          "1] (a carbon fraction)",
                          "dom_fractions.csv, line 3: elevation (1000, INF] m x precipitation "
                          "(500, INF] mm/yr of tropical overlaps line 2"}));
}

const char *const FACTOR_HEADER =
    "land_use,factor,level,climate_zone,value,error_pct,source,status\n";

TEST(ParameterTables, SocFactorAllZoneFallbackAndErrorTexts) {
    std::vector<std::string> errors;
    const auto t = parse_soc_factor_table(std::string(FACTOR_HEADER) +
                                              "cropland,F_MG,full_tillage,all,1.0,,s,V2\n"
                                              "cropland,F_MG,full_tillage,tropical_wet,1.2,5,s,U\n"
                                              "cropland,F_LU,set_aside,boreal_dry,0.93,11,s,V2\n",
                                          "ipcc2019_soc_factors.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    // A zone without its own row gets the table's "all" row; a zone row wins over "all".
    const SocFactorRow *all = t.find("cropland", "F_MG", "full_tillage", "boreal_dry");
    ASSERT_NE(all, nullptr);
    EXPECT_EQ(all->climate_zone, "all");
    EXPECT_TRUE(std::isnan(all->error_pct));
    EXPECT_EQ(t.find("cropland", "F_MG", "full_tillage", "tropical_wet")->value, 1.2);
    // No "all" row: no fallback.
    bool found = true;
    EXPECT_EQ(t.factor("cropland", "F_LU", "set_aside", "boreal_moist", found), 0.0);
    EXPECT_FALSE(found);
    EXPECT_EQ(t.factor("cropland", "F_LU", "set_aside", "boreal_dry", found), 0.93);
    EXPECT_TRUE(found);

    errors.clear();
    parse_soc_factor_table(std::string(FACTOR_HEADER) + "cropland,F_X,low,all,1.0,,s,V2\n"
                                                        "cropland,F_I,low,all,0,,s,V2\n"
                                                        "cropland,F_I,high,all,1.1,-3,s,V2\n"
                                                        "cropland,F_I,medium,all,1,,s,V2\n"
                                                        "cropland,F_I,medium,all,1,,s,V2\n",
                           "ipcc2019_soc_factors.csv", errors);
    EXPECT_EQ(errors,
              (std::vector<std::string>{
                  "ipcc2019_soc_factors.csv, line 2: factor \"F_X\" is not one of F_LU, F_MG, F_I",
                  "ipcc2019_soc_factors.csv, line 3: value 0 is not positive (it must be > 0)",
                  "ipcc2019_soc_factors.csv, line 4: error_pct -3 is negative (it must be >= 0)",
                  "ipcc2019_soc_factors.csv, line 6: cropland F_I \"medium\" in climate_zone "
                  "\"all\" is listed twice (also line 5)"}));
}

TEST(ParameterTables, SocRefAndClimateZoneErrorTexts) {
    std::vector<std::string> errors;
    parse_soc_ref_table("climate_zone,soil_type,soc_ref_t_c_per_ha,uncertainty_pct,source,status\n"
                        "boreal_dry,hac,63,18,s,V2\n"
                        "boreal_dry,hac,63,18,s,V2\n"
                        "boreal_dry,lac,-1,,s,V2\n",
                        "ipcc2019_soc_ref.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "ipcc2019_soc_ref.csv, line 4: soc_ref_t_c_per_ha -1 is negative (it "
                          "must be >= 0)",
                          "ipcc2019_soc_ref.csv, line 3: climate_zone \"boreal_dry\" with "
                          "soil_type \"hac\" is listed twice (also line 2)"}));
    errors.clear();
    parse_climate_zone_code_table("code,climate_zone,source,status\n"
                                  "1.5,warm_temperate_moist,s,V2\n"
                                  "2,warm_temperate_dry,s,V2\n"
                                  "2,cool_temperate_moist,s,V2\n",
                                  "ipcc_climate_zone_codes.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "ipcc_climate_zone_codes.csv, line 2: code \"1.5\" is not an integer",
                          "ipcc_climate_zone_codes.csv, line 4: code 2 is listed twice (also "
                          "line 3)"}));
}

TEST(ParameterTables, Tier1GrowthShiftedColumnsMustBeMarkedUnverified) {
    const std::string header =
        "ecozone,continent,forest_type,r0_t_dm_per_ha_yr,r0_low,r0_high,k20_t_dm_per_ha,k20_low,"
        "k20_high,r20_t_dm_per_ha_yr,r20_low,r20_high,kmax_t_dm_per_ha,kmax_low,kmax_high,"
        "root_shoot_break_t_dm_per_ha,rs_young,rs_old,source,status\n";
    const std::string shifted = "temperate_continental,asia,natural,3.3,3.25,3.35,90.9,70.69,"
                                "111.12,3.25,3.35,90.9,116.0,106.82,125.19,125,0.48,0.19,s,";
    std::vector<std::string> errors;
    parse_tier1_growth_table(header + shifted + "V2-single\n", "ipcc_tier1_growth.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{
                          "ipcc_tier1_growth.csv, line 2: r20_t_dm_per_ha_yr 3.25 is outside "
                          "[r20_low 3.35, r20_high 90.9] (columns shifted? a row that cannot be "
                          "checked must have status U)"}));
    errors.clear();
    const auto t =
        parse_tier1_growth_table(header + shifted + "U\n", "ipcc_tier1_growth.csv", errors);
    EXPECT_TRUE(errors.empty()) << join(errors);
    const Tier1GrowthRow *r = t.find("temperate_continental", "asia", "natural");
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(is_unverified(r->status));
    EXPECT_EQ(r->rs_status, "U"); // no rs_status column: the row's status
    // Empty bounds are allowed (NaN), negative values are not.
    errors.clear();
    parse_tier1_growth_table(header + "a,b,c,1,,,5,,,1,,,40,,,75,0.39,-0.24,s,V2\n",
                             "ipcc_tier1_growth.csv", errors);
    EXPECT_EQ(errors, (std::vector<std::string>{"ipcc_tier1_growth.csv, line 2: rs_old -0.24 is "
                                                "negative (it must be >= 0)"}));
}

TEST(Kernels, NanPropagatesAndUnitsChain) {
    EXPECT_TRUE(std::isnan(total_biomass_from_volume_t_dm_per_ha(NaN, 0.5, 10.0)));
    EXPECT_TRUE(std::isnan(soc_after_change_mg_c_per_ha(81.0, 56.7, NaN)));
    EXPECT_TRUE(std::isnan(tier1_agb_t_dm_per_ha(NaN, 2.5, 1.0, 258.4, 258.4)));
    // Default transition period is 20 years (IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25).
    EXPECT_DOUBLE_EQ(soc_after_change_mg_c_per_ha(81.0, 56.7, 10.0), 68.85);
    EXPECT_DOUBLE_EQ(soc_change_between_epochs_mg_c_per_ha_yr(81.0, 56.7, 2015, 2015, 2020),
                     (56.7 - 81.0) / 20.0);
    // Live biomass carbon from the IPCC path: (AGB + BGB) x CF, one conversion.
    const Shipped &t = shipped();
    const auto live = ipcc_live_biomass_from_volume(
        t.bcef, t.bcef.group("temperate", "other_conifers"), t.root_shoot,
        t.root_shoot.group("temperate", "conifer"), 150.0);
    ASSERT_TRUE(live.found);
    EXPECT_EQ(live.bcef->status, "V");
    EXPECT_EQ(live.root_shoot->ratio, 0.29);
    EXPECT_NEAR(carbon_from_dry_matter(live.agb_t_dm_per_ha + live.bgb_t_dm_per_ha, 0.47),
                (112.5 + 32.625) * 0.47, 1e-12);
    const auto none = ipcc_live_biomass_from_volume(t.bcef, -1, t.root_shoot, 0, 150.0);
    EXPECT_FALSE(none.found);
    EXPECT_EQ(none.bcef, nullptr);
}

} // namespace
