// Tests of the uncertainty engine (models/uncertainty.cpp: normal quantile, parameter draws,
// distribution sds, Monte Carlo and Approach 1 propagation) and of the land-cover area estimator
// (models/area_accuracy.cpp, Olofsson et al. 2014). Standard library only. Expected values are
// worked by hand in the comments or computed inside the test by a different route (moments by
// numerical integration, draws recomputed one by one, a stratified mean over sample units).
#include "models/area_accuracy.hpp"
#include "models/model_error.hpp"
#include "models/uncertainty.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace cs::models;

const double INF = std::numeric_limits<double>::infinity();
const double Z975 = 1.959963984540054; // qnorm(0.975), as printed in R

/// The std::invalid_argument message of `f`; fails the test when nothing is thrown.
template <class F> std::string invalid_argument_of(F &&f) {
    try {
        f();
    } catch (const std::invalid_argument &e) {
        return e.what();
    }
    ADD_FAILURE() << "expected std::invalid_argument, nothing was thrown";
    return {};
}

template <class F> std::string model_error_of(F &&f) {
    try {
        f();
    } catch (const ModelError &e) {
        return e.what();
    }
    ADD_FAILURE() << "expected ModelError, nothing was thrown";
    return {};
}

std::string join(const std::vector<std::string> &v) {
    std::string s;
    for (const auto &e : v) {
        s += e + "\n";
    }
    return s;
}

UncertainParameter normal(const std::string &name, double mean, double sd,
                          bool non_negative = false) {
    UncertainParameter p;
    p.name = name;
    p.central = mean;
    p.non_negative = non_negative;
    p.pdf.kind = Distribution::normal;
    p.pdf.mean = mean;
    p.pdf.sd = sd;
    return p;
}

UncertainParameter ranged(const std::string &name, Distribution kind, double low, double high,
                          double mode = 0.0, bool non_negative = false) {
    UncertainParameter p;
    p.name = name;
    p.non_negative = non_negative;
    p.pdf.kind = kind;
    p.pdf.low = low;
    p.pdf.high = high;
    p.pdf.mode = mode;
    p.central = kind == Distribution::triangular ? mode : 0.5 * (low + high);
    return p;
}

UncertainParameter truncated(const std::string &name, double mean, double sd, double low,
                             double high, bool non_negative = false) {
    UncertainParameter p = normal(name, mean, sd, non_negative);
    p.pdf.kind = Distribution::truncated_normal;
    p.pdf.low = low;
    p.pdf.high = high;
    return p;
}

// ---- normal quantile -------------------------------------------------------------------------

TEST(NormalQuantile, KnownPoints) {
    // R: qnorm(0.975) = 1.959963984540054, qnorm(1e-10) = -6.361340902404056 (printed with
    // 16 digits), qnorm(0.5) = 0.
    EXPECT_NEAR(normal_quantile(0.975), Z975, 2e-15);
    EXPECT_NEAR(normal_quantile(0.025), -Z975, 2e-15);
    EXPECT_EQ(normal_quantile(0.5), 0.0);
    EXPECT_NEAR(normal_quantile(1e-10), -6.361340902404056, 1e-14);
    // Phi(1) = 0.8413447460685429 (erfc(-1/sqrt 2)/2 to 16 digits).
    EXPECT_NEAR(normal_quantile(0.8413447460685429), 1.0, 1e-14);
}

TEST(NormalQuantile, InvertsTheErfcBasedCdfInEveryRegion) {
    // The three rational approximations of AS241 (|p - 0.5| <= 0.425; r <= 5, i.e. p down to
    // about 1.4e-11; r > 5 beyond), checked against Phi from std::erfc, an independent route.
    for (double p : {1e-300, 1e-100, 1e-20, 1e-12, 1e-11, 1e-8, 1e-4, 0.01, 0.07, 0.075, 0.0751,
                     0.2, 0.4999, 0.6, 0.9, 0.925, 0.99, 0.999999}) {
        const double x = normal_quantile(p);
        // A relative error e in x moves ln Phi(x) by about x^2 e in the tail (d ln Phi/dx ~ |x|):
        // allow 2e-15 x^2 on top of 1e-14 (AS241 is good to about 1e-16 relative).
        const double tol = 1e-14 + 2e-15 * x * x;
        if (p < 0.5) {
            EXPECT_NEAR(normal_cdf(x) / p, 1.0, tol) << "p = " << p;
        } else { // the upper tail through the symmetric Phi(-x) and 1 - p
            EXPECT_NEAR(normal_cdf(-x) / (1.0 - p), 1.0, tol) << "p = " << p;
        }
        if (p >= 1e-4) { // symmetry; below, 1 - p rounds too coarsely to compare
            EXPECT_NEAR(normal_quantile(1.0 - p) + x, 0.0, 1e-11) << "p = " << p;
        }
    }
}

TEST(NormalQuantile, RefusesOutsideTheOpenInterval) {
    for (double p : {0.0, 1.0, -0.1, 1.5, std::nan("")}) {
        EXPECT_NE(invalid_argument_of([&] { normal_quantile(p); }).find("is outside (0, 1)"),
                  std::string::npos)
            << p;
    }
}

TEST(Distributions, Names) {
    EXPECT_STREQ(distribution_name(Distribution::none), "none");
    EXPECT_STREQ(distribution_name(Distribution::exact), "exact");
    EXPECT_STREQ(distribution_name(Distribution::normal), "normal");
    EXPECT_STREQ(distribution_name(Distribution::lognormal), "lognormal");
    EXPECT_STREQ(distribution_name(Distribution::truncated_normal), "truncated_normal");
    EXPECT_STREQ(distribution_name(Distribution::uniform), "uniform");
    EXPECT_STREQ(distribution_name(Distribution::triangular), "triangular");
}

// ---- draws ------------------------------------------------------------------------------------

TEST(Draws, DeterministicAndIndependentOfEverythingButSeedNameAndDraw) {
    UncertainParameter a = normal("pools.csv:c_above[2]", 100.0, 10.0);
    UncertainParameter same_name = a;
    same_name.central = 7.0; // other fields do not enter the stream
    same_name.source = "elsewhere";
    for (std::size_t d = 0; d < 50; ++d) {
        EXPECT_EQ(draw_parameter(a, 42, d), draw_parameter(a, 42, d));
        EXPECT_EQ(draw_parameter(a, 42, d), draw_parameter(same_name, 42, d));
    }
    // Draws of a change with the seed and with the draw index.
    EXPECT_NE(draw_parameter(a, 42, 0), draw_parameter(a, 43, 0));
    EXPECT_NE(draw_parameter(a, 42, 0), draw_parameter(a, 42, 1));
}

