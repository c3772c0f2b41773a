// Uncertainty declarations of flux.gain_loss and the NEP stage (models/gain_loss.hpp class
// comment, models/nep_stage.hpp): the parameters they declare, and the identity
//     sum over pixels of value x area == sum over keys of S[key] x sum of term products
// for arbitrary parameter values, with the pixel values recomputed in the test with the perturbed
// parameters, and at the central values equal to the stages' own outputs.
#include "models/builtin_tables.hpp"
#include "models/casa.hpp"
#include "models/gain_loss.hpp"
#include "models/nep_stage.hpp"
#include "models/stages.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace cs::models;

namespace {

constexpr double NaN = std::numeric_limits<double>::quiet_NaN();
constexpr int32_t UNWRITTEN = 123456789; ///< sentinel: every slot must be overwritten

/// Storage of StatisticRows for `slots` (statistics x pairs_max) rows of n pixels.
struct RowsStore {
    std::vector<std::vector<int32_t>> keys;
    std::vector<std::vector<double>> weights;
    std::vector<int32_t *> key_ptrs;
    std::vector<double *> weight_ptrs;
    StatisticRows rows;
    RowsStore(std::size_t stats, std::size_t pairs_max, std::size_t n)
        : keys(stats * pairs_max, std::vector<int32_t>(n, UNWRITTEN)),
          weights(stats * pairs_max, std::vector<double>(n, NaN)) {
        for (std::size_t s = 0; s < keys.size(); ++s) {
            key_ptrs.push_back(keys[s].data());
            weight_ptrs.push_back(weights[s].data());
        }
        rows = StatisticRows{key_ptrs.data(), weight_ptrs.data(), pairs_max};
    }
    /// Every slot of the first `used` pairs of each statistic was written.
    void expect_written(std::size_t stats, std::size_t pairs) const {
        for (std::size_t s = 0; s < stats; ++s) {
            for (std::size_t j = 0; j < pairs; ++j) {
                for (std::size_t i = 0; i < keys[0].size(); ++i) {
                    EXPECT_NE(keys[s * rows.pairs_max + j][i], UNWRITTEN)
                        << "statistic " << s << " pair " << j << " pixel " << i;
                }
            }
        }
    }
};

/// sum_i area_i sum_{s, j} w x sum_{terms of key with `target`} prod theta: the figure the driver
/// evaluates from the sufficient statistics S[key] = sum_i area_i w (summed here per key first,
/// as the driver does).
double evaluate(const std::vector<StatisticDecl> &decls, const StatisticRows &rows, std::size_t n,
                const std::vector<double> &area, const std::vector<double> &theta,
                uint32_t target) {
    double total = 0.0;
    for (std::size_t s = 0; s < decls.size(); ++s) {
        std::vector<double> S(decls[s].keys.size(), 0.0);
        for (std::size_t j = 0; j < decls[s].pairs; ++j) {
            for (std::size_t i = 0; i < n; ++i) {
                const int32_t k = rows.key[s * rows.pairs_max + j][i];
                if (k >= 0) {
                    EXPECT_LT(static_cast<std::size_t>(k), S.size());
                    S[static_cast<std::size_t>(k)] +=
                        area[i] * rows.weight[s * rows.pairs_max + j][i];
                }
            }
        }
        for (std::size_t k = 0; k < S.size(); ++k) {
            for (const Term &t : decls[s].keys[k]) {
                if (t.target != target) {
                    continue;
                }
                double prod = 1.0;
                for (uint32_t q : t.monomial) {
                    prod *= theta.at(q);
                }
                total += S[k] * prod;
            }
        }
    }
    return total;
}

/// Random factors, one per parameter (drawn in declaration order), and lookups by name that
/// record which names the test used.
struct Perturbation {
    std::map<std::string, double> factor;
    std::set<std::string> looked_up;
    Perturbation(const std::vector<UncertainParameter> &params, uint64_t seed, double lo,
                 double hi) {
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<double> u(lo, hi);
        for (const auto &p : params) {
            factor[p.name] = u(rng);
        }
    }
    /// The factor of `name`; 1 for a name the model does not declare (a row it cannot use).
    double operator()(const std::string &name) {
        const auto it = factor.find(name);
        if (it == factor.end()) {
            return 1.0;
        }
        looked_up.insert(name);
        return it->second;
    }
    std::vector<double> theta(const std::vector<UncertainParameter> &params) const {
        std::vector<double> t;
        for (const auto &p : params) {
            t.push_back(p.central * factor.at(p.name));
        }
        return t;
    }
};

const UncertainParameter *find_param(const std::vector<UncertainParameter> &params,
                                     const std::string &name) {
    for (const auto &p : params) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

double sum_area(const double *v, const std::vector<double> &area, std::size_t n) {
    double s = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isnan(v[i])) {
            s += v[i] * area[i];
        }
    }
    return s;
}

void expect_rel(double a, double b, double rel, const std::string &what) {
    EXPECT_NEAR(a, b, rel * std::max(1.0, std::fabs(b))) << what;
}

// ---- Tier 1 growth --------------------------------------------------------------------------

Tier1GrowthTable tier1_table() {
    std::vector<std::string> errs;
    std::string file;
    auto t =
        parse_tier1_growth_table(builtin_parameter_table("ipcc_tier1_growth", file), file, errs);
    EXPECT_TRUE(errs.empty());
    return t;
}

const char *const GROWTH_CSV = "code,ecozone,continent,growth_forest_type,carbon_fraction\n"
                               "4,subtropical_humid_forest,asia,natural,0.5\n"
                               "7,boreal_coniferous,asia,coniferous,0.47\n"
                               "9,subtropical_mountain_system,asia,broadleaf,0.48\n";

const char *const ROW_HUMID = "[subtropical_humid_forest,asia,natural]";
const char *const ROW_BOREAL = "[boreal_coniferous,asia,coniferous]";
const char *const ROW_MOUNTAIN = "[subtropical_mountain_system,asia,broadleaf]";

