// Land-cover map accuracy and area-adjusted class areas from a sample error matrix: the
// stratified estimator of Olofsson, Foody, Herold, Stehman, Woodcock and Wulder (2014), "Good
// practices for estimating area and assessing accuracy of land change", Remote Sensing of
// Environment 148:42-57 (science.md §7: activity-data error from an area-estimation design).
// Standard library only.
//
// Error matrix CSV (one per epoch, `uncertainty.land_cover_accuracy` in configs):
//
//     map_class,1,2,3        <- header: "map_class", then the reference class codes (integers)
//     1,66,0,5               <- a map class code, then the sample counts per reference class
//     2,0,55,8
//     3,1,0,153
//
// Rows are map classes (the strata), columns reference classes; cells are sample counts (whole
// numbers >= 0). Rows and columns list the same codes, in any order. Every row needs at least
// 2 samples (the variance of a stratum's proportions divides by n_i. - 1).
#pragma once
#include "models/uncertainty.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// A sample error matrix with codes ascending; counts[i * codes.size() + j] = samples mapped as
/// codes[i] whose reference class is codes[j].
struct ErrorMatrix {
    std::vector<int32_t> codes;
    std::vector<int64_t> counts; ///< row-major: [map class][reference class]
};

/// Parse an error matrix CSV (format above). Problems are appended to `errors` as
/// "<where>, line N: <why>" (all of them, not only the first); the matrix returned is usable
/// only when no error was appended.
ErrorMatrix parse_error_matrix(const std::string &text, const std::string &where,
                               std::vector<std::string> &errors);

/// Per class (same order as ErrorMatrix::codes): mapped and area-adjusted areas with their
/// standard error and confidence interval (ha), user's and producer's accuracy.
struct AreaEstimate {
    std::vector<int32_t> codes;
    std::vector<double> mapped_ha;          ///< A_m,i, as given
    std::vector<double> adjusted_ha;        ///< A_j = A_tot p_.j (stratified estimator)
    std::vector<double> se_ha;              ///< SE(A_j) = A_tot SE(p_.j)
    std::vector<double> ci_low_ha;          ///< A_j - z SE(A_j); may be negative (normal interval)
    std::vector<double> ci_high_ha;         ///< A_j + z SE(A_j)
    std::vector<double> users_accuracy;     ///< U_i = p_ii / p_i. (= n_ii / n_i.)
    std::vector<double> producers_accuracy; ///< P_j = p_jj / p_.j; NaN when p_.j = 0
    double overall_accuracy = 0.0;          ///< O = sum_j p_jj
};

/// The stratified estimator of Olofsson et al. (2014) with W_i = A_m,i / A_tot and
/// p_ij = W_i n_ij / n_i.. `mapped_ha[i]` is the mapped area of class codes[i] (ha).
/// `confidence` in (0, 1) gives z = normal_quantile((1 + confidence) / 2) (1.96 for 0.95).
/// Throws ModelError on a mapped area < 0 or not finite, a total mapped area of 0, a size
/// mismatch, a row with fewer than 2 samples or a confidence outside (0, 1).
AreaEstimate estimate_areas(const ErrorMatrix &matrix, const std::vector<double> &mapped_ha,
                            double confidence);

/// One parameter per class, named "land_cover_area[<year>,<code>]", unit "1": a multiplier of
/// the class's mapped area; central 1 (the deterministic run keeps the mapped areas), pdf normal
/// with mean = adjusted / mapped and sd = se / mapped, non-negative, status "user". A class
/// mapped on 0 ha cannot scale any pixel: its pdf is exact, and when its adjusted area is > 0
/// a warning naming the class and the area left out is appended to `warnings`.
std::vector<UncertainParameter> land_cover_area_parameters(const AreaEstimate &estimate, int year,
                                                           const std::string &where,
                                                           std::vector<std::string> &warnings);

} // namespace cs::models
