// Uncertainty of district figures (IPCC 2006 Vol. 1 Ch. 3; science.md §7): what a model declares
// so that the driver can propagate parameter uncertainty at the cost of one pass over the pixels.
// Standard library only.
//
// Theory of operation. A model's per-pixel value of a pool (or of a period or month series) is
// written as a sum of terms, each a pixel weight times a product of parameters:
//
//     value(pixel) = sum_j  weight_j(pixel) * prod_{q in monomial(key_j(pixel))} theta_q
//
// e.g. a pools-table density: key = the pixel's class c, weight 1, monomial {density[c, pool]};
// SOC = SOC_REF x F_LU x F_MG x F_I: key = the pixel's SOC cell, monomial {SOC_REF, F_LU, F_MG,
// F_I} of that cell; B = aV + b: two keys per pixel, (type, V) with monomial {a_type} and
// (type, 1) with monomial {b_type}. During the one pass the driver sums, per district and per
// statistic, weight x true pixel area (ha) x coverage fraction into one cell per key (the
// "sufficient statistics" S[key]); after the pass every figure of every district is
//
//     F = sum_key S[key] * sum_{terms t of key with this target} prod_{q in t} theta_q
//
// which is exact, not an approximation, for any parameter values: a realisation of the Monte
// Carlo (one draw of every parameter, shared by every pixel and district: science.md §7) costs
// one evaluation per district, never a pass over the pixels. What a model cannot write this way
// (e.g. which R class a pixel's AGB falls in) it holds at the central value and documents.
// Evaluated at the central values, F equals the district total of the deterministic run.
#pragma once
#include "models/time_axis.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// Probability distribution of a parameter (science.md §7: normal, lognormal, triangular,
/// uniform; truncated normal for non-negative factors).
enum class Distribution : uint8_t {
    none,             ///< no documented uncertainty: Approach 2 refuses when the run uses it
    exact,            ///< declared exact by its source or by the user (sd 0), never drawn
    normal,           ///< mean = the central value, sd
    lognormal,        ///< mean = the central value, sd (of the quantity, not of its log)
    truncated_normal, ///< normal(central, sd) restricted to [low, high]
    uniform,          ///< [low, high]
    triangular,       ///< [low, high] with mode
};

/// The file part of parameter names `<table file>:<column>[<row key>]`: the basename of a
/// table's `where` ("data/pools.csv" -> "pools.csv"; "models.stocks.table (data/pools.csv)" ->
/// "pools.csv": a config key with the path in parentheses).
std::string parameter_file_name(const std::string &where);

/// Name of a distribution as written in configs ("normal", "truncated_normal", ...).
const char *distribution_name(Distribution d);

/// The distribution of one parameter.
struct Pdf {
    Distribution kind = Distribution::none;
    /// normal, lognormal, truncated_normal: the mean (of the untruncated normal), set to the
    /// parameter's central value unless the distribution is centred elsewhere (a land-cover
    /// area factor: central 1, mean = area-adjusted / mapped area).
    double mean = 0.0;
    double sd = 0.0;   ///< normal, lognormal, truncated_normal
    double low = 0.0;  ///< truncated_normal (-inf allowed), uniform, triangular
    double high = 0.0; ///< truncated_normal (+inf allowed), uniform, triangular
    double mode = 0.0; ///< triangular
};

/// A parameter a model uses, with its uncertainty and where both come from. Parameters are
/// identified by `name` across the whole chain: two stages declaring the same name share one
/// parameter (one draw per realisation), e.g. a class's pools-table c_soil used by the stock
/// model and by soil.ipcc_tier1.
struct UncertainParameter {
    /// Stable, user-typable identifier, also the key of `uncertainty.parameters` in configs,
    /// e.g. "pools.csv:c_above[2]" or "soc_ref[cool_temperate_moist,hac]".
    std::string name;
    std::string unit;         ///< of the value, e.g. "Mg C/ha"
    double central = 0.0;     ///< the value the deterministic run uses
    bool non_negative = true; ///< draws never fall below zero (science.md §7)
    Pdf pdf;
    std::string source; ///< of the value and of its uncertainty (table, line, publication)
    std::string status; ///< V, V2, U, user, ... (science.md §0)
};

/// A product of parameters: indices into the stage's uncertain_parameters(). Empty = 1 (a
/// constant term, e.g. a value held at the central value).
using Monomial = std::vector<uint32_t>;

/// One term of a key: contributes S[key] x prod(monomial) to `target`.
struct Term {
    /// epoch statistics: index of the chain's pool (the stock of that pool at the epoch);
    /// period and month statistics: index of the stage's series() (0 = the change of the pools
    /// the period stage claims, per year).
    uint32_t target = 0;
    Monomial monomial;
};

/// A per-district sufficient statistic a stage accumulates: one cell per key.
struct StatisticDecl {
    std::string name;                    ///< e.g. "area_by_class", for messages
    TimeAxis axis = TimeAxis::epoch;     ///< epoch, period or month (one set of cells each)
    std::size_t pairs = 1;               ///< (key, weight) pairs a pixel may give
    std::vector<std::vector<Term>> keys; ///< per key: its terms
};

/// Rows of a stage's statistics (one epoch, period or month): for statistic s and pair j,
/// key[s * pairs_max + j][i] (-1 = no term for pixel i) and weight[...][i] (per ha: the driver
/// multiplies by area x coverage). pairs_max is the largest `pairs` of the stage's statistics.
struct StatisticRows {
    int32_t *const *key = nullptr;
    double *const *weight = nullptr;
    std::size_t pairs_max = 1;
};