TEST(Draws, DifferentNamesAreUncorrelatedStreams) {
    // Same pdf, two names: the draws differ and their sample correlation is within 4 standard
    // errors (1/sqrt(N)) of 0.
    const UncertainParameter a = normal("soc_ref[a]", 0.0, 1.0);
    const UncertainParameter b = normal("soc_ref[b]", 0.0, 1.0);
    const std::size_t n = 20000;
    double sab = 0.0, saa = 0.0, sbb = 0.0;
    std::size_t equal = 0;
    for (std::size_t d = 0; d < n; ++d) {
        const double x = draw_parameter(a, 7, d);
        const double y = draw_parameter(b, 7, d);
        equal += x == y;
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    EXPECT_EQ(equal, 0u);
    EXPECT_LT(std::fabs(sab / std::sqrt(saa * sbb)), 4.0 / std::sqrt(double(n)));
}

TEST(Draws, ExactAndNoneGiveTheCentralValue) {
    UncertainParameter p = normal("x", 3.0, 1.0);
    p.central = 2.5;
    p.pdf.kind = Distribution::exact;
    EXPECT_EQ(draw_parameter(p, 1, 0), 2.5);
    EXPECT_EQ(pdf_sd(p), 0.0);
    p.pdf.kind = Distribution::none;
    EXPECT_EQ(draw_parameter(p, 1, 5), 2.5);
    EXPECT_EQ(pdf_sd(p), 0.0);
}

/// Moments of a density on [lo, hi] by the midpoint rule on `steps` cells (independent of the
/// code's inverse CDFs and closed forms).
struct Moments {
    double mean = 0.0;
    double sd = 0.0;
};
template <class Density> Moments integrate(Density f, double lo, double hi, int steps = 400000) {
    const double h = (hi - lo) / steps;
    double m0 = 0.0, m1 = 0.0, m2 = 0.0;
    for (int i = 0; i < steps; ++i) {
        const double x = lo + (i + 0.5) * h;
        const double w = f(x) * h;
        m0 += w;
        m1 += w * x;
        m2 += w * x * x;
    }
    const double mean = m1 / m0;
    return {mean, std::sqrt(m2 / m0 - mean * mean)};
}

double phi(double x) { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi); }

/// Sample of 200000 draws: mean within 5 standard errors (sd / sqrt N) and variance within 5
/// standard errors (sqrt((m4 - var^2) / N), from the sample's fourth central moment) of the
/// analytic values; pdf_sd within 1e-6 relative of the analytic sd; never below `floor`.
void expect_moments(const UncertainParameter &p, Moments want, double floor = -INF) {
    const std::size_t n = 200000;
    std::vector<double> x(n);
    double sum = 0.0;
    double lowest = INF;
    for (std::size_t d = 0; d < n; ++d) {
        x[d] = draw_parameter(p, 20261204, d);
        sum += x[d];
        lowest = std::min(lowest, x[d]);
    }
    const double mean = sum / n;
    double m2 = 0.0, m4 = 0.0;
    for (double v : x) {
        const double e = (v - mean) * (v - mean);
        m2 += e;
        m4 += e * e;
    }
    const double var = m2 / (n - 1);
    m4 /= n;
    EXPECT_NEAR(mean, want.mean, 5.0 * std::sqrt(var / n)) << p.name;
    EXPECT_NEAR(var, want.sd * want.sd, 5.0 * std::sqrt((m4 - var * var) / n)) << p.name;
    EXPECT_NEAR(pdf_sd(p), want.sd, 1e-6 * want.sd) << p.name;
    EXPECT_GE(lowest, floor) << p.name;
}

TEST(Draws, NormalMoments) { expect_moments(normal("n", 10.0, 2.0), {10.0, 2.0}); }

TEST(Draws, NonNegativeNormalIsTheNormalTruncatedAtZero) {
    // N(1, 1) truncated to [0, inf): a = -1, Z = 1 - Phi(-1); mean = 1 + phi(-1) / Z;
    // var = 1 + (-1) phi(-1) / Z - (phi(-1) / Z)^2 (truncated-normal moments; cross-checked
    // by numerical integration below).
    const double z = 1.0 - 0.5 * std::erfc(1.0 / std::sqrt(2.0));
    const double r = phi(-1.0) / z;
    const Moments want{1.0 + r, std::sqrt(1.0 - phi(-1.0) / z - r * r)};
    // Cross-check of the closed form by integration.
    const Moments num = integrate([](double x) { return phi(x - 1.0); }, 0.0, 12.0);
    EXPECT_NEAR(want.mean, num.mean, 1e-8);
    EXPECT_NEAR(want.sd, num.sd, 1e-8);
    expect_moments(normal("nn", 1.0, 1.0, true), want, 0.0);
}

TEST(Draws, TruncatedNormalMoments) {
    // N(0, 1) on [-1, 2]: moments by integration of phi on the window.
    expect_moments(truncated("tn", 0.0, 1.0, -1.0, 2.0), integrate(phi, -1.0, 2.0), -1.0);
    // Far in the upper tail, [3, inf) of N(0, 1) (the code mirrors it into the lower tail):
    // mean = phi(3) / (1 - Phi(3)), var = 1 + 3 phi(3) / Z - mean^2.
    const double z = 0.5 * std::erfc(3.0 / std::sqrt(2.0));
    const double m = phi(3.0) / z;
    expect_moments(truncated("tail", 0.0, 1.0, 3.0, INF), {m, std::sqrt(1.0 + 3.0 * m - m * m)},
                   3.0);
    // [low, high] with non_negative: the window is [max(low, 0), high] = [0, 1] of N(0.5, 2).
    expect_moments(truncated("tn0", 0.5, 2.0, -3.0, 1.0, true),
                   integrate([](double x) { return phi((x - 0.5) / 2.0); }, 0.0, 1.0), 0.0);
}

TEST(Draws, LognormalHasTheQuantitysMeanAndSd) {
    // mean 5, sd 2 of the quantity itself (not of its log).
    expect_moments(
        [] {
            UncertainParameter p = normal("ln", 5.0, 2.0, true);
            p.pdf.kind = Distribution::lognormal;
            return p;
        }(),
        {5.0, 2.0}, 0.0);
}