/// Pixels of a Tier 1 period of 5 years, 1 year after the first epoch, covering every branch
/// of the Tier 1 curve: forest type, age at the first epoch, classes, stocks, losses.
struct Tier1Pixels {
    static constexpr std::size_t N = 12;
    // Ages at epochs k and k + 1 (age + 1, + 6) and the branches of the Tier 1 curve:
    // 0 humid 1 -> 6: t r0; 1 boreal 2 -> 7: t r0 -> K20 (K20 5 < 20 r0 = 20); 2 boreal
    // 12 -> 17: K20; 3 boreal 15 -> 20: K20; 4 boreal 60 -> 65: Kmax 40; 5 boreal 40 -> 45: K20 +
    // (t - 20) r20; 6 humid 100 -> 105: 20 r0 + (t - 20) r20, AGB 130 >= 125: rs_old; 7 humid
    // 15 -> 20: t r0, rs_young; 8, 9 mountain 3 -> 8, 8 -> 13: t r0; 10 a conversion (cropland
    // -> forest); 11 an invalid class (no value).
    double type[N] = {4, 7, 7, 7, 7, 7, 4, 4, 9, 9, 4, 4};
    double age[N] = {0, 1, 11, 14, 59, 39, 99, 14, 2, 7, 0, 0};
    int32_t from[N] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, -1};
    int32_t to[N] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    double s0[N] = {40, 10, 12, 20, 30, 35, 60, 45, 50, 70, 10, 5};
    double s1[N] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0};
    uint8_t ok[N] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    double share[N] = {0.25, 0, 0.5, 0, 0, 0.1, 0, 0.3, 0, 1.0, 0.5, 0};
    double dtype[N] = {3, 0, 3, 0, 0, 5, 0, 5, 0, 3, 3, 0};
    std::vector<double> area;
    Tier1Pixels() {
        std::mt19937_64 rng(99);
        std::uniform_real_distribution<double> u(0.5, 2.0);
        for (std::size_t i = 0; i < N; ++i) {
            area.push_back(u(rng));
        }
    }
    GainLossPeriod period() const {
        GainLossPeriod in;
        in.n = N;
        in.class_from = from;
        in.class_to = to;
        in.stock_from = s0;
        in.stock_to = s1;
        in.forest_type = type;
        in.forest_type_ok = ok;
        in.driver = age;
        in.driver_ok = ok;
        in.years_since_first_epoch = 1;
        in.years = 5;
        in.disturbed = share;
        in.disturbed_ok = ok;
        in.disturbance_type = dtype;
        in.disturbance_type_ok = ok;
        return in;
    }
};

const char *const FD_CSV = "code,fd,source,status\n3,0.6,s,V\n5,0.2,t,V\n";

/// Brute force, independent of the model: the Tier 1 AGB with every min() taking the branch it
/// takes with `central`, evaluated with `p` (the held-regime model the statistics describe).
double held_agb(const Tier1GrowthRow &central, const Tier1GrowthRow &p, double t) {
    if (t <= 0.0) {
        return 0.0;
    }
    const double c_first =
        std::min(std::min(central.k20_t_dm_per_ha, 20.0 * central.r0_t_dm_per_ha_yr),
                 t * central.r0_t_dm_per_ha_yr);
    const double c_agb = c_first + std::max(0.0, t - 20.0) * central.r20_t_dm_per_ha_yr;
    if (c_agb >= central.kmax_t_dm_per_ha) {
        return p.kmax_t_dm_per_ha;
    }
    double first = 0.0;
    if (t * central.r0_t_dm_per_ha_yr <
        std::min(central.k20_t_dm_per_ha, 20.0 * central.r0_t_dm_per_ha_yr)) {
        first = t * p.r0_t_dm_per_ha_yr;
    } else if (20.0 * central.r0_t_dm_per_ha_yr < central.k20_t_dm_per_ha) {
        first = 20.0 * p.r0_t_dm_per_ha_yr;
    } else {
        first = p.k20_t_dm_per_ha;
    }
    return first + std::max(0.0, t - 20.0) * p.r20_t_dm_per_ha_yr;
}

} // namespace

TEST(GainLossUncertainty, Tier1BoundsPdfFollowsTheLabel) {
    std::string why;
    // "standard deviation": value -/+ SD (science.md §2.4): 2.5 in [1.7, 3.3] -> sd 0.8
    Pdf p = tier1_bounds_pdf("standard deviation", 2.5, 1.7, 3.3, why);
    EXPECT_EQ(p.kind, Distribution::normal);
    EXPECT_DOUBLE_EQ(p.mean, 2.5);
    EXPECT_NEAR(p.sd, 0.8, 1e-12);
    // 95 % CI: half-width 0.8 / 1.96
    p = tier1_bounds_pdf("95% confidence interval", 2.5, 1.7, 3.3, why);
    EXPECT_EQ(p.kind, Distribution::normal);
    EXPECT_NEAR(p.sd, 0.8 / 1.96, 1e-12);
    p = tier1_bounds_pdf("range", 5.0, 1.0, 10.0, why);
    EXPECT_EQ(p.kind, Distribution::uniform);
    EXPECT_EQ(p.low, 1.0);
    EXPECT_EQ(p.high, 10.0);
    EXPECT_EQ(tier1_bounds_pdf("Range of values", 0.4, 0.3, 0.5, why).kind, Distribution::uniform);
    // "default": the x/÷1.9 envelope is no statistic
    p = tier1_bounds_pdf("default", 1.0, 0.5, 1.9, why);
    EXPECT_EQ(p.kind, Distribution::none);
    EXPECT_EQ(why, "bounds labelled \"default\" are the compiler's multiply-or-divide-by-1.9 "
                   "envelope, not a statistic (science.md §2.4, §7.1)");
    EXPECT_EQ(tier1_bounds_pdf("range and default", 10, 4, 20, why).kind, Distribution::none);
    EXPECT_EQ(tier1_bounds_pdf("range and standard deviation", 7, 2, 13, why).kind,
              Distribution::none);
    EXPECT_EQ(why, "the bounds' uncertainty type \"range and standard deviation\" does not say "
                   "which statistic they are (science.md §7.1)");
    EXPECT_EQ(tier1_bounds_pdf("", 1.0, 0.5, 1.9, why).kind, Distribution::none);
    EXPECT_EQ(why, "the bounds have no uncertainty type in the compilation");
    // an SD label with bounds not symmetric about the value
    EXPECT_EQ(tier1_bounds_pdf("standard deviation", 2.5, 1.0, 3.3, why).kind, Distribution::none);
    EXPECT_EQ(why, "bounds labelled \"standard deviation\" are not symmetric about the value");
    EXPECT_EQ(tier1_bounds_pdf("range", 2.5, NaN, NaN, why).kind, Distribution::none);
    EXPECT_EQ(why, "no bounds in the row");
}