// ---- Propagation (models/uncertainty.cpp) ---------------------------------------------------

/// The value of a parameter in a realisation: `draw` is the realisation index. Deterministic
/// from (seed, parameter name, draw) alone: the same for any thread or rank count, and a
/// parameter's draws do not change when other parameters are added. Non-negative parameters
/// never fall below zero (truncated at 0; for a normal with that flag this is a truncated
/// normal). Distribution::exact and ::none give the central value. Normal, lognormal and
/// truncated_normal draws are centred on pdf.mean, not on `central`. Throws
/// std::invalid_argument naming the parameter for an invalid pdf (sd < 0, low > high, mode
/// outside [low, high], lognormal mean <= 0) or a non-negative parameter whose whole
/// distribution lies below 0.
double draw_parameter(const UncertainParameter &p, uint64_t seed, std::size_t draw);

/// Standard deviation of a parameter's distribution (Approach 1): sd for normal and lognormal,
/// that of the truncated distribution for truncated_normal, (high - low) / sqrt(12) for uniform,
/// sqrt((a^2 + b^2 + c^2 - ab - ac - bc) / 18) for triangular; 0 for exact and none. The
/// truncation at 0 of a non-negative parameter is included (normal, truncated_normal, uniform
/// and triangular with mass below 0): the sd of the distribution draw_parameter samples. Throws
/// as draw_parameter does.
double pdf_sd(const UncertainParameter &p);

/// Standard normal quantile (inverse CDF), e.g. normal_quantile(0.975) = 1.959964...
double normal_quantile(double p);

/// Standard normal CDF, Phi(x) = erfc(-x / sqrt 2) / 2.
double normal_cdf(double x);

/// Sample quantile of type 7 (R's default; Hyndman and Fan 1996): h = (n - 1) p, linear
/// interpolation between the order statistics floor(h) and floor(h) + 1 (0-based). Reorders
/// `values` (partial sort). Throws std::invalid_argument for n == 0 or p outside [0, 1].
double quantile_type7(double *values, std::size_t n, double p);

/// One figure of one reporting unit as a linear form over the monomials of a Propagation:
/// F = sum_i coef[i] * value of monomial[i].
struct LinearFigure {
    std::vector<uint32_t> monomial; ///< indices into Propagation::monomials(), ascending
    std::vector<double> coef;
};

/// mean, standard deviation and the confidence interval of a figure.
struct FigureSummary {
    double central = 0.0; ///< the figure at the central values (the deterministic result)
    double mean = 0.0;
    double sd = 0.0;
    double ci_low = 0.0;
    double ci_high = 0.0;
};

enum class UncertaintyMethod : uint8_t {
    monte_carlo,       ///< IPCC Approach 2
    error_propagation, ///< IPCC Approach 1
};

/// The realisations (or, for Approach 1, the derivatives) of a run's parameters and monomials,
/// computed once; then summarise() gives the interval of any linear figure of any unit.
///
/// Monte Carlo: every monomial is evaluated for each draw from the shared parameter draws;
/// a figure's draws are sums over its monomials; mean and sd (n - 1) of the draws; ci_low and
/// ci_high are the (1 - confidence) / 2 and (1 + confidence) / 2 quantiles of the draws (type 7:
/// linear interpolation between order statistics). Approach 1 (error propagation, IPCC 2006
/// Vol. 1 Ch. 3): first-order propagation at the central values, var F = sum_q (dF/dtheta_q)^2
/// sd_q^2, independent parameters; for a sum of products of independent parameters this is
/// the product and sum rules of science.md §7; mean = central, ci = central -/+ z sd with
/// z = normal_quantile((1 + confidence) / 2).
class Propagation {
public:
    /// `monomials` index into `parameters`. Throws std::invalid_argument on an index out of
    /// range, draws < 2 (Monte Carlo; Approach 1 ignores draws) or confidence outside (0, 1),
    /// and as draw_parameter / pdf_sd on an invalid pdf of a parameter some monomial uses.
    /// Monte Carlo keeps monomials x draws doubles.
    Propagation(std::vector<UncertainParameter> parameters, std::vector<Monomial> monomials,
                UncertaintyMethod method, std::size_t draws, uint64_t seed, double confidence);
    const std::vector<UncertainParameter> &parameters() const { return m_parameters; }
    const std::vector<Monomial> &monomials() const { return m_monomials; }
    /// Summaries of `n` figures of one unit. Thread-safe (const); allocates its scratch per
    /// call, not per figure.
    void summarise(const LinearFigure *figures, std::size_t n, FigureSummary *out) const;

private:
    std::vector<UncertainParameter> m_parameters;
    std::vector<Monomial> m_monomials;
    UncertaintyMethod m_method;
    std::size_t m_draws;
    uint64_t m_seed;
    double m_confidence;
    std::vector<double> m_central;  ///< per monomial
    std::vector<double> m_values;   ///< Monte Carlo: [monomial][draw]
    std::vector<double> m_gradient; ///< Approach 1: per monomial, d(monomial)/d(theta_q) sd_q
    /// Approach 1: monomial i's gradient entries are [m_gradient_offset[i],
    /// m_gradient_offset[i + 1]) of m_gradient, for the parameters m_gradient_param (sparse).
    std::vector<std::size_t> m_gradient_offset;
    std::vector<uint32_t> m_gradient_param;
};

} // namespace cs::models
