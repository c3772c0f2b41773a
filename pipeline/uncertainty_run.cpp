// Uncertainty of district figures: parameters, statistics layout, accumulation and intervals.
#include "pipeline/uncertainty_run.hpp"

#include "models/flux.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <omp.h>
#include <set>

namespace cs::pipeline {

namespace {

std::string number_text(double v) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

/// Apply one `uncertainty.parameters` entry to a model's parameter, or say why it cannot.
std::string apply_user_pdf(const Config &config, const UncertaintyConfig::Parameter &given,
                           models::UncertainParameter &p) {
    using D = models::Distribution;
    models::Pdf pdf = given.pdf;
    const double inf = std::numeric_limits<double>::infinity();
    pdf.mean = p.central;
    if (given.u_pct >= 0.0) {
        // "±U %" is the half-width of the 95 % interval as % of the value (science.md §7).
        pdf.sd = std::fabs(p.central) * given.u_pct / 100.0 / 1.959963984540054;
    }
    if (pdf.kind == D::truncated_normal) {
        if (!given.low_given) {
            pdf.low = p.non_negative ? 0.0 : -inf;
        }
        if (!given.high_given) {
            pdf.high = inf;
        }
    }
    if (pdf.kind == D::triangular && !given.mode_given) {
        pdf.mode = p.central;
    }
    const bool bounded =
        pdf.kind == D::uniform || pdf.kind == D::triangular || pdf.kind == D::truncated_normal;
    if (bounded && p.non_negative && pdf.low < 0.0) {
        return "low " + number_text(pdf.low) + " is below 0, but " + p.name + " cannot be negative";
    }
    if (bounded && (p.central < pdf.low || p.central > pdf.high)) {
        return "the value the model uses, " + number_text(p.central) + " " + p.unit +
               ", is outside [low, high] = [" + number_text(pdf.low) + ", " +
               number_text(pdf.high) + "]";
    }
    if (pdf.kind == D::lognormal && !(p.central > 0.0)) {
        return "a lognormal needs a value > 0, and the model uses " + number_text(p.central);
    }
    p.pdf = pdf;
    p.source = given.source + " (" + config.at(given.line) + ")";
    p.status = "user";
    return {};
}

std::string stage_values(const models::Stage &s) {
    std::string what;
    for (const auto &p : s.pools_written()) {
        what += (what.empty() ? "" : ", ") + p;
    }
    for (const auto &d : s.series()) {
        what += (what.empty() ? "" : ", ") + d.name;
    }
    return what;
}

} // namespace

std::unique_ptr<UncertaintySetup>
plan_uncertainty(const Config &config, const std::vector<std::unique_ptr<models::Stage>> &chain,
                 const std::vector<std::string> &pool_names,
                 const std::vector<int32_t> &class_codes, Problems &problems,
                 const std::function<std::string(const std::string &, const std::string &)> &read) {
    const UncertaintyConfig &uc = config.uncertainty;
    if (!uc.present) {
        return nullptr;
    }
    const std::size_t errors_before = problems.errors.size();
    auto u = std::make_unique<UncertaintySetup>();
    u->method = uc.method;
    u->draws = uc.method == models::UncertaintyMethod::monte_carlo ? uc.draws : 0;
    u->seed = uc.seed;
    u->confidence = uc.confidence;
    u->epochs = config.epochs.size();
    u->periods = u->epochs > 0 ? u->epochs - 1 : 0;
    u->classes = class_codes.size();
    u->pools = pool_names.size();
    u->pool_names = pool_names;
    u->class_codes = class_codes;
    for (std::size_t k = 0; k < u->periods; ++k) {
        u->years.push_back(static_cast<double>(config.epochs[k + 1].year - config.epochs[k].year));
    }

    // 1. Every stage that computes values must describe their uncertainty.
    for (const auto &stage : chain) {
        const bool writes = !stage->pools_written().empty() || !stage->series().empty();
        if (writes && !stage->describes_uncertainty()) {
            problems.error("uncertainty: " + config.at(uc.line) + ": " + stage->name() +
                           " does not describe the uncertainty of what it computes (" +
                           stage_values(*stage) +
                           ") yet, so no interval would include it; remove `uncertainty` from "
                           "the config or the model from the run");
        }
    }
    if (problems.errors.size() > errors_before) {
        return nullptr;
    }

    // 2. The parameters, by name across stages (one draw per name), then the config.
    std::map<std::string, uint32_t> index;
    std::vector<std::vector<uint32_t>> local_to_global(chain.size());
    std::vector<std::vector<models::StatisticDecl>> decls(chain.size());
    for (std::size_t s = 0; s < chain.size(); ++s) {
        for (auto &p : chain[s]->uncertain_parameters()) {
            const auto it = index.find(p.name);
            if (it == index.end()) {
                const auto g = static_cast<uint32_t>(u->parameters.size());
                index.emplace(p.name, g);
                local_to_global[s].push_back(g);
                u->parameters.push_back(std::move(p));
                continue;
            }
            const auto &first = u->parameters[it->second];
            if (first.central != p.central || first.unit != p.unit) {
                problems.error("uncertainty: parameter " + p.name + " has two values in the run: " +
                               number_text(first.central) + " " + first.unit + " (" + first.source +
                               ") and " + number_text(p.central) + " " + p.unit + " in " +
                               chain[s]->name() + " (" + p.source +
                               "); one parameter is one draw, so both must agree");
            }
            local_to_global[s].push_back(it->second);
        }
        decls[s] = chain[s]->statistics();
    }
    std::vector<std::string> all_names;
    all_names.reserve(index.size());
    for (const auto &kv : index) {
        all_names.push_back(kv.first);
    }
    const auto unknown = [&](const std::string &name, int line, const char *key) {
        const std::string hint = closest_match(name, all_names);
        problems.error("invalid config value uncertainty." + std::string(key) + ": " +
                       config.at(line) + ": \"" + name +
                       "\" is not a parameter of this run's models" +
                       (hint.empty() ? std::string(" (names look like \"pools.csv:c_above[2]\")")
                                     : " (did you mean \"" + hint + "\"?)"));
    };
    for (const auto &given : uc.parameters) {
        const auto it = index.find(given.name);
        if (it == index.end()) {
            unknown(given.name, given.line, "parameters");
            continue;
        }
        const std::string why = apply_user_pdf(config, given, u->parameters[it->second]);
        if (!why.empty()) {
            problems.error("invalid config value uncertainty.parameters.\"" + given.name +
                           "\": " + config.at(given.line) + ": " + why);
        }
    }
    for (const auto &e : uc.assume_exact) {
        const auto it = index.find(e.name);
        if (it == index.end()) {
            unknown(e.name, e.line, "assume_exact");
            continue;
        }
        auto &p = u->parameters[it->second];
        p.pdf = models::Pdf{};
        p.pdf.kind = models::Distribution::exact;
        p.pdf.mean = p.central;
        p.source = "declared exact by the user (" + config.at(e.line) + ")";
        p.status = "user";
    }

    // 3. Land-cover accuracy: one area factor per epoch and class. Declared exact (value 1)
    //    here, because its distribution needs the grid's mapped areas, known only after the
    //    pass: apply_land_cover_accuracy then gives each its estimated distribution.
    u->accuracy.resize(u->epochs);
    for (const auto &a : uc.land_cover_accuracy) {
        std::size_t e = 0;
        while (e < u->epochs && config.epochs[e].year != a.year) {
            ++e;
        }
        if (e == u->epochs) {
            continue; // refused by the config parser
        }
        EpochAccuracy &acc = u->accuracy[e];
        const std::string role = "uncertainty.land_cover_accuracy." + std::to_string(a.year);
        acc.where = role + " (" + a.path_as_written + ")";
        std::string text;
        try {
            text = read(role, a.path);
        } catch (const std::exception &ex) {
            if (*ex.what() != '\0') { // else `read` reported it
                problems.error(ex.what());
            }
            continue;
        }
        std::vector<std::string> errors;
        acc.matrix = models::parse_error_matrix(text, acc.where, errors);
        for (auto &m : errors) {
            problems.error(std::move(m));
        }
        if (!errors.empty()) {
            continue;
        }
        acc.present = true;
        std::vector<int32_t> missing;
        for (const int32_t code : class_codes) {
            const auto it = std::find(acc.matrix.codes.begin(), acc.matrix.codes.end(), code);
            acc.matrix_index.push_back(it == acc.matrix.codes.end()
                                           ? -1
                                           : static_cast<int>(it - acc.matrix.codes.begin()));
            models::UncertainParameter p;
            p.name = "land_cover_area[" + std::to_string(a.year) + "," + std::to_string(code) + "]";
            p.unit = "1";
            p.central = 1.0;
            p.pdf.kind = models::Distribution::exact;
            p.pdf.mean = 1.0;
            p.source = acc.where;
            p.status = "user";
            acc.area_parameter.push_back(static_cast<uint32_t>(u->parameters.size()));
            u->parameters.push_back(std::move(p));
        }
    }
    if (problems.errors.size() > errors_before) {
        return nullptr;
    }

    // 4. Which stage gives each pool its value: the last one (chain order) of the epoch and
    //    across-epoch stages that writes it.
    std::vector<int> pool_stage(u->pools, -1);
    for (std::size_t s = 0; s < chain.size(); ++s) {
        const auto kind = chain[s]->kind();
        if (kind != models::StageKind::epoch_pools && kind != models::StageKind::across_epochs) {
            continue;
        }
        for (const auto &name : chain[s]->pools_written()) {
            const auto it = std::find(pool_names.begin(), pool_names.end(), name);
            if (it != pool_names.end()) {
                pool_stage[static_cast<std::size_t>(it - pool_names.begin())] = static_cast<int>(s);
            }
        }
    }

    // 5. Blocks, their kept terms and the global monomials.
    std::map<models::Monomial, uint32_t> monomial_index;
    const auto monomial_of = [&](models::Monomial m) {
        std::sort(m.begin(), m.end());
        const auto [it, added] =
            monomial_index.emplace(m, static_cast<uint32_t>(u->monomials.size()));
        if (added) {
            u->monomials.push_back(std::move(m));
        }
        return it->second;
    };
    u->stage_pairs_max.assign(chain.size(), 0);
    u->stage_stats.assign(chain.size(), 0);
    u->stage_axis.assign(chain.size(), models::TimeAxis::epoch);
    u->months = config.months.size();
    for (const auto &m : config.months) {
        u->month_year.push_back(m.year);
        u->month_list.push_back(models::YearMonth{m.year, m.month});
    }
    u->claimed.assign(u->pools, 0);
    for (std::size_t s = 0; s < chain.size(); ++s) {
        if (chain[s]->kind() == models::StageKind::period) {
            for (const auto &name : chain[s]->pools_written()) {
                const auto it = std::find(pool_names.begin(), pool_names.end(), name);
                if (it != pool_names.end()) {
                    u->claimed[static_cast<std::size_t>(it - pool_names.begin())] = 1;
                }
            }
        }
    }
    for (std::size_t s = 0; s < chain.size(); ++s) {
        std::size_t pairs_max = 0;
        for (const auto &d : decls[s]) {
            pairs_max = std::max(pairs_max, d.pairs);
        }
        if (pairs_max == 0 || decls[s].empty()) {
            continue;
        }
        // The axis a stage's statistics follow is that of its kind: epoch and across-epoch
        // stages per epoch, period stages per period, month stages per month.
        const models::StageKind kind = chain[s]->kind();
        const models::TimeAxis axis = kind == models::StageKind::period  ? models::TimeAxis::period
                                      : kind == models::StageKind::month ? models::TimeAxis::month
                                                                         : models::TimeAxis::epoch;
        u->stage_pairs_max[s] = pairs_max;
        u->stage_stats[s] = decls[s].size();
        u->stage_axis[s] = axis;
        const std::size_t n_series = chain[s]->series().size();
        for (std::size_t t = 0; t < decls[s].size(); ++t) {
            const auto &d = decls[s][t];
            if (d.axis != axis) {
                problems.error("uncertainty: " + chain[s]->name() + " declares statistic " +
                               d.name + " on another time axis than its stage's (internal error)");
                continue;
            }
            StatBlock b;
            b.stage = s;
            b.stat = t;
            b.keys = d.keys.size();
            b.pairs = d.pairs;
            b.slot = t * pairs_max;
            b.terms.resize(b.keys);
            for (std::size_t k = 0; k < b.keys; ++k) {
                for (const models::Term &term : d.keys[k]) {
                    if (axis == models::TimeAxis::epoch &&
                        (term.target >= u->pools ||
                         pool_stage[term.target] != static_cast<int>(s))) {
                        continue; // a later stage gives this pool's value
                    }
                    if (axis != models::TimeAxis::epoch && term.target >= n_series) {
                        continue; // not a series of the stage (internal error)
                    }
                    models::Monomial m;
                    for (const uint32_t q : term.monomial) {
                        m.push_back(local_to_global[s].at(q));
                    }
                    KeptTerm kt;
                    kt.pool = term.target;
                    kt.monomial = monomial_of(m);
                    for (std::size_t e = 0; axis == models::TimeAxis::epoch && e < u->epochs; ++e) {
                        kt.by_epoch_class.emplace_back();
                        if (!u->accuracy[e].present) {
                            continue;
                        }
                        for (std::size_t c = 0; c < u->classes; ++c) {
                            models::Monomial mc = m;
                            mc.push_back(u->accuracy[e].area_parameter[c]);
                            kt.by_epoch_class[e].push_back(monomial_of(mc));
                        }
                    }
                    b.terms[k].push_back(std::move(kt));
                }
            }
            if (axis == models::TimeAxis::epoch) {
                u->blocks.push_back(std::move(b));
            } else if (axis == models::TimeAxis::period) {
                u->period_blocks.push_back(std::move(b));
            } else {
                // Month series, by name, in the order of the chain.
                for (const auto &decl : chain[s]->series()) {
                    if (std::find(u->month_series.begin(), u->month_series.end(), decl.name) ==
                        u->month_series.end()) {
                        u->month_series.push_back(decl.name);
                    }
                }
                b.series_index.clear();
                for (const auto &decl : chain[s]->series()) {
                    b.series_index.push_back(static_cast<uint32_t>(
                        std::find(u->month_series.begin(), u->month_series.end(), decl.name) -
                        u->month_series.begin()));
                }
                u->month_blocks.push_back(std::move(b));
            }
        }
    }
    for (std::size_t p = 0; p < u->pools; ++p) {
        const int s = pool_stage[p];
        if (s < 0 || u->stage_pairs_max[static_cast<std::size_t>(s)] == 0) {
            problems.error("uncertainty: pool " + pool_names[p] + " has no statistics (" +
                           (s < 0
                                ? std::string("no stage writes it")
                                : chain[static_cast<std::size_t>(s)]->name() + " declares none)") +
                           "; internal error");
        }
    }
    if (problems.errors.size() > errors_before) {
        return nullptr;
    }

    // 6. Cell layout: the epoch copies, then each period's, then each month's statistics.
    u->base.assign(u->copies(), std::vector<std::size_t>(u->blocks.size()));
    std::size_t cells = 0;
    for (std::size_t c = 0; c < u->copies(); ++c) {
        const std::size_t m = u->mult(u->copy_epoch(c));
        for (std::size_t b = 0; b < u->blocks.size(); ++b) {
            u->base[c][b] = cells;
            cells += u->blocks[b].keys * m;
        }
    }
    u->period_base.assign(u->periods, std::vector<std::size_t>(u->period_blocks.size()));
    for (std::size_t k = 0; k < u->periods; ++k) {
        for (std::size_t b = 0; b < u->period_blocks.size(); ++b) {
            u->period_base[k][b] = cells;
            cells += u->period_blocks[b].keys;
        }
    }
    u->month_base.assign(u->months, std::vector<std::size_t>(u->month_blocks.size()));
    for (std::size_t m = 0; m < u->months; ++m) {
        for (std::size_t b = 0; b < u->month_blocks.size(); ++b) {
            u->month_base[m][b] = cells;
            cells += u->month_blocks[b].keys;
        }
    }
    u->cells = cells;
    return u;
}

UncertaintyRows::UncertaintyRows(const UncertaintySetup &u, std::size_t row_len) {
    const std::size_t S = u.stage_pairs_max.size();
    m_keys.resize(S);
    m_weights.resize(S);
    m_key_ptrs.resize(S);
    m_weight_ptrs.resize(S);
    m_stage_rows.resize(S);
    for (std::size_t s = 0; s < S; ++s) {
        const std::size_t slots = u.stage_pairs_max[s] * u.stage_stats[s];
        if (slots == 0) {
            continue;
        }
        const std::size_t n = u.stage_axis[s] == models::TimeAxis::period  ? u.periods
                              : u.stage_axis[s] == models::TimeAxis::month ? u.months
                                                                           : u.epochs;
        m_key_ptrs[s].resize(n);
        m_weight_ptrs[s].resize(n);
        for (std::size_t e = 0; e < n; ++e) {
            for (std::size_t j = 0; j < slots; ++j) {
                m_keys[s].emplace_back(row_len, -1);
                m_weights[s].emplace_back(row_len, 0.0);
                m_key_ptrs[s][e].push_back(m_keys[s].back().data());
                m_weight_ptrs[s][e].push_back(m_weights[s].back().data());
            }
        }
        for (std::size_t e = 0; e < n; ++e) {
            m_stage_rows[s].push_back(models::StatisticRows{
                m_key_ptrs[s][e].data(), m_weight_ptrs[s][e].data(), u.stage_pairs_max[s]});
        }
    }
}

void UncertaintyRows::add(const UncertaintySetup &u, double *stats, std::size_t i0, std::size_t i1,
                          double f, const double *area_row, const uint8_t *const *status,
                          const double *const *change, const int32_t *const *cls) const {
    constexpr auto s_valid = static_cast<uint8_t>(models::PixelStatus::valid);
    const std::size_t copies = u.copies();
    for (std::size_t c = 0; c < copies; ++c) {
        const std::size_t e = u.copy_epoch(c);
        const std::size_t m = u.mult(e);
        // Which pixels the copy counts: valid at its epoch, or a counted change of its period.
        const uint8_t *st = c < u.epochs ? status[e] : nullptr;
        const double *ch = c < u.epochs ? nullptr : change[(c - u.epochs) / 2];
        const int32_t *cl = cls[e];
        for (std::size_t b = 0; b < u.blocks.size(); ++b) {
            const StatBlock &blk = u.blocks[b];
            const models::StatisticRows &rows = m_stage_rows[blk.stage][e];
            double *cell = stats + u.base[c][b];
            const auto keys = static_cast<uint32_t>(blk.keys);
            for (std::size_t j = 0; j < blk.pairs; ++j) {
                const int32_t *key = rows.key[blk.slot + j];
                const double *weight = rows.weight[blk.slot + j];
                for (std::size_t i = i0; i < i1; ++i) {
                    const bool counts = st != nullptr ? st[i] == s_valid : !std::isnan(ch[i]);
                    const auto k = static_cast<uint32_t>(key[i]); // -1 -> out of range
                    if (!counts || k >= keys) {
                        continue;
                    }
                    const std::size_t at =
                        m == 1 ? k : static_cast<std::size_t>(k) * m + static_cast<uint32_t>(cl[i]);
                    cell[at] += f * (area_row[i] * weight[i]);
                }
            }
        }
    }
}

void UncertaintyRows::add_series(const UncertaintySetup &u, double *stats, std::size_t i0,
                                 std::size_t i1, double f, const double *area_row,
                                 const double *const *const *stage_change) const {
    // Period statistics: counted where the stage's change of the period counts.
    for (std::size_t k = 0; k < u.periods; ++k) {
        for (std::size_t b = 0; b < u.period_blocks.size(); ++b) {
            const StatBlock &blk = u.period_blocks[b];
            const models::StatisticRows &rows = m_stage_rows[blk.stage][k];
            const double *ch = stage_change[blk.stage][k];
            double *cell = stats + u.period_base[k][b];
            const auto keys = static_cast<uint32_t>(blk.keys);
            for (std::size_t j = 0; j < blk.pairs; ++j) {
                const int32_t *key = rows.key[blk.slot + j];
                const double *weight = rows.weight[blk.slot + j];
                for (std::size_t i = i0; i < i1; ++i) {
                    const auto kk = static_cast<uint32_t>(key[i]);
                    if (kk < keys && !std::isnan(ch[i])) {
                        cell[kk] += f * (area_row[i] * weight[i]);
                    }
                }
            }
        }
    }
    // Month statistics: the stage writes no key where its series has no value.
    for (std::size_t m = 0; m < u.months; ++m) {
        for (std::size_t b = 0; b < u.month_blocks.size(); ++b) {
            const StatBlock &blk = u.month_blocks[b];
            const models::StatisticRows &rows = m_stage_rows[blk.stage][m];
            double *cell = stats + u.month_base[m][b];
            const auto keys = static_cast<uint32_t>(blk.keys);
            for (std::size_t j = 0; j < blk.pairs; ++j) {
                const int32_t *key = rows.key[blk.slot + j];
                const double *weight = rows.weight[blk.slot + j];
                for (std::size_t i = i0; i < i1; ++i) {
                    const auto kk = static_cast<uint32_t>(key[i]);
                    if (kk < keys) {
                        cell[kk] += f * (area_row[i] * weight[i]);
                    }
                }
            }
        }
    }
}

namespace {

/// Coefficients of every monomial in each figure part of one unit, dense: [copy][pool][M],
/// then the period stages' change [period][M], then [month][month series][M].
void unit_coefficients(const UncertaintySetup &u, const double *stats, std::vector<double> &coef) {
    const std::size_t M = u.monomials.size();
    const std::size_t S = u.month_series.size();
    coef.assign((u.copies() * u.pools + u.periods + u.months * S) * M, 0.0);
    for (std::size_t c = 0; c < u.copies(); ++c) {
        const std::size_t e = u.copy_epoch(c);
        const std::size_t m = u.mult(e);
        for (std::size_t b = 0; b < u.blocks.size(); ++b) {
            const StatBlock &blk = u.blocks[b];
            const double *cell = stats + u.base[c][b];
            for (std::size_t k = 0; k < blk.keys; ++k) {
                for (std::size_t cl = 0; cl < m; ++cl) {
                    const double S_ = cell[k * m + cl];
                    if (S_ == 0.0) {
                        continue;
                    }
                    for (const KeptTerm &t : blk.terms[k]) {
                        const uint32_t mono = m == 1 ? t.monomial : t.by_epoch_class[e][cl];
                        coef[(c * u.pools + t.pool) * M + mono] += S_;
                    }
                }
            }
        }
    }
    double *period = coef.data() + u.copies() * u.pools * M;
    for (std::size_t k = 0; k < u.periods; ++k) {
        for (std::size_t b = 0; b < u.period_blocks.size(); ++b) {
            const StatBlock &blk = u.period_blocks[b];
            const double *cell = stats + u.period_base[k][b];
            for (std::size_t key = 0; key < blk.keys; ++key) {
                if (cell[key] == 0.0) {
                    continue;
                }
                for (const KeptTerm &t : blk.terms[key]) {
                    if (t.pool == 0) { // series 0: the change of the claimed pools
                        period[k * M + t.monomial] += cell[key];
                    }
                }
            }
        }
    }
    double *month = period + u.periods * M;
    for (std::size_t mo = 0; mo < u.months; ++mo) {
        for (std::size_t b = 0; b < u.month_blocks.size(); ++b) {
            const StatBlock &blk = u.month_blocks[b];
            const double *cell = stats + u.month_base[mo][b];
            for (std::size_t key = 0; key < blk.keys; ++key) {
                if (cell[key] == 0.0) {
                    continue;
                }
                for (const KeptTerm &t : blk.terms[key]) {
                    month[(mo * S + blk.series_index[t.pool]) * M + t.monomial] += cell[key];
                }
            }
        }
    }
}

void to_figure(const double *dense, std::size_t M, double scale, models::LinearFigure &f) {
    f.monomial.clear();
    f.coef.clear();
    for (std::size_t i = 0; i < M; ++i) {
        if (dense[i] != 0.0) {
            f.monomial.push_back(static_cast<uint32_t>(i));
            f.coef.push_back(dense[i] * scale);
        }
    }
}

} // namespace

AccuracyOutcome apply_land_cover_accuracy(const UncertaintySetup &u, const DistrictTotals &totals,
                                          const std::vector<int> &years) {
    AccuracyOutcome out;
    out.parameters = u.parameters;
    std::vector<std::string> errors;
    for (std::size_t e = 0; e < u.epochs; ++e) {
        const EpochAccuracy &acc = u.accuracy[e];
        if (!acc.present) {
            continue;
        }
        // Mapped area of each matrix class on the whole grid (0 for a class the run's table
        // does not have); a class mapped on the grid must be a stratum of the sample.
        std::vector<double> mapped(acc.matrix.codes.size(), 0.0);
        for (std::size_t c = 0; c < u.classes; ++c) {
            const double a = totals.class_area(e, c);
            if (acc.matrix_index[c] >= 0) {
                mapped[static_cast<std::size_t>(acc.matrix_index[c])] = a;
            } else if (a > 0.0) {
                errors.push_back("invalid land-cover error matrix: " + acc.where + ": class " +
                                 std::to_string(u.class_codes[c]) + " covers " + number_text(a) +
                                 " ha of the " + std::to_string(years[e]) +
                                 " map but has no row in the matrix: its area cannot be "
                                 "estimated (add the class's sample counts)");
            }
        }
        if (!errors.empty()) {
            continue;
        }
        EpochAreaEstimate est;
        est.year = years[e];
        est.where = acc.where;
        try {
            est.estimate = models::estimate_areas(acc.matrix, mapped, u.confidence);
        } catch (const std::exception &ex) {
            errors.push_back("invalid land-cover error matrix: " + acc.where + ": " + ex.what());
            continue;
        }
        const auto params =
            models::land_cover_area_parameters(est.estimate, years[e], acc.where, out.warnings);
        for (std::size_t c = 0; c < u.classes; ++c) {
            if (acc.matrix_index[c] >= 0) {
                out.parameters[acc.area_parameter[c]] =
                    params[static_cast<std::size_t>(acc.matrix_index[c])];
            }
        }
        out.estimates.push_back(std::move(est));
    }
    if (!errors.empty()) {
        throw InputError(std::move(errors));
    }
    return out;
}

UncertaintyEngine::UncertaintyEngine(const UncertaintySetup &u,
                                     std::vector<models::UncertainParameter> parameters)
    : m_u(u), m_propagation(std::move(parameters), u.monomials, u.method,
                            u.method == models::UncertaintyMethod::monte_carlo ? u.draws : 1,
                            u.seed, u.confidence) {}

std::vector<uint32_t> used_parameters(const UncertaintySetup &u, const DistrictTotals &totals) {
    const AccumDims &d = totals.dims();
    std::vector<uint8_t> used_mono(u.monomials.size(), 0);
    std::vector<double> coef;
    for (std::size_t i = 0; i < d.districts; ++i) {
        unit_coefficients(u, totals.record(i) + d.stat(0), coef);
        for (std::size_t j = 0; j < coef.size(); ++j) {
            if (coef[j] != 0.0) {
                used_mono[j % u.monomials.size()] = 1;
            }
        }
    }
    std::set<uint32_t> used;
    for (std::size_t m = 0; m < used_mono.size(); ++m) {
        if (used_mono[m]) {
            used.insert(u.monomials[m].begin(), u.monomials[m].end());
        }
    }
    return {used.begin(), used.end()};
}

UncertaintyResults UncertaintyEngine::summarise(const DistrictTotals &totals, int threads) const {
    const AccumDims &d = totals.dims();
    const std::size_t U = d.districts, E = m_u.epochs, K = m_u.periods, P = m_u.pools;
    const std::size_t M = m_u.monomials.size();
    const std::size_t MS = m_u.month_series.size(), MO = m_u.months;
    // Calendar years of the months, for the annual NEP.
    std::vector<int> years;
    for (const int y : m_u.month_year) {
        if (years.empty() || years.back() != y) {
            years.push_back(y);
        }
    }
    const auto nep_it = std::find(m_u.month_series.begin(), m_u.month_series.end(), "nep_mg_c");
    const bool annual = nep_it != m_u.month_series.end();
    const std::size_t nep = static_cast<std::size_t>(nep_it - m_u.month_series.begin());
    const std::size_t Y = annual ? years.size() : 0;
    std::vector<models::SeasonOfYear> seasons;
    std::vector<int> season_of;
    if (annual) {
        models::seasons_of(m_u.month_list, seasons, season_of);
    }
    const std::size_t SE = seasons.size();
    const std::size_t f_total = E * P, f_change = f_total + E, f_net = f_change + K;
    const std::size_t f_month = f_net + K, f_year = f_month + MS * MO, f_season = f_year + Y;
    const std::size_t per_unit = f_season + SE;
    std::vector<models::FigureSummary> all(U * per_unit);
#pragma omp parallel num_threads(std::max(1, threads))
    {
        std::vector<double> coef, sum(M);
        std::vector<models::LinearFigure> figs(per_unit);
#pragma omp for schedule(dynamic, 1)
        for (std::size_t i = 0; i < U; ++i) {
            unit_coefficients(m_u, totals.record(i) + d.stat(0), coef);
            for (std::size_t e = 0; e < E; ++e) {
                std::fill(sum.begin(), sum.end(), 0.0);
                for (std::size_t p = 0; p < P; ++p) {
                    const double *c = &coef[(e * P + p) * M];
                    to_figure(c, M, 1.0, figs[e * P + p]);
                    for (std::size_t j = 0; j < M; ++j) {
                        sum[j] += c[j];
                    }
                }
                to_figure(sum.data(), M, 1.0, figs[f_total + e]);
            }
            const double *period = coef.data() + m_u.copies() * P * M;
            for (std::size_t k = 0; k < K; ++k) {
                // (stock at the end - stock at the start) / years of the pools no period
                // stage claims, over the pixels whose change counts (copies E + 2k and
                // E + 2k + 1), plus the claimed pools' change from the period stages.
                std::fill(sum.begin(), sum.end(), 0.0);
                for (std::size_t p = 0; p < P; ++p) {
                    if (m_u.claimed[p]) {
                        continue;
                    }
                    const double *from = &coef[((E + 2 * k) * P + p) * M];
                    const double *to = &coef[((E + 2 * k + 1) * P + p) * M];
                    for (std::size_t j = 0; j < M; ++j) {
                        sum[j] += (to[j] - from[j]) / m_u.years[k];
                    }
                }
                for (std::size_t j = 0; j < M; ++j) {
                    sum[j] += period[k * M + j];
                }
                to_figure(sum.data(), M, 1.0, figs[f_change + k]);
                to_figure(sum.data(), M, -models::CO2_PER_C, figs[f_net + k]);
            }
            const double *month = period + K * M;
            for (std::size_t sr = 0; sr < MS; ++sr) {
                for (std::size_t mo = 0; mo < MO; ++mo) {
                    to_figure(&month[(mo * MS + sr) * M], M, 1.0, figs[f_month + sr * MO + mo]);
                }
            }
            for (std::size_t y = 0; y < Y; ++y) {
                std::fill(sum.begin(), sum.end(), 0.0);
                for (std::size_t mo = 0; mo < MO; ++mo) {
                    if (m_u.month_year[mo] != years[y]) {
                        continue;
                    }
                    const double *c = &month[(mo * MS + nep) * M];
                    for (std::size_t j = 0; j < M; ++j) {
                        sum[j] += c[j];
                    }
                }
                to_figure(sum.data(), M, 1.0, figs[f_year + y]);
            }
            for (std::size_t se = 0; se < SE; ++se) {
                std::fill(sum.begin(), sum.end(), 0.0);
                for (std::size_t mo = 0; mo < MO; ++mo) {
                    if (static_cast<std::size_t>(season_of[mo]) != se) {
                        continue;
                    }
                    const double *c = &month[(mo * MS + nep) * M];
                    for (std::size_t j = 0; j < M; ++j) {
                        sum[j] += c[j];
                    }
                }
                to_figure(sum.data(), M, 1.0, figs[f_season + se]);
            }
            m_propagation.summarise(figs.data(), per_unit, &all[i * per_unit]);
        }
    }
    UncertaintyResults r;
    const auto put = [&](FigureIntervals &fi, std::size_t first, std::size_t n) {
        for (std::size_t i = 0; i < U; ++i) {
            for (std::size_t j = 0; j < n; ++j) {
                const models::FigureSummary &s = all[i * per_unit + first + j];
                fi.central.push_back(s.central);
                fi.mean.push_back(s.mean);
                fi.sd.push_back(s.sd);
                fi.ci_low.push_back(s.ci_low);
                fi.ci_high.push_back(s.ci_high);
            }
        }
    };
    put(r.stock_mg_c, 0, E * P);
    put(r.total_mg_c, f_total, E);
    put(r.stock_change_mg_c_per_yr, f_change, K);
    put(r.net_emissions_mg_co2_per_yr, f_net, K);
    r.month_series = m_u.month_series;
    r.month_intervals.resize(MS);
    for (std::size_t sr = 0; sr < MS; ++sr) {
        put(r.month_intervals[sr], f_month + sr * MO, MO);
    }
    if (annual) {
        r.nep_years = years;
        put(r.annual_nep_mg_c, f_year, Y);
        r.nep_seasons = SE;
        put(r.season_nep_mg_c, f_season, SE);
    }
    char conf[32];
    std::snprintf(conf, sizeof conf, "%g", m_u.confidence * 100.0);
    r.label = std::string(conf) + " % interval, " +
              (m_u.method == models::UncertaintyMethod::monte_carlo
                   ? "Monte Carlo (IPCC Approach 2), " + std::to_string(m_u.draws) +
                         " draws, seed " + std::to_string(m_u.seed)
                   : std::string("error propagation (IPCC Approach 1)"));
    return r;
}

std::vector<std::string> missing_uncertainty(const UncertaintySetup &u,
                                             const std::vector<uint32_t> &used) {
    std::vector<uint32_t> missing;
    for (const uint32_t q : used) {
        if (u.parameters[q].pdf.kind == models::Distribution::none) {
            missing.push_back(q);
        }
    }
    if (missing.empty()) {
        return {};
    }
    std::vector<std::string> messages;
    for (const uint32_t q : missing) {
        const auto &p = u.parameters[q];
        messages.push_back("uncertainty: " + p.name + " = " + number_text(p.central) + " " +
                           p.unit + " has no documented uncertainty (" + p.source + ")");
    }
    messages.push_back(
        "uncertainty: " + std::to_string(missing.size()) +
        (missing.size() == 1 ? " parameter the districts use has"
                             : " parameters the districts use have") +
        " no documented uncertainty, and carbonsink invents none: give each a distribution with "
        "its source under uncertainty.parameters (or a <column>_sd or <column>_u_pct column in "
        "its table), or declare it exact under uncertainty.assume_exact");
    return messages;
}

} // namespace cs::pipeline