TEST(GainLossUncertainty, Tier1Parameters) {
    const Tier1GrowthTable table = tier1_table();
    std::vector<std::string> errs;
    GainLossModel model(
        parse_growth_types(GROWTH_CSV, "models.flux.growth_table (data/growth.csv)", table, errs),
        {0, 1});
    model.set_losses(
        {parse_disturbance_types(FD_CSV, "models.flux.disturbance_table (fd.csv)", errs), 0.0});
    ASSERT_TRUE(errs.empty()) << errs.front();
    const auto &params = model.uncertain_parameters();
    // Names are unique.
    std::set<std::string> names;
    for (const auto &p : params) {
        EXPECT_TRUE(names.insert(p.name).second) << p.name;
    }
    // Humid natural: labelled standard deviation (r0 2.5 [1.7, 3.3], r20 1.0 [0.1, 1.9],
    // K20 = Kmax 258.4 [130.3, 386.5]).
    const auto *r0 =
        find_param(params, std::string("ipcc_tier1_growth.csv:r0_t_dm_per_ha_yr") + ROW_HUMID);
    ASSERT_NE(r0, nullptr);
    EXPECT_EQ(r0->pdf.kind, Distribution::normal);
    EXPECT_NEAR(r0->pdf.sd, 0.8, 1e-12);
    EXPECT_EQ(r0->central, 2.5);
    const auto *kmax =
        find_param(params, std::string("ipcc_tier1_growth.csv:kmax_t_dm_per_ha") + ROW_HUMID);
    ASSERT_NE(kmax, nullptr);
    EXPECT_NEAR(kmax->pdf.sd, (386.5 - 130.3) / 2, 1e-9);
    // Mountain broadleaf: labelled range (r0 5 [1, 10])
    const auto *r0m =
        find_param(params, std::string("ipcc_tier1_growth.csv:r0_t_dm_per_ha_yr") + ROW_MOUNTAIN);
    ASSERT_NE(r0m, nullptr);
    EXPECT_EQ(r0m->pdf.kind, Distribution::uniform);
    EXPECT_EQ(r0m->pdf.low, 1.0);
    EXPECT_EQ(r0m->pdf.high, 10.0);
    // Boreal coniferous: labelled default -> none, with the table and row in the source.
    const auto *r0b =
        find_param(params, std::string("ipcc_tier1_growth.csv:r0_t_dm_per_ha_yr") + ROW_BOREAL);
    ASSERT_NE(r0b, nullptr);
    EXPECT_EQ(r0b->pdf.kind, Distribution::none);
    EXPECT_NE(r0b->source.find("ipcc_tier1_growth.csv line "), std::string::npos) << r0b->source;
    EXPECT_NE(r0b->source.find("multiply-or-divide-by-1.9"), std::string::npos) << r0b->source;
    // R, CF and fd: no documented uncertainty, sources naming the table and row.
    const auto *rs = find_param(params, std::string("ipcc_tier1_growth.csv:rs_young") + ROW_BOREAL);
    ASSERT_NE(rs, nullptr);
    EXPECT_EQ(rs->pdf.kind, Distribution::none);
    EXPECT_EQ(rs->central, 0.39);
    EXPECT_NE(rs->source.find("ipcc_tier1_growth.csv line "), std::string::npos);
    const auto *cf = find_param(params, "growth.csv:carbon_fraction[7]");
    ASSERT_NE(cf, nullptr);
    EXPECT_EQ(cf->pdf.kind, Distribution::none);
    EXPECT_EQ(cf->central, 0.47);
    EXPECT_EQ(cf->source.substr(0, 17), "growth.csv line 3");
    const auto *fd = find_param(params, "fd.csv:fd[5]");
    ASSERT_NE(fd, nullptr);
    EXPECT_EQ(fd->pdf.kind, Distribution::none);
    EXPECT_EQ(fd->central, 0.2);
    EXPECT_NE(fd->source.find("fd.csv line 3"), std::string::npos) << fd->source;
    // Two statistics (the change and, with losses, its parts) on the period axis.
    const auto decls = model.statistics();
    ASSERT_EQ(decls.size(), 2u);
    EXPECT_EQ(decls[0].axis, TimeAxis::period);
    EXPECT_EQ(decls[1].axis, TimeAxis::period);
    EXPECT_EQ(decls[0].pairs, 8u);
    for (const auto &key : decls[0].keys) {
        for (const Term &t : key) {
            EXPECT_EQ(t.target, 0u);
            for (uint32_t q : t.monomial) {
                EXPECT_LT(q, params.size());
            }
        }
    }
    for (const auto &key : decls[1].keys) {
        for (const Term &t : key) {
            EXPECT_GE(t.target, 1u);
            EXPECT_LE(t.target, 5u);
        }
    }
}

// The identity for arbitrary parameter values (factors 0.5..1.5, a different one per parameter),
// against the held-regime Tier 1 model computed here; and at the central values against the
// model's own change and parts.
TEST(GainLossUncertainty, Tier1IdentityForArbitraryParameters) {
    const Tier1GrowthTable table = tier1_table();
    std::vector<std::string> errs;
    const auto types = parse_growth_types(GROWTH_CSV, "growth.csv", table, errs);
    GainLossModel model(types, {0, 1});
    model.set_losses({parse_disturbance_types(FD_CSV, "fd.csv", errs), 0.0});
    ASSERT_TRUE(errs.empty()) << errs.front();
    const Tier1Pixels px;
    const std::size_t N = Tier1Pixels::N;
    GainLossPeriod in = px.period();
    const auto decls = model.statistics();
    RowsStore store(2, 8, N);
    in.stats = &store.rows;
    std::vector<double> out(N);
    std::vector<std::vector<double>> parts(5, std::vector<double>(N));
    std::vector<uint8_t> bad(N);
    const GainLossParts p{parts[0].data(), parts[1].data(), parts[2].data(),
                          parts[3].data(), parts[4].data(), bad.data()};
    model.period(in, out.data(), &p);
    store.expect_written(2, 8);
    // Every pixel but the invalid one has a value.
    for (std::size_t i = 0; i + 1 < N; ++i) {
        EXPECT_FALSE(std::isnan(out[i])) << i;
    }
    EXPECT_TRUE(std::isnan(out[N - 1]));
    const auto &params = model.uncertain_parameters();
    // Central values: the figures are the sums of the model's outputs.
    std::vector<double> central;
    for (const auto &q : params) {
        central.push_back(q.central);
    }
    expect_rel(evaluate(decls, store.rows, N, px.area, central, 0),
               sum_area(out.data(), px.area, N), 1e-12, "change at central values");
    for (uint32_t k = 0; k < 5; ++k) {
        expect_rel(evaluate(decls, store.rows, N, px.area, central, 1 + k),
                   sum_area(parts[k].data(), px.area, N), 1e-12, "part " + std::to_string(k));
    }
    // Arbitrary values, three draws.
    for (uint64_t seed : {1u, 2u, 3u}) {
        Perturbation f(params, seed, 0.5, 1.5);
        const std::vector<double> theta = f.theta(params);
        double change = 0.0;
        double part[5] = {};
        for (std::size_t i = 0; i < N; ++i) {
            if (px.from[i] < 0) {
                continue; // not counted
            }
            if (px.from[i] == 0) {
                // conversion, held at its central value
                const double c = (px.s1[i] - px.s0[i]) / 5.0;
                change += c * px.area[i];
                part[4] += c * px.area[i];
                continue;
            }
            const GrowthType *g = nullptr;
            for (const auto &t : types) {
                if (t.code == static_cast<int32_t>(px.type[i])) {
                    g = &t;
                }
            }
            ASSERT_NE(g, nullptr);
            const Tier1GrowthRow &c = *g->row;
            const std::string rk = "[" + c.ecozone + "," + c.continent + "," + c.forest_type + "]";
            Tier1GrowthRow q = c;
            q.r0_t_dm_per_ha_yr *= f("ipcc_tier1_growth.csv:r0_t_dm_per_ha_yr" + rk);
            q.r20_t_dm_per_ha_yr *= f("ipcc_tier1_growth.csv:r20_t_dm_per_ha_yr" + rk);
            q.k20_t_dm_per_ha *= f("ipcc_tier1_growth.csv:k20_t_dm_per_ha" + rk);
            q.kmax_t_dm_per_ha *= f("ipcc_tier1_growth.csv:kmax_t_dm_per_ha" + rk);
            const double rs_young = c.rs_young * f("ipcc_tier1_growth.csv:rs_young" + rk);
            const double rs_old = c.rs_old * f("ipcc_tier1_growth.csv:rs_old" + rk);
            const double cf = g->carbon_fraction *
                              f("growth.csv:carbon_fraction[" + std::to_string(g->code) + "]");
            const double a0 = px.age[i] + 1.0;
            const double gw = (held_agb(c, q, a0 + 5.0) - held_agb(c, q, a0)) / 5.0;
            // R class by the central AGB at the start of the period
            const double r =
                held_agb(c, c, a0) < c.root_shoot_break_t_dm_per_ha ? rs_young : rs_old;
            const double growth = gw * (1.0 + r) * cf; // IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.9, 2.10
            double dist = 0.0;
            if (px.share[i] > 0.0) {
                const double fd =
                    (px.dtype[i] == 3 ? 0.6 : 0.2) *
                    f("fd.csv:fd[" + std::to_string(static_cast<int>(px.dtype[i])) + "]");
                dist = px.share[i] / 5.0 * px.s0[i] * fd; // Eq. 2.14, stock held
            }
            change += (growth - dist) * px.area[i];
            part[0] += growth * px.area[i];
            part[3] += dist * px.area[i];
        }
        expect_rel(evaluate(decls, store.rows, N, px.area, theta, 0), change, 1e-9,
                   "change, seed " + std::to_string(seed));
        for (uint32_t k = 0; k < 5; ++k) {
            expect_rel(evaluate(decls, store.rows, N, px.area, theta, 1 + k), part[k], 1e-9,
                       "part " + std::to_string(k) + ", seed " + std::to_string(seed));
        }
        // The test perturbed every parameter of the three rows and the fd table (the wood
        // density is declared for losses but unused by Tier 1 rows, which have no BCEF_R).
        for (const auto &q : params) {
            if (q.name != "models.flux.wood_density") {
                EXPECT_TRUE(f.looked_up.count(q.name)) << q.name;
            }
        }
    }
}