TEST(Draws, UniformMoments) {
    expect_moments(ranged("u", Distribution::uniform, 2.0, 5.0), {3.5, 3.0 / std::sqrt(12.0)}, 2.0);
    // Non-negative on [-1, 3]: the uniform on [0, 3].
    expect_moments(ranged("u0", Distribution::uniform, -1.0, 3.0, 0.0, true),
                   {1.5, 3.0 / std::sqrt(12.0)}, 0.0);
}

TEST(Draws, TriangularMoments) {
    // (1, 2, 4): mean (1 + 2 + 4) / 3, var (1 + 16 + 4 - 4 - 2 - 8) / 18 = 7 / 18.
    expect_moments(ranged("t", Distribution::triangular, 1.0, 4.0, 2.0),
                   {7.0 / 3.0, std::sqrt(7.0 / 18.0)}, 1.0);
    // (-1, 0.5, 2) truncated at 0: the density restricted to [0, 2], integrated.
    auto tri = [](double x) { return x <= 0.5 ? (x + 1.0) / 1.5 : (2.0 - x) / 1.5; };
    expect_moments(ranged("t0", Distribution::triangular, -1.0, 2.0, 0.5, true),
                   integrate(tri, 0.0, 2.0), 0.0);
}

TEST(Draws, NonNegativeWithAllMassBelowZeroIsRefusedByName) {
    const std::string u = invalid_argument_of([] {
        draw_parameter(ranged("f_mg[x]", Distribution::uniform, -3.0, -1.0, 0.0, true), 1, 0);
    });
    EXPECT_EQ(u, "uncertain parameter \"f_mg[x]\" (uniform): the parameter is non-negative but "
                 "the whole range [-3, -1] is at or below 0: give bounds above 0");
    const std::string t = invalid_argument_of(
        [] { draw_parameter(truncated("c[1]", 5.0, 1.0, -3.0, -1.0, true), 1, 0); });
    EXPECT_NE(t.find("\"c[1]\" (truncated_normal)"), std::string::npos) << t;
    EXPECT_NE(t.find("below 0"), std::string::npos) << t;
    const std::string n = invalid_argument_of([] { pdf_sd(normal("d", -5.0, 0.0, true)); });
    EXPECT_NE(n.find("\"d\" (normal): sd is 0 and the mean -5 is outside [0, inf)"),
              std::string::npos)
        << n;
    UncertainParameter ln = normal("ln", -1.0, 1.0, true);
    ln.pdf.kind = Distribution::lognormal;
    EXPECT_NE(invalid_argument_of([&] { draw_parameter(ln, 1, 0); }).find("mean > 0"),
              std::string::npos);
    EXPECT_NE(invalid_argument_of([] {
                  draw_parameter(ranged("m", Distribution::triangular, 0.0, 1.0, 2.0), 1, 0);
              }).find("mode 2 is outside [0, 1]"),
              std::string::npos);
}

// ---- propagation: Approach 1 ------------------------------------------------------------------

TEST(ErrorPropagation, ProductAndSumRules) {
    // a ~ N(2, 0.2), b ~ N(5, 1): relative sds 10 % and 20 %, U (95 % half-width, % of the mean)
    // U_a = 19.6 %, U_b = 39.2 % with z = 1.96.
    std::vector<UncertainParameter> par = {normal("a", 2.0, 0.2), normal("b", 5.0, 1.0)};
    // Monomials: {a}, {b}, {a, b}, {a, a}, {a, a, b}.
    std::vector<Monomial> mono = {{0}, {1}, {0, 1}, {0, 0}, {0, 0, 1}};
    const Propagation prop(par, mono, UncertaintyMethod::error_propagation, 0, 1, 0.95);
    const std::vector<LinearFigure> figures = {
        {{2}, {3.0}},         // 3ab = 30
        {{0, 1}, {3.0, 4.0}}, // 3a + 4b = 26
        {{3}, {1.0}},         // a^2 = 4
        {{4}, {1.0}},         // a^2 b = 20
    };
    std::vector<FigureSummary> s(figures.size());
    prop.summarise(figures.data(), figures.size(), s.data());

    // Product rule (science.md §7): U = sqrt(U_a^2 + U_b^2); sd = 30 sqrt(0.1^2 + 0.2^2).
    EXPECT_DOUBLE_EQ(s[0].central, 30.0);
    EXPECT_DOUBLE_EQ(s[0].mean, 30.0);
    EXPECT_NEAR(s[0].sd, 30.0 * std::sqrt(0.01 + 0.04), 1e-12);
    const double u_a = Z975 * 0.1, u_b = Z975 * 0.2;
    EXPECT_NEAR((s[0].ci_high - s[0].central) / s[0].central, std::hypot(u_a, u_b), 1e-12);
    EXPECT_NEAR(s[0].ci_low, 30.0 - Z975 * s[0].sd, 1e-12);
    // Sum rule: U = sqrt((U_a x_a)^2 + (U_b x_b)^2) / |x_a + x_b| with x_a = 6, x_b = 20;
    // sd = sqrt((3 x 0.2)^2 + (4 x 1)^2) = sqrt(16.36).
    EXPECT_DOUBLE_EQ(s[1].central, 26.0);
    EXPECT_NEAR(s[1].sd, std::sqrt(16.36), 1e-12);
    EXPECT_NEAR((s[1].ci_high - 26.0) / 26.0, std::hypot(u_a * 6.0, u_b * 20.0) / 26.0, 1e-12);
    // a^2: d/da = 2a = 4, sd = 4 x 0.2 = 0.8.
    EXPECT_DOUBLE_EQ(s[2].central, 4.0);
    EXPECT_NEAR(s[2].sd, 0.8, 1e-12);
    // a^2 b: d/da = 2ab = 20, d/db = a^2 = 4: sd = sqrt((20 x 0.2)^2 + (4 x 1)^2) = sqrt(32).
    EXPECT_DOUBLE_EQ(s[3].central, 20.0);
    EXPECT_NEAR(s[3].sd, std::sqrt(32.0), 1e-12);
}

