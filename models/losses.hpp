// Losses of the live-biomass pools in forest remaining forest: wood removals, fuelwood and
// disturbance (IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.11-2.14; science.md §2), and the user's table of
// the fraction of biomass each disturbance type removes (fd).
//
// Pure functions, inline, no allocation: NaN propagates and the caller marks the pixel invalid.
// Every kernel works per hectare: volumes in m3/ha/yr give losses in t C/ha/yr (= Mg C/ha/yr).
#pragma once
#include "models/units.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace cs::models {

/// IPCC 2006 Vol. 4 Ch. 2 Eq. 2.12: L_wood-removals = H x BCEF_R x (1 + R) x CF, with H the
/// roundwood removals (m3/ha/yr), BCEF_R the biomass conversion and expansion factor for
/// removals (t d.m. per m3; Vol. 4 Ch. 4 Table 4.5), R the root-to-shoot ratio (Table 4.4) and
/// CF the carbon fraction (Table 4.3). t C/ha/yr.
inline double wood_removals_loss_t_c(double removals_m3, double bcef_r, double root_shoot,
                                     double carbon_fraction) {
    // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.12
    return carbon_from_dry_matter(removals_m3 * bcef_r * (1.0 + root_shoot), carbon_fraction);
}

/// IPCC 2006 Vol. 4 Ch. 2 Eq. 2.13: L_fuelwood = [FG_trees x BCEF_R x (1 + R) + FG_part x D] x
/// CF, with FG_trees the fuelwood removed as whole trees and FG_part the fuelwood removed as
/// parts of trees (both m3/ha/yr), D the basic wood density (t d.m. per m3). t C/ha/yr.
inline double fuelwood_loss_t_c(double fg_trees_m3, double fg_part_m3, double bcef_r,
                                double root_shoot, double wood_density, double carbon_fraction) {
    // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.13
    return carbon_from_dry_matter(
        fg_trees_m3 * bcef_r * (1.0 + root_shoot) + fg_part_m3 * wood_density, carbon_fraction);
}

/// IPCC 2006 Vol. 4 Ch. 2 Eq. 2.14 with the live-biomass carbon of the affected area given
/// directly: L_disturbance = A_disturbance x [B_W x (1 + R) x CF] x fd, where the bracket is the
/// carbon of the live-biomass pools (t C/ha) and A_disturbance the share of the area disturbed
/// per year (1/yr). t C/ha/yr.
inline double disturbance_loss_from_carbon_t_c(double disturbed_share_per_yr,
                                               double live_carbon_t_c_per_ha, double fd) {
    // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.14
    return disturbed_share_per_yr * live_carbon_t_c_per_ha * fd;
}

/// IPCC 2006 Vol. 4 Ch. 2 Eq. 2.14 as printed: L_disturbance = A_disturbance x B_W x (1 + R) x
/// CF x fd, with B_W the above-ground biomass of the affected area (t d.m./ha) and fd the
/// fraction of biomass lost. t C/ha/yr with A_disturbance as a share of the area per year.
inline double disturbance_loss_t_c(double disturbed_share_per_yr, double agb_t_dm_per_ha,
                                   double root_shoot, double carbon_fraction, double fd) {
    return disturbance_loss_from_carbon_t_c(
        disturbed_share_per_yr,
        carbon_from_dry_matter(agb_t_dm_per_ha * (1.0 + root_shoot), carbon_fraction), fd);
}

/// IPCC 2006 Vol. 4 Ch. 2 Eq. 2.11: ΔC_L = L_wood-removals + L_fuelwood + L_disturbance.
inline double total_loss_t_c(double wood_removals, double fuelwood, double disturbance) {
    return wood_removals + fuelwood + disturbance; // IPCC 2006 Vol. 4 Ch. 2 Eq. 2.11
}

/// One row of the user's disturbance table (models.flux.disturbance_table): a code of the
/// disturbance-type rasters and the fraction of the live biomass it removes (fd of Eq. 2.14).
/// science.md has no verified fd value, so every fd comes from the user, with its source.
struct DisturbanceType {
    int32_t code = 0;
    std::string name;
    double fd = 0.0; ///< fraction of the live biomass lost, [0, 1]
    std::string source;
    std::string status;
    std::string description; ///< for provenance and warnings
    int line = 0;
    std::string table_file; ///< basename of the table: parameter "<table_file>:fd[<code>]"
};

/// Parse the disturbance table. Columns (case-insensitive): code (integer, unique), name
/// (optional), fd (a number in [0, 1]), source and status (required; a row whose status is
/// unverified, e.g. "U" or "PLACEHOLDER", is warned when a run can use it). Every problem is
/// appended to `errors` as "<where>, line N: <why>". Rows are returned sorted by code.
std::vector<DisturbanceType> parse_disturbance_types(const std::string &text,
                                                     const std::string &where,
                                                     std::vector<std::string> &errors);

} // namespace cs::models