// Small perturbations keep every branch of the Tier 1 curve, so the statistics must equal the
// model itself run on the perturbed table (no held regime then).
TEST(GainLossUncertainty, Tier1SmallPerturbationEqualsTheModelOnPerturbedTables) {
    const Tier1GrowthTable table = tier1_table();
    std::vector<std::string> errs;
    const auto types = parse_growth_types(GROWTH_CSV, "growth.csv", table, errs);
    GainLossModel model(types, {0, 1});
    model.set_losses({parse_disturbance_types(FD_CSV, "fd.csv", errs), 0.0});
    ASSERT_TRUE(errs.empty());
    const Tier1Pixels px;
    const std::size_t N = Tier1Pixels::N;
    GainLossPeriod in = px.period();
    RowsStore store(2, 8, N);
    in.stats = &store.rows;
    std::vector<double> out(N);
    model.period(in, out.data());
    const auto &params = model.uncertain_parameters();
    Perturbation f(params, 7, 0.999, 1.001);
    // The perturbed tables.
    Tier1GrowthTable t2 = table;
    for (auto &r : t2.rows) {
        const std::string rk = "[" + r.ecozone + "," + r.continent + "," + r.forest_type + "]";
        r.r0_t_dm_per_ha_yr *= f("ipcc_tier1_growth.csv:r0_t_dm_per_ha_yr" + rk);
        r.r20_t_dm_per_ha_yr *= f("ipcc_tier1_growth.csv:r20_t_dm_per_ha_yr" + rk);
        r.k20_t_dm_per_ha *= f("ipcc_tier1_growth.csv:k20_t_dm_per_ha" + rk);
        r.kmax_t_dm_per_ha *= f("ipcc_tier1_growth.csv:kmax_t_dm_per_ha" + rk);
        r.rs_young *= f("ipcc_tier1_growth.csv:rs_young" + rk);
        r.rs_old *= f("ipcc_tier1_growth.csv:rs_old" + rk);
    }
    auto types2 = parse_growth_types(GROWTH_CSV, "growth.csv", t2, errs);
    for (auto &g : types2) {
        g.carbon_fraction *= f("growth.csv:carbon_fraction[" + std::to_string(g.code) + "]");
    }
    auto fd2 = parse_disturbance_types(FD_CSV, "fd.csv", errs);
    for (auto &d : fd2) {
        d.fd *= f("fd.csv:fd[" + std::to_string(d.code) + "]");
    }
    GainLossModel perturbed(std::move(types2), {0, 1});
    perturbed.set_losses({std::move(fd2), 0.0});
    std::vector<double> out2(N);
    std::vector<std::vector<double>> parts(5, std::vector<double>(N));
    const GainLossParts p{parts[0].data(), parts[1].data(), parts[2].data(),
                          parts[3].data(), parts[4].data(), nullptr};
    GainLossPeriod in2 = px.period();
    perturbed.period(in2, out2.data(), &p);
    const std::vector<double> theta = f.theta(params);
    const auto decls = model.statistics();
    expect_rel(evaluate(decls, store.rows, N, px.area, theta, 0), sum_area(out2.data(), px.area, N),
               1e-9, "change");
    for (uint32_t k = 0; k < 5; ++k) {
        expect_rel(evaluate(decls, store.rows, N, px.area, theta, 1 + k),
                   sum_area(parts[k].data(), px.area, N), 1e-9, "part " + std::to_string(k));
    }
}

// ---- Volume-increment growth with every loss -------------------------------------------------