TEST(ErrorPropagation, SharedParameterAddsLinearlyAndPdfSdIsUsed) {
    // F = 3a - 3a: the gradients cancel (sd 0), as a shared parameter must.
    // G = 2u with u uniform [0, 6]: sd = 2 x 6 / sqrt 12.
    std::vector<UncertainParameter> par = {normal("a", 2.0, 0.2),
                                           ranged("u", Distribution::uniform, 0.0, 6.0)};
    const Propagation prop(par, {{0}, {1}}, UncertaintyMethod::error_propagation, 0, 1, 0.9);
    const std::vector<LinearFigure> figures = {{{0, 0}, {3.0, -3.0}}, {{1}, {2.0}}};
    FigureSummary s[2];
    prop.summarise(figures.data(), 2, s);
    EXPECT_EQ(s[0].sd, 0.0);
    EXPECT_DOUBLE_EQ(s[1].central, 6.0);
    EXPECT_NEAR(s[1].sd, 12.0 / std::sqrt(12.0), 1e-12);
    // confidence 0.9: z = qnorm(0.95) = 1.6448536269514722 (R).
    EXPECT_NEAR(s[1].ci_high - 6.0, 1.6448536269514722 * s[1].sd, 1e-12);
}

// ---- propagation: Monte Carlo -----------------------------------------------------------------

TEST(MonteCarlo, FigureDrawsAreSumsOfProductsOfTheSharedParameterDraws) {
    // F = 2ab + 3c, 7 draws: recompute every draw from draw_parameter, then mean, sd (n - 1) and
    // the type 7 quantiles at 0.1 and 0.9 (confidence 0.8) by hand: h = 6 x 0.1 = 0.6 and 5.4.
    std::vector<UncertainParameter> par = {normal("a", 2.0, 0.2), normal("b", 5.0, 1.0),
                                           ranged("c", Distribution::triangular, 0.0, 3.0, 1.0)};
    const std::size_t n = 7;
    const Propagation prop(par, {{0, 1}, {2}}, UncertaintyMethod::monte_carlo, n, 99, 0.8);
    std::vector<double> f(n);
    double sum = 0.0;
    for (std::size_t d = 0; d < n; ++d) {
        f[d] = 2.0 * draw_parameter(par[0], 99, d) * draw_parameter(par[1], 99, d) +
               3.0 * draw_parameter(par[2], 99, d);
        sum += f[d];
    }
    const double mean = sum / n;
    double ss = 0.0;
    for (double v : f) {
        ss += (v - mean) * (v - mean);
    }
    std::sort(f.begin(), f.end());
    const LinearFigure figure{{0, 1}, {2.0, 3.0}};
    FigureSummary s;
    prop.summarise(&figure, 1, &s);
    EXPECT_DOUBLE_EQ(s.central, 2.0 * 2.0 * 5.0 + 3.0 * 1.0);
    EXPECT_NEAR(s.mean, mean, 1e-12);
    EXPECT_NEAR(s.sd, std::sqrt(ss / (n - 1)), 1e-12);
    EXPECT_NEAR(s.ci_low, f[0] + 0.6 * (f[1] - f[0]), 1e-12);
    EXPECT_NEAR(s.ci_high, f[5] + 0.4 * (f[6] - f[5]), 1e-12);
}

TEST(MonteCarlo, LinearAndProductFiguresMatchTheirAnalyticSd) {
    std::vector<UncertainParameter> par = {normal("a", 2.0, 0.2), normal("b", 5.0, 1.0)};
    const std::size_t n = 20000;
    const Propagation prop(par, {{0}, {1}, {0, 1}}, UncertaintyMethod::monte_carlo, n, 2026, 0.95);
    const std::vector<LinearFigure> figures = {
        {{0, 1}, {3.0, 4.0}}, // 3a + 4b: mean 26, sd sqrt(0.6^2 + 4^2)
        {{2}, {1.0}},         // ab, independent: var = 2^2 1^2 + 5^2 0.2^2 + 0.2^2 1^2 = 5.04
    };
    FigureSummary s[2];
    prop.summarise(figures.data(), 2, s);
    const double sd0 = std::sqrt(16.36);
    const double se_sd = 1.0 / std::sqrt(2.0 * (n - 1)); // relative se of a normal sample's sd
    EXPECT_DOUBLE_EQ(s[0].central, 26.0);
    EXPECT_NEAR(s[0].mean, 26.0, 4.0 * sd0 / std::sqrt(double(n)));
    EXPECT_NEAR(s[0].sd, sd0, 4.0 * se_sd * sd0);
    // Quantiles of a normal: 26 -/+ 1.96 sd; se of a 2.5 % quantile is
    // sqrt(0.025 x 0.975 / n) / phi(1.96) sd = 0.0189 sd.
    const double se_q = std::sqrt(0.025 * 0.975 / n) / phi(Z975) * sd0;
    EXPECT_NEAR(s[0].ci_low, 26.0 - Z975 * sd0, 4.0 * se_q);
    EXPECT_NEAR(s[0].ci_high, 26.0 + Z975 * sd0, 4.0 * se_q);
    EXPECT_DOUBLE_EQ(s[1].central, 10.0);
    EXPECT_NEAR(s[1].mean, 10.0, 4.0 * std::sqrt(5.04 / n));
    // ab is not normal: allow 6 normal-theory standard errors.
    EXPECT_NEAR(s[1].sd, std::sqrt(5.04), 6.0 * se_sd * std::sqrt(5.04));
}

TEST(MonteCarlo, FiguresSharingAParameterAreCorrelated) {
    // F1 = 3a + 4b, F2 = 10a; F1 + F2 = 13a + 4b: sd by hand sqrt(2.6^2 + 4^2) = sqrt(22.76) =
    // 4.771, larger than the root-sum-square of the two sds, sqrt(16.36 + 4) = 4.512, by 5.7 %
    // (4 se of an sd from 20000 draws is 2 %).
    std::vector<UncertainParameter> par = {normal("a", 2.0, 0.2), normal("b", 5.0, 1.0)};
    const std::size_t n = 20000;
    const Propagation prop(par, {{0}, {1}}, UncertaintyMethod::monte_carlo, n, 5, 0.95);
    const std::vector<LinearFigure> figures = {
        {{0, 1}, {3.0, 4.0}}, {{0}, {10.0}}, {{0, 1}, {13.0, 4.0}}};
    FigureSummary s[3];
    prop.summarise(figures.data(), 3, s);
    const double se_sd = 1.0 / std::sqrt(2.0 * (n - 1));
    EXPECT_NEAR(s[2].sd, std::sqrt(22.76), 4.0 * se_sd * std::sqrt(22.76));
    EXPECT_GT(s[2].sd, std::hypot(s[0].sd, s[1].sd) * 1.03);
}

