// The uncertainty engine: parameter draws, distribution moments and the Propagation of
// parameter uncertainty to linear district figures (science.md §7; models/uncertainty.hpp).
//
// Draws are counter-based: the uniform of (seed, parameter name, draw) is a hash, so a draw
// depends on nothing else (thread count, parameter order, other parameters). One uniform gives
// one value by inverse-CDF sampling, which also makes truncation exact: a truncated
// distribution is the same inverse CDF evaluated on the sub-interval [F(low), F(high)] of u.
#include "models/uncertainty.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

namespace cs::models {

std::string parameter_file_name(const std::string &where) {
    std::string s = where;
    if (!s.empty() && s.back() == ')') {
        const std::size_t open = s.rfind('(');
        if (open != std::string::npos) {
            s = s.substr(open + 1, s.size() - open - 2);
        }
    }
    const std::size_t slash = s.find_last_of("/\\");
    return slash == std::string::npos ? s : s.substr(slash + 1);
}

const char *distribution_name(Distribution d) {
    switch (d) {
    case Distribution::none:
        return "none";
    case Distribution::exact:
        return "exact";
    case Distribution::normal:
        return "normal";
    case Distribution::lognormal:
        return "lognormal";
    case Distribution::truncated_normal:
        return "truncated_normal";
    case Distribution::uniform:
        return "uniform";
    case Distribution::triangular:
        return "triangular";
    }
    return "unknown";
}

double normal_quantile(double p) {
    // Wichura, M. J. (1988) Algorithm AS 241: The percentage points of the normal
    // distribution. Applied Statistics 37(3):477-484, function PPND16 (relative accuracy about
    // 1e-16): rational approximations in r = 0.180625 - q^2 for |q| = |p - 0.5| <= 0.425, else in
    // r = sqrt(-ln(min(p, 1 - p))) - 1.6 for r <= 5 and r - 5 beyond.
    if (!(p > 0.0 && p < 1.0)) {
        throw std::invalid_argument("normal_quantile: p = " + std::to_string(p) +
                                    " is outside (0, 1): a quantile needs 0 < p < 1");
    }
    const double q = p - 0.5;
    if (std::fabs(q) <= 0.425) {
        const double r = 0.180625 - q * q;
        return q *
               (((((((2.5090809287301226727e+3 * r + 3.3430575583588128105e+4) * r +
                     6.7265770927008700853e+4) *
                        r +
                    4.5921953931549871457e+4) *
                       r +
                   1.3731693765509461125e+4) *
                      r +
                  1.9715909503065514427e+3) *
                     r +
                 1.3314166789178437745e+2) *
                    r +
                3.3871328727963666080e+0) /
               (((((((5.2264952788528545610e+3 * r + 2.8729085735721942674e+4) * r +
                     3.9307895800092710610e+4) *
                        r +
                    2.1213794301586595867e+4) *
                       r +
                   5.3941960214247511077e+3) *
                      r +
                  6.8718700749205790830e+2) *
                     r +
                 4.2313330701600911252e+1) *
                    r +
                1.0);
    }
    double r = std::sqrt(-std::log(q < 0.0 ? p : 1.0 - p));
    double value;
    if (r <= 5.0) {
        r -= 1.6;
        value = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r +
                      2.41780725177450611770e-1) *
                         r +
                     1.27045825245236838258e+0) *
                        r +
                    3.64784832476320460504e+0) *
                       r +
                   5.76949722146069140550e+0) *
                      r +
                  4.63033784615654529590e+0) *
                     r +
                 1.42343711074968357734e+0) /
                (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r +
                      1.51986665636164571966e-2) *
                         r +
                     1.48103976427480074590e-1) *
                        r +
                    6.89767334985100004550e-1) *
                       r +
                   1.67638483018380384940e+0) *
                      r +
                  2.05319162663775882187e+0) *
                     r +
                 1.0);
    } else {
        r -= 5.0;
        value = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r +
                      1.24266094738807843860e-3) *
                         r +
                     2.65321895265761230930e-2) *
                        r +
                    2.96560571828504891230e-1) *
                       r +
                   1.78482653991729133580e+0) *
                      r +
                  5.46378491116411436990e+0) *
                     r +
                 6.65790464350110377720e+0) /
                (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r +
                      1.84631831751005468180e-5) *
                         r +
                     7.86869131145613259100e-4) *
                        r +
                    1.48753612908506148525e-2) *
                       r +
                   1.36929880922735805310e-1) *
                      r +
                  5.99832206555887937690e-1) *
                     r +
                 1.0);
    }
    return q < 0.0 ? -value : value;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double quantile_type7(double *values, std::size_t n, double p) {
    if (n == 0) {
        throw std::invalid_argument("quantile_type7: no values");
    }
    if (!(p >= 0.0 && p <= 1.0)) {
        throw std::invalid_argument("quantile_type7: p = " + std::to_string(p) +
                                    " is outside [0, 1]");
    }
    // Hyndman, R. J. and Fan, Y. (1996) Sample quantiles in statistical packages. The American
    // Statistician 50(4):361-365, definition 7: h = (n - 1) p (0-based order statistics).
    const double h = static_cast<double>(n - 1) * p;
    const auto lo = std::min(static_cast<std::size_t>(std::floor(h)), n - 1);
    std::nth_element(values, values + lo, values + n);
    const double x_lo = values[lo];
    if (lo + 1 >= n) {
        return x_lo;
    }
    // After nth_element every element past lo is >= x_lo: the next order statistic is their min.
    const double x_hi = *std::min_element(values + lo + 1, values + n);
    return x_lo + (h - static_cast<double>(lo)) * (x_hi - x_lo);
}