namespace {

std::shared_ptr<InventoryTables> inventory_tables() {
    auto tables = std::make_shared<InventoryTables>();
    std::vector<std::string> errs;
    std::string file;
    tables->cbef = parse_cbef_table(builtin_parameter_table("china_cbef", file), file, errs);
    tables->bcef = parse_bcef_table(builtin_parameter_table("ipcc_bcef", file), file, errs);
    tables->root_shoot =
        parse_root_shoot_table(builtin_parameter_table("ipcc_root_shoot", file), file, errs);
    EXPECT_TRUE(errs.empty());
    return tables;
}

const char *const FOREST_TYPES_CSV =
    "code,name,method,cbef_forest_type,climate_domain,bcef_forest_type,root_shoot_zone,"
    "root_shoot_type,carbon_fraction\n"
    "1,fir,china_cbef,cunninghamia_lanceolata,,,,,\n"
    "2,pines,ipcc_bcef,,temperate,pines,temperate,conifer,0.47\n"
    "3,hardwoods,ipcc_bcef,,temperate,hardwoods,temperate,other_broadleaf,0.48\n";

std::string bound(double x) {
    if (std::isinf(x)) {
        return "INF";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", x);
    return buf;
}

} // namespace

// Every parameter perturbed by a different factor (0.5..1.5); the model has no held regime on
// this path (the BCEF and R classes depend on V and BCEF_S, which are not parameters here), so
// the brute force is the model itself run on perturbed tables.
TEST(GainLossUncertainty, VolumeIncrementIdentityForArbitraryParameters) {
    const auto tables = inventory_tables();
    std::vector<std::string> errs;
    const auto types = parse_forest_types(FOREST_TYPES_CSV, "forest_types.csv", *tables, errs);
    GainLossModel model(tables, types, {0, 1}, "models.stocks.forest_types (in/forest_types.csv)");
    model.set_losses({parse_disturbance_types(FD_CSV, "fd.csv", errs), 0.45});
    ASSERT_TRUE(errs.empty()) << errs.front();
    const auto &params = model.uncertain_parameters();
    // Names and sources.
    for (const char *name :
         {"ipcc_bcef.csv:bcef_i[temperate,pines,40,100]",
          "ipcc_bcef.csv:bcef_r[temperate,pines,200,INF]",
          "ipcc_root_shoot.csv:ratio[temperate,conifer,50,150]",
          "china_cbef.csv:a_t_per_m3[cunninghamia_lanceolata]",
          "china_cbef.csv:carbon_fraction[cunninghamia_lanceolata]",
          "forest_types.csv:carbon_fraction[2]", "models.flux.wood_density", "fd.csv:fd[3]"}) {
        const auto *q = find_param(params, name);
        ASSERT_NE(q, nullptr) << name;
        EXPECT_EQ(q->pdf.kind, Distribution::none) << name;
    }
    EXPECT_EQ(find_param(params, "ipcc_bcef.csv:bcef_i[temperate,pines,40,100]")->central, 0.6);
    EXPECT_NE(find_param(params, "ipcc_bcef.csv:bcef_i[temperate,pines,40,100]")
                  ->source.find("ipcc_bcef.csv line 25"),
              std::string::npos);
    EXPECT_EQ(find_param(params, "models.flux.wood_density")->central, 0.45);
    // Pixels: pines in several V classes and R classes, hardwoods, fir, a conversion, losses
    // of every kind, a NaN (removal nodata).
    constexpr std::size_t N = 10;
    const int32_t from[N] = {1, 1, 1, 1, 1, 1, 1, 0, 1, 1};
    const int32_t to[N] = {1, 1, 1, 1, 1, 1, 1, 1, 0, 1};
    const double s0[N] = {45.4725, 50, 80, 20, 60, 30, 50, 10, 30, 50};
    const double s1[N] = {0, 0, 0, 0, 0, 0, 0, 40, 5, 0};
    const double ft[N] = {2, 1, 2, 2, 3, 3, 1, 2, 2, 2};
    const uint8_t ok[N] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    const double vol[N] = {100, 100, 250, 15, 150, 30, 80, 100, 100, 100};
    const double inc[N] = {5, 5, 3, 2, 4, 1.5, 6, 5, 5, 5};
    const double h[N] = {2, 2, 0, 1, 3, 0, 0, 0, 0, 2};
    const uint8_t h_ok[N] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0};
    const double fg[N] = {1, 0.5, 0, 0, 1, 0.2, 0, 0, 0, 0};
    const double fgp[N] = {0.5, 0.3, 0.1, 0, 0, 0, 0, 0, 0, 0};
    const double share[N] = {0.2, 0, 0, 0.4, 0, 0, 0.1, 0, 0, 0};
    const double dtype[N] = {3, 0, 0, 5, 0, 0, 3, 0, 0, 0};
    std::vector<double> area;
    {
        std::mt19937_64 rng(5);
        std::uniform_real_distribution<double> u(0.5, 2.0);
        for (std::size_t i = 0; i < N; ++i) {
            area.push_back(u(rng));
        }
    }
    auto period = [&] {
        GainLossPeriod in;
        in.n = N;
        in.class_from = from;
        in.class_to = to;
        in.stock_from = s0;
        in.stock_to = s1;
        in.forest_type = ft;
        in.forest_type_ok = ok;
        in.driver = inc;
        in.driver_ok = ok;
        in.volume_from = vol;
        in.volume_from_ok = ok;
        in.years = 5;
        in.removals = h;
        in.removals_ok = h_ok;
        in.fuelwood = fg;
        in.fuelwood_ok = ok;
        in.fuelwood_parts = fgp;
        in.fuelwood_parts_ok = ok;
        in.disturbed = share;
        in.disturbed_ok = ok;
        in.disturbance_type = dtype;
        in.disturbance_type_ok = ok;
        return in;
    };
    GainLossPeriod in = period();
    RowsStore store(2, 8, N);
    in.stats = &store.rows;
    std::vector<double> out(N);
    std::vector<std::vector<double>> parts(5, std::vector<double>(N));
    std::vector<uint8_t> bad(N);
    const GainLossParts p{parts[0].data(), parts[1].data(), parts[2].data(),
                          parts[3].data(), parts[4].data(), bad.data()};
    model.period(in, out.data(), &p);
    store.expect_written(2, 8);
    for (std::size_t i = 0; i + 1 < N; ++i) {
        EXPECT_FALSE(std::isnan(out[i])) << i;
    }
    EXPECT_TRUE(std::isnan(out[N - 1]));
    for (std::size_t j = 0; j < 8; ++j) {
        EXPECT_EQ(store.keys[j][N - 1], -1) << "a NaN change has no term";
    }
    const auto decls = model.statistics();
    std::vector<double> central;
    for (const auto &q : params) {
        central.push_back(q.central);
    }
    expect_rel(evaluate(decls, store.rows, N, area, central, 0), sum_area(out.data(), area, N),
               1e-12, "change at central values");
    for (uint32_t k = 0; k < 5; ++k) {
        expect_rel(evaluate(decls, store.rows, N, area, central, 1 + k),
                   sum_area(parts[k].data(), area, N), 1e-12, "part " + std::to_string(k));
    }
    for (uint64_t seed : {11u, 12u, 13u}) {
        Perturbation f(params, seed, 0.5, 1.5);
        auto t2 = std::make_shared<InventoryTables>(*tables);
        for (auto &r : t2->bcef.rows) {
            const std::string rk = "[" + r.climate_domain + "," + r.forest_type + "," +
                                   bound(r.gs_lower_m3_per_ha) + "," + bound(r.gs_upper_m3_per_ha) +
                                   "]";
            r.bcef_i *= f("ipcc_bcef.csv:bcef_i" + rk);
            r.bcef_r *= f("ipcc_bcef.csv:bcef_r" + rk);
        }
        for (auto &r : t2->root_shoot.rows) {
            r.ratio *= f("ipcc_root_shoot.csv:ratio[" + r.climate_zone + "," + r.forest_type + "," +
                         bound(r.agb_lower_t_per_ha) + "," + bound(r.agb_upper_t_per_ha) + "]");
        }
        for (auto &r : t2->cbef.rows) {
            r.a_t_per_m3 *= f("china_cbef.csv:a_t_per_m3[" + r.forest_type + "]");
            r.carbon_fraction *= f("china_cbef.csv:carbon_fraction[" + r.forest_type + "]");
        }
        auto types2 = parse_forest_types(FOREST_TYPES_CSV, "forest_types.csv", *t2, errs);
        for (auto &t : types2) {
            t.carbon_fraction *=
                f("forest_types.csv:carbon_fraction[" + std::to_string(t.code) + "]");
        }
        auto fd2 = parse_disturbance_types(FD_CSV, "fd.csv", errs);
        for (auto &d : fd2) {
            d.fd *= f("fd.csv:fd[" + std::to_string(d.code) + "]");
        }
        GainLossModel perturbed(t2, std::move(types2), {0, 1});
        perturbed.set_losses({std::move(fd2), 0.45 * f("models.flux.wood_density")});
        ASSERT_TRUE(errs.empty());
        std::vector<double> out2(N);
        std::vector<std::vector<double>> parts2(5, std::vector<double>(N));
        const GainLossParts p2{parts2[0].data(), parts2[1].data(), parts2[2].data(),
                               parts2[3].data(), parts2[4].data(), nullptr};
        GainLossPeriod in2 = period();
        perturbed.period(in2, out2.data(), &p2);
        // Every declared parameter was perturbed.
        for (const auto &q : params) {
            EXPECT_TRUE(f.looked_up.count(q.name)) << q.name;
        }
        const std::vector<double> theta = f.theta(params);
        expect_rel(evaluate(decls, store.rows, N, area, theta, 0), sum_area(out2.data(), area, N),
                   1e-9, "change, seed " + std::to_string(seed));
        for (uint32_t k = 0; k < 5; ++k) {
            expect_rel(evaluate(decls, store.rows, N, area, theta, 1 + k),
                       sum_area(parts2[k].data(), area, N), 1e-9,
                       "part " + std::to_string(k) + ", seed " + std::to_string(seed));
        }
    }
}