TEST(MonteCarlo, SeedReproducibleAndAddingParametersLeavesDrawsAlone) {
    const UncertainParameter a = normal("a", 2.0, 0.2);
    const UncertainParameter b = normal("b", 5.0, 1.0);
    const LinearFigure fa{{0}, {1.0}};
    auto run = [&](std::vector<UncertainParameter> par, std::vector<Monomial> mono,
                   const LinearFigure &f, uint64_t seed) {
        const Propagation prop(std::move(par), std::move(mono), UncertaintyMethod::monte_carlo, 500,
                               seed, 0.95);
        FigureSummary s;
        prop.summarise(&f, 1, &s);
        return s;
    };
    const FigureSummary s1 = run({a}, {{0}}, fa, 11);
    const FigureSummary s2 = run({a}, {{0}}, fa, 11);
    EXPECT_EQ(s1.mean, s2.mean);
    EXPECT_EQ(s1.sd, s2.sd);
    EXPECT_EQ(s1.ci_low, s2.ci_low);
    EXPECT_EQ(s1.ci_high, s2.ci_high);
    // b added before a (a is now parameter 1, monomial 1): a's figure is unchanged.
    const FigureSummary s3 = run({b, a}, {{0}, {1}}, LinearFigure{{1}, {1.0}}, 11);
    EXPECT_EQ(s1.mean, s3.mean);
    EXPECT_EQ(s1.sd, s3.sd);
    EXPECT_EQ(s1.ci_low, s3.ci_low);
    // Another seed, other draws.
    const FigureSummary s4 = run({a}, {{0}}, fa, 12);
    EXPECT_NE(s1.mean, s4.mean);
    EXPECT_NE(s1.ci_high, s4.ci_high);
}

TEST(MonteCarlo, ConstructorAndSummariseRefuseBadInput) {
    const std::vector<UncertainParameter> par = {normal("a", 2.0, 0.2), normal("b", 5.0, 1.0)};
    EXPECT_EQ(
        invalid_argument_of([&] {
            (void)Propagation(par, {{0}, {1, 5}}, UncertaintyMethod::monte_carlo, 100, 1, 0.95);
        }),
        "uncertainty: monomial 1 uses parameter index 5, out of range (2 parameters)");
    for (std::size_t draws : {0, 1}) {
        EXPECT_EQ(invalid_argument_of([&] {
                      (void)Propagation(par, {{0}}, UncertaintyMethod::monte_carlo, draws, 1, 0.95);
                  }),
                  "uncertainty: draws = " + std::to_string(draws) +
                      ": Monte Carlo needs at least 2 draws (a sample sd needs n - 1 >= 1; 1000 "
                      "or more is usual)");
    }
    for (double c : {1.0, 0.0, -0.5}) {
        const std::string m = invalid_argument_of(
            [&] { (void)Propagation(par, {{0}}, UncertaintyMethod::error_propagation, 0, 1, c); });
        EXPECT_NE(m.find("is outside (0, 1): give e.g. 0.95"), std::string::npos) << m;
    }
    EXPECT_EQ(invalid_argument_of([&] {
                  (void)Propagation(par, {{0}}, UncertaintyMethod::monte_carlo, 100, 1, 1.0);
              }),
              "uncertainty: confidence 1 is outside (0, 1): give e.g. 0.95");
    // Approach 1 needs no draws.
    EXPECT_NO_THROW(
        (void)Propagation(par, {{0}}, UncertaintyMethod::error_propagation, 0, 1, 0.95));
    const Propagation prop(par, {{0}}, UncertaintyMethod::monte_carlo, 10, 1, 0.95);
    const LinearFigure bad{{3}, {1.0}};
    FigureSummary s;
    EXPECT_EQ(invalid_argument_of([&] { prop.summarise(&bad, 1, &s); }),
              "uncertainty: figure 0 uses monomial index 3, out of range (1 monomials)");
}

TEST(Propagation, DrawsCentreOnThePdfMeanWhileCentralStaysTheCentralValue) {
    // A land-cover area factor: central 1 (the deterministic run), pdf N(0.8, 0.1). Monte Carlo
    // mean within 4 se (0.1 / sqrt 20000) of 0.8; central 1 in both methods; Approach 1 keeps
    // mean = central and sd = 0.1.
    UncertainParameter f = normal("land_cover_area[2015,1]", 0.8, 0.1, true);
    f.central = 1.0;
    const LinearFigure fig{{0}, {250.0}}; // 250 ha mapped
    FigureSummary mc, a1;
    Propagation({f}, {{0}}, UncertaintyMethod::monte_carlo, 20000, 3, 0.95).summarise(&fig, 1, &mc);
    Propagation({f}, {{0}}, UncertaintyMethod::error_propagation, 0, 3, 0.95)
        .summarise(&fig, 1, &a1);
    EXPECT_DOUBLE_EQ(mc.central, 250.0);
    EXPECT_NEAR(mc.mean, 200.0, 4.0 * 25.0 / std::sqrt(20000.0));
    EXPECT_DOUBLE_EQ(a1.central, 250.0);
    EXPECT_DOUBLE_EQ(a1.mean, 250.0);
    EXPECT_NEAR(a1.sd, 25.0, 1e-12);
}

TEST(Propagation, ABatchOfFiguresEqualsTheFiguresOneByOne) {
    // The per-call scratch must be reset between figures: the same figures summarised together
    // and one at a time give identical results, in both methods.
    std::vector<UncertainParameter> par = {normal("a", 2.0, 0.2), normal("b", 5.0, 1.0),
                                           ranged("c", Distribution::uniform, 1.0, 3.0)};
    const std::vector<Monomial> mono = {{0}, {1, 2}, {0, 2}, {}};
    const std::vector<LinearFigure> figures = {
        {{0, 1}, {3.0, 4.0}}, {{1, 2, 3}, {1.0, -2.0, 5.0}}, {{0}, {1.0}}, {{3}, {7.0}}};
    for (auto method : {UncertaintyMethod::monte_carlo, UncertaintyMethod::error_propagation}) {
        const Propagation prop(par, mono, method, 300, 17, 0.9);
        std::vector<FigureSummary> batch(figures.size());
        prop.summarise(figures.data(), figures.size(), batch.data());
        for (std::size_t k = 0; k < figures.size(); ++k) {
            FigureSummary one;
            prop.summarise(&figures[k], 1, &one);
            EXPECT_EQ(one.central, batch[k].central) << k;
            EXPECT_EQ(one.mean, batch[k].mean) << k;
            EXPECT_EQ(one.sd, batch[k].sd) << k;
            EXPECT_EQ(one.ci_low, batch[k].ci_low) << k;
            EXPECT_EQ(one.ci_high, batch[k].ci_high) << k;
        }
        // The constant monomial (empty = 1): 7 exactly, sd 0.
        EXPECT_EQ(batch[3].central, 7.0);
        EXPECT_EQ(batch[3].mean, 7.0);
        EXPECT_EQ(batch[3].sd, 0.0);
        EXPECT_EQ(batch[3].ci_low, 7.0);
    }
}