namespace {

/// The SplitMix64 step and output mix (generator: Steele, Lea and Flood 2014, "Fast splittable
/// pseudorandom number generators", OOPSLA; these shift/multiply constants are the variant of
/// Vigna's public-domain splitmix64.c): a bijective 64-bit mix with good avalanche.
uint64_t splitmix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/// 64-bit FNV-1a of a name (Fowler, Noll, Vo: offset basis 14695981039346656037, prime
/// 1099511628211).
uint64_t fnv1a64(const std::string &s) {
    uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

/// The uniform of (seed, name hash, draw) in (0, 1): 53 random bits centred in their cell, so
/// never exactly 0 or 1. The draw enters last through a bijection, so the draws of one
/// parameter are distinct hash inputs.
double uniform_of(uint64_t seed, uint64_t name_hash, std::size_t draw) {
    const uint64_t stream = splitmix64(seed ^ splitmix64(name_hash));
    const uint64_t x = splitmix64(stream + static_cast<uint64_t>(draw));
    return (static_cast<double>(x >> 11) + 0.5) * 0x1.0p-53;
}

[[noreturn]] void refuse(const UncertainParameter &p, const std::string &why) {
    throw std::invalid_argument("uncertain parameter \"" + p.name + "\" (" +
                                distribution_name(p.pdf.kind) + "): " + why);
}

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

/// Normal(mean, sd) restricted to [lo, hi] (infinite bounds allowed) in standard units.
struct NormalWindow {
    double a = 0.0;        ///< (lo - mean) / sd
    double b = 0.0;        ///< (hi - mean) / sd
    bool mirrored = false; ///< a > 0: work on [-b, -a] where Phi is accurate (left tail)
    double fa = 0.0;       ///< Phi of the (possibly mirrored) lower bound
    double fb = 0.0;       ///< Phi of the (possibly mirrored) upper bound
};

NormalWindow normal_window(const UncertainParameter &p, double lo, double hi) {
    if (!(p.pdf.sd >= 0.0) || !std::isfinite(p.pdf.sd) || !std::isfinite(p.pdf.mean)) {
        refuse(p, "mean " + num(p.pdf.mean) + " and sd " + num(p.pdf.sd) +
                      " must be finite with sd >= 0");
    }
    if (p.non_negative) {
        lo = std::max(lo, 0.0);
    }
    if (!(lo <= hi)) {
        refuse(p, p.non_negative && hi < 0.0
                      ? "the parameter is non-negative but the whole range [" + num(p.pdf.low) +
                            ", " + num(p.pdf.high) + "] is below 0: give bounds above 0"
                      : "low " + num(lo) + " is above high " + num(hi) + ": give low <= high");
    }
    NormalWindow w;
    w.a = (lo - p.pdf.mean) / p.pdf.sd;
    w.b = (hi - p.pdf.mean) / p.pdf.sd;
    // Phi loses relative precision near 1; a window in the upper tail is mirrored into the lower.
    w.mirrored = w.a > 0.0;
    w.fa = w.mirrored ? normal_cdf(-w.b) : normal_cdf(w.a);
    w.fb = w.mirrored ? normal_cdf(-w.a) : normal_cdf(w.b);
    if (!(w.fb > w.fa)) {
        refuse(p, "no probability mass left in [" + num(lo) + ", " + num(hi) + "] for mean " +
                      num(p.pdf.mean) + " and sd " + num(p.pdf.sd) +
                      (p.non_negative ? " (a non-negative parameter is truncated at 0)" : "") +
                      ": check the mean, sd and bounds");
    }
    return w;
}

/// A normal or truncated normal with sd 0: its mean, once checked against the bounds.
double degenerate_normal(const UncertainParameter &p) {
    const Pdf &d = p.pdf;
    if (!std::isfinite(d.mean)) {
        refuse(p, "mean " + num(d.mean) + " must be finite");
    }
    const bool bounded = d.kind == Distribution::truncated_normal;
    if ((bounded && !(d.mean >= d.low && d.mean <= d.high)) || (p.non_negative && d.mean < 0.0)) {
        // Built with += (GCC 12 -O3 gives a false -Wrestrict on "literal" + std::string).
        std::string why = "sd is 0 and the mean ";
        why += num(d.mean);
        why += " is outside ";
        if (p.non_negative && d.mean < 0.0) {
            why += "[0, inf) (the parameter is non-negative)";
        } else {
            why += '[';
            why += num(d.low);
            why += ", ";
            why += num(d.high);
            why += ']';
        }
        why += ": give a mean inside the bounds";
        refuse(p, why);
    }
    return d.mean;
}

/// Window of a normal or truncated normal: [low, high] for truncated_normal, the real line for
/// normal; both intersected with [0, inf) when non_negative.
NormalWindow window_of(const UncertainParameter &p) {
    const double inf = std::numeric_limits<double>::infinity();
    if (p.pdf.kind == Distribution::truncated_normal) {
        if (std::isnan(p.pdf.low) || std::isnan(p.pdf.high)) {
            refuse(p, "low and high must be numbers (-inf and +inf allowed)");
        }
        return normal_window(p, p.pdf.low, p.pdf.high);
    }
    return normal_window(p, -inf, inf);
}

void check_range(const UncertainParameter &p) {
    const Pdf &d = p.pdf;
    if (!std::isfinite(d.low) || !std::isfinite(d.high) || !(d.low <= d.high)) {
        refuse(p, "low " + num(d.low) + " and high " + num(d.high) +
                      " must be finite with low <= high");
    }
    if (d.kind == Distribution::triangular && !(d.mode >= d.low && d.mode <= d.high)) {
        refuse(p, "mode " + num(d.mode) + " is outside [" + num(d.low) + ", " + num(d.high) +
                      "]: give low <= mode <= high");
    }
    if (p.non_negative && d.high <= 0.0 && d.low < 0.0) {
        refuse(p, "the parameter is non-negative but the whole range [" + num(d.low) + ", " +
                      num(d.high) + "] is at or below 0: give bounds above 0");
    }
}

/// CDF of the triangular distribution (low a, mode c, high b) at x.
double triangular_cdf(double a, double c, double b, double x) {
    if (x <= a) {
        return 0.0;
    }
    if (x >= b) {
        return 1.0;
    }
    if (x <= c) {
        return (x - a) * (x - a) / ((b - a) * (c - a));
    }
    return 1.0 - (b - x) * (b - x) / ((b - a) * (b - c));
}

/// Inverse CDF of the triangular distribution at u in [0, 1].
double triangular_quantile(double a, double c, double b, double u) {
    const double fc = (c - a) / (b - a);
    if (u <= fc) {
        return a + std::sqrt(u * (b - a) * (c - a));
    }
    return b - std::sqrt((1.0 - u) * (b - a) * (b - c));
}

/// The value of p for uniform u in (0, 1).
double value_at(const UncertainParameter &p, double u) {
    const Pdf &d = p.pdf;
    switch (d.kind) {
    case Distribution::none:
    case Distribution::exact:
        return p.central;
    case Distribution::normal:
    case Distribution::truncated_normal: {
        if (d.sd == 0.0) {
            return degenerate_normal(p);
        }
        const NormalWindow w = window_of(p);
        // u mapped into [Phi(a), Phi(b)] (mirrored: u' = 1 - u on the mirrored window).
        const double f = w.fa + (w.mirrored ? 1.0 - u : u) * (w.fb - w.fa);
        const double lo = w.mirrored ? -w.b : w.a;
        const double hi = w.mirrored ? -w.a : w.b;
        // Rounding may step one ulp outside the window or onto 0 or 1: clamp it back.
        double z = f > 0.0 && f < 1.0 ? normal_quantile(f) : (f <= 0.0 ? lo : hi);
        z = std::clamp(z, lo, hi);
        double v = d.mean + d.sd * (w.mirrored ? -z : z);
        if (p.non_negative) {
            v = std::max(v, 0.0);
        }
        return v;
    }
    case Distribution::lognormal: {
        // Quantity mean m and sd s: sigma^2 = ln(1 + s^2/m^2), mu = ln m - sigma^2/2, from the
        // lognormal's moments E = exp(mu + sigma^2/2), Var = (exp(sigma^2) - 1) E^2 (standard
        // results, e.g. Johnson, Kotz and Balakrishnan, vol. 1, lognormal chapter; checked by
        // sampling in tests/test_uncertainty.cpp). Support (0, inf): non_negative changes nothing.
        if (!(d.mean > 0.0) || !std::isfinite(d.mean) || !(d.sd >= 0.0) || !std::isfinite(d.sd)) {
            refuse(p, "mean " + num(d.mean) + " and sd " + num(d.sd) +
                          " must be finite with mean > 0 and sd >= 0");
        }
        if (d.sd == 0.0) {
            return d.mean;
        }
        const double cv = d.sd / d.mean;
        const double sigma2 = std::log1p(cv * cv);
        const double mu = std::log(d.mean) - 0.5 * sigma2;
        return std::exp(mu + std::sqrt(sigma2) * normal_quantile(u));
    }
    case Distribution::uniform: {
        check_range(p);
        // Restricting u to [F(0), 1] of a uniform is the uniform on [max(low, 0), high].
        const double lo = p.non_negative ? std::max(d.low, 0.0) : d.low;
        return std::min(lo + u * (d.high - lo), d.high);
    }
    case Distribution::triangular: {
        check_range(p);
        if (d.high == d.low) {
            return d.low;
        }
        const double f0 =
            p.non_negative && d.low < 0.0 ? triangular_cdf(d.low, d.mode, d.high, 0.0) : 0.0;
        const double v = triangular_quantile(d.low, d.mode, d.high, f0 + u * (1.0 - f0));
        return p.non_negative ? std::max(v, 0.0) : v;
    }
    }
    refuse(p, "unknown distribution");
}

/// Mass, first and second moments of the triangular density restricted to [max(a, 0), b]
/// (Simpson's rule on each linear piece: exact, as x^2 times a linear density is a cubic).
void truncated_triangular_moments(double a, double c, double b, double &m0, double &m1,
                                  double &m2) {
    m0 = m1 = m2 = 0.0;
    auto density = [&](double x) {
        if (x <= a || x >= b) {
            return x == c ? 2.0 / (b - a) : 0.0;
        }
        return x <= c ? 2.0 * (x - a) / ((b - a) * (c - a)) : 2.0 * (b - x) / ((b - a) * (b - c));
    };
    auto piece = [&](double x0, double x1) {
        x0 = std::max(x0, 0.0);
        if (!(x1 > x0)) {
            return;
        }
        const double xm = 0.5 * (x0 + x1);
        const double f0 = density(x0), fm = density(xm), f1 = density(x1);
        const double h6 = (x1 - x0) / 6.0;
        m0 += h6 * (f0 + 4.0 * fm + f1);
        m1 += h6 * (x0 * f0 + 4.0 * xm * fm + x1 * f1);
        m2 += h6 * (x0 * x0 * f0 + 4.0 * xm * xm * fm + x1 * x1 * f1);
    };
    piece(a, c);
    piece(c, b);
}

} // namespace

double draw_parameter(const UncertainParameter &p, uint64_t seed, std::size_t draw) {
    if (p.pdf.kind == Distribution::exact || p.pdf.kind == Distribution::none) {
        return p.central;
    }
    return value_at(p, uniform_of(seed, fnv1a64(p.name), draw));
}

double pdf_sd(const UncertainParameter &p) {
    const Pdf &d = p.pdf;
    switch (d.kind) {
    case Distribution::none:
    case Distribution::exact:
        return 0.0;
    case Distribution::lognormal:
        (void)value_at(p, 0.5); // validates mean > 0, sd >= 0
        return d.sd;
    case Distribution::normal:
    case Distribution::truncated_normal: {
        if (d.sd == 0.0) {
            (void)degenerate_normal(p);
            return 0.0;
        }
        const NormalWindow w = window_of(p);
        if (d.kind == Distribution::normal && !p.non_negative) {
            return d.sd;
        }
        // Truncated normal on [a, b] (standard units), Z = Phi(b) - Phi(a):
        //   var = sd^2 [1 + (a phi(a) - b phi(b)) / Z - ((phi(a) - phi(b)) / Z)^2]
        // (standard result, e.g. Johnson, Kotz and Balakrishnan, Continuous Univariate
        // Distributions vol. 1, normal chapter; checked by numerical integration in
        // tests/test_uncertainty.cpp). Mirroring [a, b] to [-b, -a] leaves the variance as is.
        const double lo = w.mirrored ? -w.b : w.a;
        const double hi = w.mirrored ? -w.a : w.b;
        const double z = w.fb - w.fa;
        auto phi = [](double x) {
            return std::isinf(x) ? 0.0 : std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
        };
        auto xphi = [&](double x) { return std::isinf(x) ? 0.0 : x * phi(x); };
        const double r = (phi(lo) - phi(hi)) / z;
        const double var = 1.0 + (xphi(lo) - xphi(hi)) / z - r * r;
        return d.sd * std::sqrt(std::max(var, 0.0));
    }
    case Distribution::uniform: {
        check_range(p);
        const double lo = p.non_negative ? std::max(d.low, 0.0) : d.low;
        return (d.high - lo) / std::sqrt(12.0);
    }
    case Distribution::triangular: {
        check_range(p);
        const double a = d.low, b = d.high, c = d.mode;
        if (!(p.non_negative && a < 0.0)) {
            return std::sqrt((a * a + b * b + c * c - a * b - a * c - b * c) / 18.0);
        }
        double m0 = 0.0, m1 = 0.0, m2 = 0.0;
        truncated_triangular_moments(a, c, b, m0, m1, m2);
        const double mean = m1 / m0;
        return std::sqrt(std::max(m2 / m0 - mean * mean, 0.0));
    }
    }
    refuse(p, "unknown distribution");
}

Propagation::Propagation(std::vector<UncertainParameter> parameters,
                         std::vector<Monomial> monomials, UncertaintyMethod method,
                         std::size_t draws, uint64_t seed, double confidence)
    : m_parameters(std::move(parameters)), m_monomials(std::move(monomials)), m_method(method),
      m_draws(draws), m_seed(seed), m_confidence(confidence) {
    if (!(confidence > 0.0 && confidence < 1.0)) {
        throw std::invalid_argument("uncertainty: confidence " + num(confidence) +
                                    " is outside (0, 1): give e.g. 0.95");
    }
    if (method == UncertaintyMethod::monte_carlo && draws < 2) {
        throw std::invalid_argument("uncertainty: draws = " + std::to_string(draws) +
                                    ": Monte Carlo needs at least 2 draws (a sample sd needs "
                                    "n - 1 >= 1; 1000 or more is usual)");
    }
    const std::size_t n_par = m_parameters.size();
    for (std::size_t i = 0; i < m_monomials.size(); ++i) {
        for (uint32_t q : m_monomials[i]) {
            if (q >= n_par) {
                throw std::invalid_argument("uncertainty: monomial " + std::to_string(i) +
                                            " uses parameter index " + std::to_string(q) +
                                            ", out of range (" + std::to_string(n_par) +
                                            " parameters)");
            }
        }
    }
    const std::size_t n_mono = m_monomials.size();
    m_central.assign(n_mono, 1.0);
    for (std::size_t i = 0; i < n_mono; ++i) {
        for (uint32_t q : m_monomials[i]) {
            m_central[i] *= m_parameters[q].central;
        }
    }
    if (method == UncertaintyMethod::monte_carlo) {
        // Each used parameter drawn once per draw index, shared by every monomial using it;
        // rows only for the parameters some monomial uses.
        constexpr std::size_t UNUSED = std::numeric_limits<std::size_t>::max();
        std::vector<std::size_t> row_of(n_par, UNUSED);
        std::size_t n_used = 0;
        for (const auto &m : m_monomials) {
            for (uint32_t q : m) {
                if (row_of[q] == UNUSED) {
                    row_of[q] = n_used++;
                }
            }
        }
        std::vector<double> values(n_used * draws, 0.0); // [used parameter][draw]
        for (std::size_t q = 0; q < n_par; ++q) {
            if (row_of[q] == UNUSED) {
                continue;
            }
            double *row = values.data() + row_of[q] * draws;
            for (std::size_t d = 0; d < draws; ++d) {
                row[d] = draw_parameter(m_parameters[q], seed, d);
            }
        }
        m_values.assign(n_mono * draws, 1.0);
        for (std::size_t i = 0; i < n_mono; ++i) {
            double *out = m_values.data() + i * draws;
            for (uint32_t q : m_monomials[i]) {
                const double *row = values.data() + row_of[q] * draws;
                for (std::size_t d = 0; d < draws; ++d) {
                    out[d] *= row[d];
                }
            }
        }
    } else {
        // d/dtheta_q of prod theta = k theta_q^(k-1) prod_{others} theta for a parameter that
        // appears k times; times sd_q (Approach 1: var F = sum_q (dF/dtheta_q sd_q)^2).
        std::vector<double> sd(n_par, 0.0);
        std::vector<char> have(n_par, 0);
        m_gradient_offset.assign(1, 0);
        for (std::size_t i = 0; i < n_mono; ++i) {
            const Monomial &m = m_monomials[i];
            for (std::size_t k = 0; k < m.size(); ++k) {
                const uint32_t q = m[k];
                if (std::find(m.begin(), m.begin() + static_cast<std::ptrdiff_t>(k), q) !=
                    m.begin() + static_cast<std::ptrdiff_t>(k)) {
                    continue; // counted with its first occurrence
                }
                if (!have[q]) {
                    sd[q] = pdf_sd(m_parameters[q]);
                    have[q] = 1;
                }
                double power = 0.0;
                double others = 1.0;
                for (uint32_t r : m) {
                    if (r == q) {
                        power += 1.0;
                    } else {
                        others *= m_parameters[r].central;
                    }
                }
                const double derivative =
                    power * std::pow(m_parameters[q].central, power - 1.0) * others;
                m_gradient.push_back(derivative * sd[q]);
                m_gradient_param.push_back(q);
            }
            m_gradient_offset.push_back(m_gradient.size());
        }
    }
}

void Propagation::summarise(const LinearFigure *figures, std::size_t n, FigureSummary *out) const {
    const std::size_t n_mono = m_monomials.size();
    auto check = [&](const LinearFigure &f, std::size_t k) {
        if (f.coef.size() != f.monomial.size()) {
            throw std::invalid_argument("uncertainty: figure " + std::to_string(k) + " has " +
                                        std::to_string(f.monomial.size()) + " monomials but " +
                                        std::to_string(f.coef.size()) + " coefficients");
        }
        for (uint32_t i : f.monomial) {
            if (i >= n_mono) {
                throw std::invalid_argument("uncertainty: figure " + std::to_string(k) +
                                            " uses monomial index " + std::to_string(i) +
                                            ", out of range (" + std::to_string(n_mono) +
                                            " monomials)");
            }
        }
    };
    if (m_method == UncertaintyMethod::monte_carlo) {
        const std::size_t nd = m_draws;
        std::vector<double> acc(nd);
        const double p_low = 0.5 * (1.0 - m_confidence);
        const double p_high = 0.5 * (1.0 + m_confidence);
        for (std::size_t k = 0; k < n; ++k) {
            const LinearFigure &f = figures[k];
            check(f, k);
            double central = 0.0;
            std::fill(acc.begin(), acc.end(), 0.0);
            // Fixed (ascending index) order: the same sums on every run and thread.
            for (std::size_t t = 0; t < f.monomial.size(); ++t) {
                const double c = f.coef[t];
                central += c * m_central[f.monomial[t]];
                const double *row = m_values.data() + std::size_t{f.monomial[t]} * nd;
                double *a = acc.data();
                for (std::size_t d = 0; d < nd; ++d) {
                    a[d] += c * row[d];
                }
            }
            double sum = 0.0;
            for (double v : acc) {
                sum += v;
            }
            const double mean = sum / static_cast<double>(nd);
            double ss = 0.0;
            for (double v : acc) {
                ss += (v - mean) * (v - mean);
            }
            FigureSummary &s = out[k];
            s.central = central;
            s.mean = mean;
            s.sd = std::sqrt(ss / static_cast<double>(nd - 1));
            s.ci_low = quantile_type7(acc.data(), nd, p_low);
            s.ci_high = quantile_type7(acc.data(), nd, p_high);
        }
        return;
    }
    const double z = normal_quantile(0.5 * (1.0 + m_confidence));
    std::vector<double> g(m_parameters.size(), 0.0); // sum_i coef_i grad_i,q per parameter
    std::vector<uint32_t> touched;
    for (std::size_t k = 0; k < n; ++k) {
        const LinearFigure &f = figures[k];
        check(f, k);
        double central = 0.0;
        for (std::size_t t = 0; t < f.monomial.size(); ++t) {
            const uint32_t i = f.monomial[t];
            const double c = f.coef[t];
            central += c * m_central[i];
            for (std::size_t e = m_gradient_offset[i]; e < m_gradient_offset[i + 1]; ++e) {
                const uint32_t q = m_gradient_param[e];
                if (g[q] == 0.0) {
                    touched.push_back(q); // may repeat when a sum cancels to 0: harmless
                }
                g[q] += c * m_gradient[e];
            }
        }
        double var = 0.0;
        for (uint32_t q : touched) {
            var += g[q] * g[q];
            g[q] = 0.0;
        }
        touched.clear();
        FigureSummary &s = out[k];
        s.central = central;
        s.mean = central;
        s.sd = std::sqrt(var);
        s.ci_low = central - z * s.sd;
        s.ci_high = central + z * s.sd;
    }
}

} // namespace cs::models