// Without losses: one statistic, 4 pairs, the change only; the stage forwards the model's.
TEST(GainLossUncertainty, StageWithoutLossesForwardsOneStatistic) {
    const auto tables = inventory_tables();
    std::vector<std::string> errs;
    const auto types = parse_forest_types(FOREST_TYPES_CSV, "forest_types.csv", *tables, errs);
    GainLossModel model(tables, types, {0, 1}, "forest_types.csv");
    const GainLossStage stage(model, {"above_ground", "below_ground"},
                              {LayerDecl{"volume_increment", "m3/ha/yr"},
                               LayerDecl{"forest_type", "class"}, LayerDecl{"volume", "m3/ha"}});
    EXPECT_TRUE(stage.describes_uncertainty());
    const auto decls = stage.statistics();
    ASSERT_EQ(decls.size(), 1u);
    EXPECT_EQ(decls[0].name, "gain_loss_change");
    EXPECT_EQ(decls[0].pairs, 4u);
    EXPECT_EQ(stage.uncertain_parameters().size(), model.uncertain_parameters().size());
    // Without losses no loss parameter is declared, and every key is a growth key.
    EXPECT_EQ(find_param(stage.uncertain_parameters(), "models.flux.wood_density"), nullptr);
    for (const auto &q : stage.uncertain_parameters()) {
        EXPECT_EQ(q.name.find("bcef_r"), std::string::npos) << q.name;
    }
    for (const auto &key : decls[0].keys) {
        for (const Term &t : key) {
            EXPECT_EQ(t.target, 0u);
            for (uint32_t q : t.monomial) {
                EXPECT_LT(q, stage.uncertain_parameters().size());
            }
        }
    }
    // 5 BCEF classes x 3 R classes (pines, hardwoods), one china_cbef key, the conversion key
    EXPECT_EQ(decls[0].keys.size(), 5u * 3 + 5 * 3 + 1 + 1);
    // A stage row fills the statistics through PeriodRow::stats.
    constexpr std::size_t N = 3;
    const int32_t cls[N] = {1, 1, -1};
    const double s[N] = {10, 10, 10};
    const double inc[N] = {2, 3, 1};
    const double ft[N] = {2, 1, 2};
    const double vol[N] = {100, 50, 100};
    const uint8_t ok[N] = {1, 1, 1};
    const LayerRow layers[3] = {{inc, ok}, {ft, ok}, {vol, ok}};
    double change[N];
    RowsStore store(1, 4, N);
    PeriodRow row;
    row.n = N;
    row.years = 5;
    row.class_from = cls;
    row.class_to = cls;
    row.stock_from = s;
    row.stock_to = s;
    row.layers = layers;
    row.change = change;
    row.stats = &store.rows;
    stage.period_row(row);
    store.expect_written(1, 4);
    std::vector<double> central;
    for (const auto &q : model.uncertain_parameters()) {
        central.push_back(q.central);
    }
    // pines V 100: 2 x 0.6 x 1.29 x 0.47; fir: 0.4652 x 3 x 0.5 (science.md §2.3, §4.2)
    const std::vector<double> area = {1.0, 2.0, 4.0};
    expect_rel(evaluate(decls, store.rows, N, area, central, 0),
               2 * 0.6 * 1.29 * 0.47 + 2.0 * 0.4652 * 3 * 0.5, 1e-12, "by hand");
    expect_rel(evaluate(decls, store.rows, N, area, central, 0), sum_area(change, area, N), 1e-12,
               "stage output");
}

// ---- NEP ---------------------------------------------------------------------------------------