TEST(Quantile, Type7OnAHandList) {
    // R: quantile(c(5, 1, 4, 2, 3), c(0, 0.1, 0.5, 0.9, 1), type = 7) = 1, 1.4, 3, 4.6, 5:
    // h = 4p; 0.1 -> h = 0.4: 1 + 0.4 (2 - 1); 0.9 -> h = 3.6: 4 + 0.6 (5 - 4).
    const std::vector<double> list = {5, 1, 4, 2, 3};
    auto q = [&](double p) {
        std::vector<double> v = list;
        return quantile_type7(v.data(), v.size(), p);
    };
    EXPECT_DOUBLE_EQ(q(0.0), 1.0);
    EXPECT_DOUBLE_EQ(q(0.1), 1.4);
    EXPECT_DOUBLE_EQ(q(0.5), 3.0);
    EXPECT_DOUBLE_EQ(q(0.9), 4.6);
    EXPECT_DOUBLE_EQ(q(1.0), 5.0);
    // Ties: {2, 2, 7, 7}, p = 0.5: h = 1.5, between 2 and 7: 4.5.
    std::vector<double> ties = {7, 2, 7, 2};
    EXPECT_DOUBLE_EQ(quantile_type7(ties.data(), 4, 0.5), 4.5);
    double one = 3.0;
    EXPECT_DOUBLE_EQ(quantile_type7(&one, 1, 0.3), 3.0);
    EXPECT_EQ(invalid_argument_of([&] { quantile_type7(&one, 0, 0.5); }),
              "quantile_type7: no values");
    EXPECT_NE(invalid_argument_of([&] { quantile_type7(&one, 1, 1.5); }).find("outside [0, 1]"),
              std::string::npos);
}

// ---- land-cover area accuracy (Olofsson et al. 2014) ------------------------------------------

// The example of Olofsson et al. (2014) §5 (their Table 8): four strata, deforestation (1),
// forest gain (2), stable forest (3), stable non-forest (4); rows map class, columns reference
// class, sample counts. Counts and mapped areas (200000, 150000, 3200000, 6450000 Landsat pixels
// of 30 m x 30 m = 0.09 ha: 18000, 13500, 288000, 580500 ha) as read from the example of the R
// package mapaccuracy (hagc/mapaccuracy, R/olofsson.R, "Example of table 8 in olofsson et al.
// (2014)"). The paper's printed results were not read here: the expected values below are worked
// by hand (class 1) and by a second route (a stratified mean over the 640 sample units).
const char *OLOFSSON_TABLE_8 = "map_class,1,2,3,4\n"
                               "1,66,0,5,4\n"
                               "2,0,55,8,12\n"
                               "3,1,0,153,11\n"
                               "4,2,1,9,313\n";
const std::vector<double> OLOFSSON_MAPPED_HA = {18000.0, 13500.0, 288000.0, 580500.0};