namespace {

CasaVegetationTable casa_table() {
    std::vector<std::string> errs;
    std::string file;
    auto t = parse_casa_table(builtin_parameter_table("casa_vegetation", file), file, errs);
    EXPECT_TRUE(errs.empty());
    return t;
}

/// One row of 4 pixels over 14 months (2020-01 .. 2021-02), with the monthly layers.
struct NepRows {
    static constexpr std::size_t N = 4;
    static constexpr std::size_t M = 14;
    std::vector<int> year, month;
    std::vector<std::vector<double>> ndvi, t, p, sol, et, pet, npp_in;
    std::vector<std::vector<uint8_t>> valid;
    std::vector<std::vector<int32_t>> lc;
    std::vector<std::vector<uint8_t>> lc_valid;
    std::vector<double> area;
    NepRows() {
        std::mt19937_64 rng(42);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (std::size_t m = 0; m < M; ++m) {
            year.push_back(m < 12 ? 2020 : 2021);
            month.push_back(static_cast<int>(m % 12) + 1);
            std::vector<double> a(N), b(N), c(N), d(N), e(N), f(N), g(N);
            for (std::size_t i = 0; i < N; ++i) {
                a[i] = 0.1 + 0.6 * u(rng);
                b[i] = -12.0 + 40.0 * u(rng); // includes T <= -10 (Tε1 = 0)
                c[i] = 200.0 * u(rng);
                d[i] = 100.0 + 500.0 * u(rng);
                f[i] = 20.0 + 100.0 * u(rng);
                e[i] = f[i] * 1.2 * u(rng);
                g[i] = 50.0 * u(rng);
            }
            ndvi.push_back(a);
            t.push_back(b);
            p.push_back(c);
            sol.push_back(d);
            et.push_back(e);
            pet.push_back(f);
            npp_in.push_back(g);
            std::vector<uint8_t> v(N, 1);
            if (m == 3) {
                v[2] = 0; // a nodata pixel-month
            }
            valid.push_back(v);
            // classes 10 (grassland), 20 (evergreen needleleaf), 30 (no CASA type), 20
            lc.push_back({10, 20, 30, m < 6 ? 10 : 20});
            lc_valid.push_back({1, 1, 1, 1});
        }
        area = {1.0, 2.5, 0.7, 1.9};
    }
};

/// Test-side CASA and Pei R_H with the given ε_max per class code, a and share (science.md §5.1,
/// §5.2): T_opt per pixel and calendar year = T of the month with the highest NDVI.
void brute_nep(const NepRows &r, const std::map<int32_t, double> &eps_max,
               const std::map<int32_t, const CasaParameters *> &kind, double a, double share,
               bool casa, double sums[4]) {
    for (std::size_t i = 0; i < NepRows::N; ++i) {
        for (std::size_t m = 0; m < NepRows::M; ++m) {
            const int32_t code = r.lc[m][i];
            const bool has_type = kind.count(code) > 0;
            if (!r.valid[m][i] || !has_type) {
                sums[3] += r.area[i]; // the invalid area
                continue;
            }
            const double T = r.t[m][i];
            const double P = r.p[m][i];
            const double rh = a * (std::exp(0.0912 * T) + std::log(0.3145 * P + 1.0)) * 30.0 *
                              share * 0.01; // g C m-2 -> Mg C ha-1
            double npp = 0.0;
            if (casa) {
                double best = -1e300;
                double t_opt = NaN;
                for (std::size_t k = 0; k < NepRows::M; ++k) {
                    if (r.year[k] == r.year[m] && r.valid[k][i] && r.ndvi[k][i] > best) {
                        best = r.ndvi[k][i];
                        t_opt = r.t[k][i];
                    }
                }
                const CasaParameters &c = *kind.at(code);
                const double fpar =
                    casa_fpar(r.ndvi[m][i], c.ndvi_min, c.ndvi_max, c.sr_min, c.sr_max);
                const double te1 = T <= -10.0 ? 0.0 : 0.8 + 0.02 * t_opt - 0.0005 * t_opt * t_opt;
                const double te2 = casa_t_epsilon2(T, t_opt);
                const double we = 0.5 + 0.5 * std::clamp(r.et[m][i] / r.pet[m][i], 0.0, 1.0);
                npp = r.sol[m][i] * fpar * 0.5 * te1 * te2 * we * eps_max.at(code) * 0.01;
            } else {
                npp = r.npp_in[m][i] * 0.01;
            }
            sums[0] += npp * r.area[i];
            sums[1] += rh * r.area[i];
            sums[2] += (npp - rh) * r.area[i];
        }
    }
}

void run_nep(const NepStage &stage, const NepRows &r, bool casa,
             std::vector<std::vector<std::vector<double>>> &series,
             std::vector<std::unique_ptr<RowsStore>> &stores) {
    const std::size_t M = NepRows::M;
    const std::size_t N = NepRows::N;
    const std::vector<std::string> names =
        casa ? std::vector<std::string>{"ndvi",
                                        "temperature_c",
                                        "precipitation_mm",
                                        "solar_mj_per_m2",
                                        "et_mm",
                                        "pet_mm"}
             : std::vector<std::string>{"npp_g_c_per_m2", "temperature_c", "precipitation_mm"};
    std::vector<std::vector<LayerRow>> layer(names.size(), std::vector<LayerRow>(M));
    for (std::size_t l = 0; l < names.size(); ++l) {
        for (std::size_t m = 0; m < M; ++m) {
            const auto &src = names[l] == "ndvi"               ? r.ndvi
                              : names[l] == "temperature_c"    ? r.t
                              : names[l] == "precipitation_mm" ? r.p
                              : names[l] == "solar_mj_per_m2"  ? r.sol
                              : names[l] == "et_mm"            ? r.et
                              : names[l] == "pet_mm"           ? r.pet
                                                               : r.npp_in;
            layer[l][m] = LayerRow{src[m].data(), r.valid[m].data()};
        }
    }
    std::vector<const LayerRow *> layer_ptrs;
    for (auto &l : layer) {
        layer_ptrs.push_back(l.data());
    }
    std::vector<const int32_t *> lc;
    std::vector<const uint8_t *> lcv;
    for (std::size_t m = 0; m < M; ++m) {
        lc.push_back(r.lc[m].data());
        lcv.push_back(r.lc_valid[m].data());
    }
    series.assign(4, std::vector<std::vector<double>>(M, std::vector<double>(N, -7.0)));
    std::vector<std::vector<double *>> sp(4);
    std::vector<double *const *> spp;
    for (std::size_t s = 0; s < 4; ++s) {
        for (std::size_t m = 0; m < M; ++m) {
            sp[s].push_back(series[s][m].data());
        }
        spp.push_back(sp[s].data());
    }
    stores.clear();
    std::vector<StatisticRows> stats;
    for (std::size_t m = 0; m < M; ++m) {
        stores.push_back(std::make_unique<RowsStore>(1, 3, N));
        stats.push_back(stores.back()->rows);
    }
    std::vector<int64_t> usage(stage.usage_cells(), 0);
    MonthRow row;
    row.n = N;
    row.months = M;
    row.year = r.year.data();
    row.month = r.month.data();
    row.layers = layer_ptrs.data();
    row.land_cover = lc.data();
    row.land_cover_valid = lcv.data();
    row.series = spp.data();
    row.usage = usage.data();
    row.stats = stats.data();
    stage.month_row(row);
    for (auto &s : stores) {
        s->expect_written(1, 3);
    }
}

double evaluate_months(const std::vector<StatisticDecl> &decls,
                       const std::vector<std::unique_ptr<RowsStore>> &stores,
                       const std::vector<double> &area, const std::vector<double> &theta,
                       uint32_t target) {
    double total = 0.0;
    for (const auto &s : stores) {
        total += evaluate(decls, s->rows, NepRows::N, area, theta, target);
    }
    return total;
}

double series_total(const std::vector<std::vector<double>> &rows, const std::vector<double> &area) {
    double total = 0.0;
    for (const auto &row : rows) {
        total += sum_area(row.data(), area, NepRows::N);
    }
    return total;
}

} // namespace