TEST(AreaAccuracy, OlofssonExampleByHand) {
    std::vector<std::string> errors;
    const ErrorMatrix m = parse_error_matrix(OLOFSSON_TABLE_8, "accuracy_2015.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    ASSERT_EQ(m.codes, (std::vector<int32_t>{1, 2, 3, 4}));
    const AreaEstimate e = estimate_areas(m, OLOFSSON_MAPPED_HA, 0.95);
    // A_tot = 900000 ha; W = 0.02, 0.015, 0.32, 0.645; n_i. = 75, 75, 165, 325.
    // Deforestation: p_.1 = 0.02 x 66/75 + 0.32 x 1/165 + 0.645 x 2/325
    //   = 0.0176 + 0.001939394 + 0.003969231 = 0.023508625 -> A_1 = 21157.762 ha.
    // SE(p_.1)^2 = 0.02^2 (0.88 x 0.12)/74 + 0.32^2 (1/165)(164/165)/164
    //   + 0.645^2 (2/325)(323/325)/324 = 5.7081e-7 + 3.76125e-6 + 7.85314e-6 = 1.218520e-5
    //   -> SE(A_1) = 900000 x 0.0034907 = 3141.65 ha; 95 % half-width 1.96 x that = 6157.5 ha.
    EXPECT_NEAR(e.adjusted_ha[0], 900000.0 * (0.0176 + 0.32 / 165.0 + 0.645 * 2.0 / 325.0), 1e-6);
    EXPECT_NEAR(e.adjusted_ha[0], 21157.762, 1e-3);
    const double var1 = 0.0004 * 0.88 * 0.12 / 74.0 + 0.1024 / (165.0 * 165.0) +
                        0.416025 * (2.0 / 325.0) * (323.0 / 325.0) / 324.0;
    EXPECT_NEAR(e.se_ha[0], 900000.0 * std::sqrt(var1), 1e-6);
    EXPECT_NEAR(e.se_ha[0], 3141.65, 0.01);
    EXPECT_NEAR(e.ci_high_ha[0] - e.adjusted_ha[0], 6157.52, 0.01);
    EXPECT_NEAR(e.adjusted_ha[0] - e.ci_low_ha[0], 6157.52, 0.01);
    // User's accuracy of deforestation 66/75 = 0.88; producer's 0.0176 / 0.023508625 = 0.74866.
    EXPECT_DOUBLE_EQ(e.users_accuracy[0], 0.88);
    EXPECT_NEAR(e.producers_accuracy[0], 0.0176 / 0.0235086247, 1e-8);
    // Overall: 0.02 x 0.88 + 0.015 x 55/75 + 0.32 x 153/165 + 0.645 x 313/325 = 0.946512.
    EXPECT_NEAR(e.overall_accuracy,
                0.02 * 0.88 + 0.015 * 55.0 / 75.0 + 0.32 * 153.0 / 165.0 + 0.645 * 313.0 / 325.0,
                1e-12);
    EXPECT_NEAR(e.overall_accuracy, 0.946512, 1e-6);
    // Adjusted areas redistribute the total.
    double total = 0.0;
    for (double a : e.adjusted_ha) {
        total += a;
    }
    EXPECT_NEAR(total, 900000.0, 1e-6);
    EXPECT_EQ(e.mapped_ha, OLOFSSON_MAPPED_HA);
}

TEST(AreaAccuracy, OlofssonExampleAsAStratifiedMeanOverSampleUnits) {
    // Second route: each sample unit u in stratum h carries y_u = 1 when its reference class is
    // j; the stratified estimator of the proportion is sum_h W_h ybar_h with variance
    // sum_h W_h^2 s_h^2 / n_h, s_h^2 the sample variance of y in stratum h (Cochran 1977,
    // Sampling Techniques, ch. 5).
    const int counts[4][4] = {{66, 0, 5, 4}, {0, 55, 8, 12}, {1, 0, 153, 11}, {2, 1, 9, 313}};
    std::vector<std::string> errors;
    const AreaEstimate e = estimate_areas(
        parse_error_matrix(OLOFSSON_TABLE_8, "accuracy.csv", errors), OLOFSSON_MAPPED_HA, 0.95);
    ASSERT_TRUE(errors.empty()) << join(errors);
    for (int j = 0; j < 4; ++j) {
        double p = 0.0, var = 0.0;
        for (int h = 0; h < 4; ++h) {
            std::vector<double> y; // the stratum's sample units
            for (int r = 0; r < 4; ++r) {
                y.insert(y.end(), counts[h][r], r == j ? 1.0 : 0.0);
            }
            double ybar = 0.0;
            for (double v : y) {
                ybar += v / y.size();
            }
            double s2 = 0.0;
            for (double v : y) {
                s2 += (v - ybar) * (v - ybar) / (y.size() - 1);
            }
            const double w = OLOFSSON_MAPPED_HA[h] / 900000.0;
            p += w * ybar;
            var += w * w * s2 / y.size();
        }
        EXPECT_NEAR(e.adjusted_ha[j], 900000.0 * p, 1e-6) << j;
        EXPECT_NEAR(e.se_ha[j], 900000.0 * std::sqrt(var), 1e-6) << j;
        EXPECT_NEAR(e.ci_low_ha[j], 900000.0 * (p - Z975 * std::sqrt(var)), 1e-6) << j;
    }
    // Rounded results of the two routes for the report (ha): forest gain 11686 +- 3756, stable
    // forest 285770 +- 15510, stable non-forest 581386 +- 16281 (95 %).
    EXPECT_NEAR(e.adjusted_ha[1], 11686.15, 0.01);
    EXPECT_NEAR(e.ci_high_ha[2] - e.adjusted_ha[2], 15509.55, 0.01);
    EXPECT_NEAR(e.adjusted_ha[3], 581386.15, 0.01);
}

TEST(AreaAccuracy, RowsAndColumnsInAnyOrder) {
    // The same matrix with rows 3, 1, 4, 2 and columns 4, 2, 3, 1.
    const char *shuffled = "Map_Class,4,2,3,1\n"
                           "3,11,0,153,1\n"
                           "1,4,0,5,66\n"
                           "4,313,1,9,2\n"
                           "2,12,55,8,0\n";
    std::vector<std::string> errors;
    const ErrorMatrix a = parse_error_matrix(OLOFSSON_TABLE_8, "a.csv", errors);
    const ErrorMatrix b = parse_error_matrix(shuffled, "b.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    EXPECT_EQ(a.codes, b.codes);
    EXPECT_EQ(a.counts, b.counts);
}

std::vector<std::string> parse_errors(const std::string &text) {
    std::vector<std::string> errors;
    parse_error_matrix(text, "acc.csv", errors);
    return errors;
}

TEST(AreaAccuracy, ParseErrorsSayWhereAndWhy) {
    EXPECT_EQ(parse_errors("class,1,2\n1,3,0\n2,0,3\n"),
              (std::vector<std::string>{
                  "acc.csv, line 1: the first header cell is \"class\", expected \"map_class\" "
                  "(rows are map classes, the other header cells the reference class codes)"}));
    EXPECT_EQ(parse_errors("map_class,1,x\n1,3,0\n"),
              (std::vector<std::string>{
                  "acc.csv, line 1: reference class \"x\" (column 3) is not an integer code"}));
    EXPECT_EQ(parse_errors("map_class,1,2,01\n1,3,0,0\n2,0,3,0\n"),
              (std::vector<std::string>{
                  "acc.csv, line 1: reference class 1 is listed twice (columns 2 and 4)"}));
    EXPECT_EQ(parse_errors("map_class,1,2\n1,3,-1\n2,0,3\n"),
              (std::vector<std::string>{
                  "acc.csv, line 2: count of map class 1, reference class 2 -1 is negative "
                  "(cells are sample counts, whole numbers >= 0)"}));
    EXPECT_EQ(parse_errors("map_class,1,2\n1,3,0.5\n2,0,3\n"),
              (std::vector<std::string>{
                  "acc.csv, line 2: count of map class 1, reference class 2 0.5 is not a whole "
                  "number (cells are sample counts, not proportions or areas)"}));
    EXPECT_EQ(parse_errors("map_class,1,2\n1,3,n/a\n2,0,3\n"),
              (std::vector<std::string>{"acc.csv, line 2: count of map class 1, reference class "
                                        "2 \"n/a\" is not a number"}));
    EXPECT_EQ(parse_errors("map_class,1,2\n1.5,3,0\n2,0,3\n"),
              (std::vector<std::string>{
                  "acc.csv, line 2: map class \"1.5\" is not an integer code",
                  "acc.csv: reference class 1 of the header has no map class row: rows and "
                  "columns must list the same classes"}));
    EXPECT_EQ(
        parse_errors("map_class,1,2\n1,3,0\n1,2,2\n2,0,3\n"),
        (std::vector<std::string>{"acc.csv, line 3: map class 1 is listed twice (also line 2)"}));
    EXPECT_EQ(parse_errors("map_class,1,2\n1,3,0\n2,0,0\n"),
              (std::vector<std::string>{
                  "acc.csv, line 3: map class 2 has no samples (n_i. = 0): the area of this "
                  "stratum cannot be estimated; sample it or merge it with another class"}));
    EXPECT_EQ(parse_errors("map_class,1,2\n1,3,0\n2,1,0\n"),
              (std::vector<std::string>{
                  "acc.csv, line 3: map class 2 has 1 sample: the variance of a stratum needs "
                  "n_i. >= 2 (it divides by n_i. - 1)"}));
    EXPECT_EQ(
        parse_errors("map_class,1,2\n1,3,0\n2,0\n"),
        (std::vector<std::string>{
            "acc.csv, line 3: map class 2 has 1 counts, the header has 2 reference classes"}));
    EXPECT_EQ(parse_errors("map_class,1,2,3\n1,3,0,0\n2,0,3,0\n"),
              (std::vector<std::string>{
                  "acc.csv: reference class 3 of the header has no map class row: rows and "
                  "columns must list the same classes"}));
    EXPECT_EQ(parse_errors("map_class,1\n1,3\n2,4\n5,4\n"),
              (std::vector<std::string>{
                  "acc.csv: map classes 2, 5 have no reference class column in the header: rows "
                  "and columns must list the same classes"}));
    EXPECT_EQ(
        parse_errors("map_class,1,2\n"),
        (std::vector<std::string>{"acc.csv: the error matrix has no rows (one per map class)"}));
}

TEST(AreaAccuracy, EstimateRefusesBadMappedAreas) {
    std::vector<std::string> errors;
    const ErrorMatrix m = parse_error_matrix(OLOFSSON_TABLE_8, "acc.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    EXPECT_EQ(model_error_of([&] {
                  estimate_areas(m, {18000.0, -1.0, 2.0, 3.0}, 0.95);
              }),
              "land-cover area estimate: class 2: mapped area -1 ha is negative or not finite: "
              "mapped areas are >= 0 ha");
    EXPECT_EQ(model_error_of([&] {
                  estimate_areas(m, {1.0, 2.0}, 0.95);
              }),
              "land-cover area estimate: 4 classes, 16 counts and 2 mapped areas: give k x k "
              "counts and k mapped areas");
    EXPECT_EQ(model_error_of([&] {
                  estimate_areas(m, {0.0, 0.0, 0.0, 0.0}, 0.95);
              }),
              "land-cover area estimate: the mapped areas sum to 0 ha: no class of the error "
              "matrix is on the map");
    EXPECT_NE(model_error_of([&] {
                  estimate_areas(m, OLOFSSON_MAPPED_HA, 1.0);
              }).find("confidence 1 is outside (0, 1)"),
              std::string::npos);
}