TEST(NepUncertainty, CasaParametersAndIdentity) {
    const CasaVegetationTable table = casa_table();
    std::vector<std::string> errs;
    const auto mapping = parse_casa_mapping(
        "lucode,casa_type\n10,grassland\n20,evergreen_needleleaf_forest\n", "veg.csv", table, errs);
    ASSERT_TRUE(errs.empty());
    std::vector<std::string> labels(NepRows::M, "m");
    const NepStage stage(
        NepStage::Method::casa,
        {"ndvi", "temperature_c", "precipitation_mm", "solar_mj_per_m2", "et_mm", "pet_mm"}, table,
        "configs/parameters/casa_vegetation.csv", mapping, "veg.csv", labels);
    EXPECT_TRUE(stage.describes_uncertainty());
    const auto params = stage.uncertain_parameters();
    ASSERT_EQ(params.size(), table.rows.size() + 2);
    const auto *eps = find_param(params, "casa_vegetation.csv:epsilon_max_g_c_per_mj[grassland]");
    ASSERT_NE(eps, nullptr);
    EXPECT_EQ(eps->central, 0.542);
    EXPECT_EQ(eps->pdf.kind, Distribution::none);
    EXPECT_EQ(eps->source.substr(0, 25), "casa_vegetation.csv line ");
    const auto *a = find_param(params, "pei_rh:a");
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->central, 0.22);
    EXPECT_EQ(a->pdf.kind, Distribution::none);
    const auto *share = find_param(params, "pei_rh:microbial_share");
    ASSERT_NE(share, nullptr);
    EXPECT_EQ(share->central, 0.465);
    const auto decls = stage.statistics();
    ASSERT_EQ(decls.size(), 1u);
    EXPECT_EQ(decls[0].axis, TimeAxis::month);
    EXPECT_EQ(decls[0].pairs, 3u);

    const NepRows r;
    std::vector<std::vector<std::vector<double>>> series;
    std::vector<std::unique_ptr<RowsStore>> stores;
    run_nep(stage, r, true, series, stores);
    std::vector<double> central;
    for (const auto &q : params) {
        central.push_back(q.central);
    }
    // Central values: the stage's own series.
    for (uint32_t s = 0; s < 4; ++s) {
        expect_rel(evaluate_months(decls, stores, r.area, central, s),
                   series_total(series[s], r.area), 1e-12, "series " + std::to_string(s));
    }
    // Arbitrary values against the test's CASA and R_H.
    std::map<int32_t, const CasaParameters *> kind;
    kind[10] = &table.rows[static_cast<std::size_t>(table.find("grassland"))].parameters;
    kind[20] =
        &table.rows[static_cast<std::size_t>(table.find("evergreen_needleleaf_forest"))].parameters;
    for (uint64_t seed : {21u, 22u, 23u}) {
        Perturbation f(params, seed, 0.5, 1.5);
        const std::map<int32_t, double> eps_max = {
            {10, 0.542 * f("casa_vegetation.csv:epsilon_max_g_c_per_mj[grassland]")},
            {20, 0.389 * f("casa_vegetation.csv:epsilon_max_g_c_per_mj[evergreen_needleleaf_"
                           "forest]")}};
        double sums[4] = {};
        brute_nep(r, eps_max, kind, 0.22 * f("pei_rh:a"), 0.465 * f("pei_rh:microbial_share"), true,
                  sums);
        const std::vector<double> theta = f.theta(params);
        for (uint32_t s = 0; s < 4; ++s) {
            expect_rel(evaluate_months(decls, stores, r.area, theta, s), sums[s], 1e-9,
                       "series " + std::to_string(s) + ", seed " + std::to_string(seed));
        }
    }
}

TEST(NepUncertainty, NppRasterIdentity) {
    const CasaVegetationTable table = casa_table();
    std::vector<std::string> labels(NepRows::M, "m");
    const NepStage stage(NepStage::Method::npp_raster,
                         {"npp_g_c_per_m2", "temperature_c", "precipitation_mm"}, table,
                         "casa_vegetation.csv", {}, "", labels);
    const auto params = stage.uncertain_parameters();
    ASSERT_EQ(params.size(), 2u); // the user's NPP is data: only R_H's a and share
    EXPECT_EQ(params[0].name, "pei_rh:a");
    EXPECT_EQ(params[1].name, "pei_rh:microbial_share");
    const NepRows r;
    std::vector<std::vector<std::vector<double>>> series;
    std::vector<std::unique_ptr<RowsStore>> stores;
    run_nep(stage, r, false, series, stores);
    const auto decls = stage.statistics();
    std::map<int32_t, const CasaParameters *> every; // no mapping: every class has NEP
    for (int32_t code : {10, 20, 30}) {
        every[code] = nullptr;
    }
    for (uint64_t seed : {31u, 32u}) {
        Perturbation f(params, seed, 0.5, 1.5);
        double sums[4] = {};
        brute_nep(r, {}, every, 0.22 * f("pei_rh:a"), 0.465 * f("pei_rh:microbial_share"), false,
                  sums);
        const std::vector<double> theta = f.theta(params);
        for (uint32_t s = 0; s < 4; ++s) {
            expect_rel(evaluate_months(decls, stores, r.area, theta, s), sums[s], 1e-9,
                       "series " + std::to_string(s) + ", seed " + std::to_string(seed));
        }
    }
}

// One pixel's pairs by hand: boreal coniferous (r0 1, K20 5 < 20 r0, CF 0.47) from age 2 to 7:
// AGB 2 x r0 -> K20, so G_W = (K20 - 2 r0) / 5: r0 with weight -0.4 and K20 with weight 0.2,
// each with the terms {p, CF} and {p, rs_young, CF} (AGB 2 < 75: young); no r20 or Kmax pair.
TEST(GainLossUncertainty, Tier1PairsOfOnePixelByHand) {
    const Tier1GrowthTable table = tier1_table();
    std::vector<std::string> errs;
    GainLossModel model(parse_growth_types(GROWTH_CSV, "growth.csv", table, errs), {0, 1});
    ASSERT_TRUE(errs.empty());
    const Tier1Pixels px;
    GainLossPeriod in = px.period();
    in.n = 2; // pixels 0 and 1
    RowsStore store(1, 4, 2);
    in.stats = &store.rows;
    double out[2];
    model.period(in, out);
    store.expect_written(1, 4);
    const auto &params = model.uncertain_parameters();
    const auto decls = model.statistics();
    ASSERT_EQ(decls.size(), 1u);
    auto names_of = [&](int32_t key) {
        std::vector<std::string> terms;
        for (const Term &t : decls[0].keys.at(static_cast<std::size_t>(key))) {
            std::vector<std::string> n;
            for (uint32_t q : t.monomial) {
                n.push_back(params[q].name);
            }
            std::sort(n.begin(), n.end());
            std::string s;
            for (const auto &x : n) {
                s += (s.empty() ? "" : " x ") + x;
            }
            terms.push_back(s);
        }
        return terms;
    };
    const std::string row = ROW_BOREAL;
    const std::string cf = "growth.csv:carbon_fraction[7]";
    EXPECT_EQ(names_of(store.keys[0][1]),
              (std::vector<std::string>{cf + " x ipcc_tier1_growth.csv:r0_t_dm_per_ha_yr" + row,
                                        cf + " x ipcc_tier1_growth.csv:r0_t_dm_per_ha_yr" + row +
                                            " x ipcc_tier1_growth.csv:rs_young" + row}));
    EXPECT_NEAR(store.weights[0][1], -0.4, 1e-15);
    EXPECT_EQ(store.keys[1][1], -1); // r20: age stays below 20
    EXPECT_EQ(names_of(store.keys[2][1]),
              (std::vector<std::string>{cf + " x ipcc_tier1_growth.csv:k20_t_dm_per_ha" + row,
                                        cf + " x ipcc_tier1_growth.csv:k20_t_dm_per_ha" + row +
                                            " x ipcc_tier1_growth.csv:rs_young" + row}));
    EXPECT_NEAR(store.weights[2][1], 0.2, 1e-15);
    EXPECT_EQ(store.keys[3][1], -1); // Kmax not reached
    // The model's change: (5 - 2) / 5 x 1.39 x 0.47
    EXPECT_NEAR(out[1], 0.6 * 1.39 * 0.47, 1e-12);
}