TEST(AreaAccuracy, AReferenceClassNeverObserved) {
    // Counts {3, 0 | 2, 0}: no sample has reference class 2, so p_.2 = 0: adjusted area 0 with
    // SE 0, producer's accuracy undefined (NaN), user's accuracy of class 2 = 0/2 = 0; class 1
    // takes the whole 100 ha (W = 0.5, 0.5: p_.1 = 0.5 x 1 + 0.5 x 1 = 1).
    std::vector<std::string> errors;
    const ErrorMatrix m = parse_error_matrix("map_class,1,2\n1,3,0\n2,2,0\n", "acc.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const AreaEstimate e = estimate_areas(m, {50.0, 50.0}, 0.95);
    EXPECT_DOUBLE_EQ(e.adjusted_ha[0], 100.0);
    EXPECT_EQ(e.adjusted_ha[1], 0.0);
    EXPECT_EQ(e.se_ha[1], 0.0);
    EXPECT_TRUE(std::isnan(e.producers_accuracy[1]));
    EXPECT_EQ(e.users_accuracy[1], 0.0);
    EXPECT_DOUBLE_EQ(e.producers_accuracy[0], 0.5); // p_11 = 0.5 of p_.1 = 1
    EXPECT_DOUBLE_EQ(e.overall_accuracy, 0.5);
}

TEST(AreaAccuracy, ParametersPerClass) {
    // Two classes: 1 mapped on 60 ha, 2 on 40 ha; counts {8, 2 | 1, 9}: W = 0.6, 0.4.
    // p_.1 = 0.6 x 0.8 + 0.4 x 0.1 = 0.52 -> 52 ha: factor 52/60;
    // SE(p_.1)^2 = 0.36 x 0.8 x 0.2 / 9 + 0.16 x 0.1 x 0.9 / 9 = 0.0064 + 0.0016 = 0.008
    // -> SE = 100 sqrt(0.008) ha, sd of the factor = SE / 60.
    std::vector<std::string> errors;
    const ErrorMatrix m = parse_error_matrix("map_class,1,2\n1,8,2\n2,1,9\n", "acc.csv", errors);
    ASSERT_TRUE(errors.empty()) << join(errors);
    const AreaEstimate e = estimate_areas(m, {60.0, 40.0}, 0.95);
    std::vector<std::string> warnings;
    const auto p = land_cover_area_parameters(e, 2015, "accuracy_2015.csv", warnings);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_TRUE(warnings.empty()) << join(warnings);
    EXPECT_EQ(p[0].name, "land_cover_area[2015,1]");
    EXPECT_EQ(p[1].name, "land_cover_area[2015,2]");
    EXPECT_EQ(p[0].unit, "1");
    EXPECT_EQ(p[0].central, 1.0);
    EXPECT_TRUE(p[0].non_negative);
    EXPECT_EQ(p[0].pdf.kind, Distribution::normal);
    EXPECT_NEAR(p[0].pdf.mean, 52.0 / 60.0, 1e-12);
    EXPECT_NEAR(p[0].pdf.sd, 100.0 * std::sqrt(0.008) / 60.0, 1e-12);
    // p_.2 = 0.6 x 0.2 + 0.4 x 0.9 = 0.48 -> 48 ha: factor 48/40, same SE.
    EXPECT_NEAR(p[1].pdf.mean, 48.0 / 40.0, 1e-12);
    EXPECT_NEAR(p[1].pdf.sd, 100.0 * std::sqrt(0.008) / 40.0, 1e-12);
    EXPECT_EQ(p[1].source, "Olofsson et al. 2014 stratified estimator from accuracy_2015.csv");
    EXPECT_EQ(p[1].status, "user");

    // Class 2 not on the map (0 ha, W = 1, 0) but found in the samples of class 1: its adjusted
    // area 60 x 1 x 2/10 = 12 ha has no pixel to scale.
    const AreaEstimate e0 = estimate_areas(m, {60.0, 0.0}, 0.95);
    EXPECT_NEAR(e0.adjusted_ha[1], 12.0, 1e-12);
    const auto p0 = land_cover_area_parameters(e0, 2020, "acc.csv", warnings);
    EXPECT_EQ(p0[1].pdf.kind, Distribution::exact);
    EXPECT_EQ(draw_parameter(p0[1], 1, 0), 1.0);
    EXPECT_EQ(warnings,
              (std::vector<std::string>{
                  "acc.csv: class 2 is mapped on 0 ha in 2020 but its area-adjusted estimate is "
                  "12 ha: no pixel can carry that area, so its uncertainty is left out of the "
                  "district figures"}));
}

} // namespace
