// Carbon kernels that combine a formula with a parameter-table lookup (IPCC volume path, DOM).
#include "models/carbon.hpp"

namespace cs::models {

IpccLiveBiomass ipcc_live_biomass_from_volume(const BcefTable &bcef, int bcef_group,
                                              const RootShootTable &root_shoot,
                                              int root_shoot_group,
                                              double volume_m3_per_ha) noexcept {
    IpccLiveBiomass out;
    // BCEF_S by the growing-stock class of V (IPCC 2006 Vol. 4 Ch. 4 Table 4.5)
    out.bcef = bcef.find(bcef_group, volume_m3_per_ha);
    if (out.bcef == nullptr) {
        return out;
    }
    out.agb_t_dm_per_ha = agb_from_volume_t_dm_per_ha(volume_m3_per_ha, out.bcef->bcef_s);
    // R by the class of the resulting AGB (IPCC 2006 Vol. 4 Ch. 4 Table 4.4)
    out.root_shoot = root_shoot.find(root_shoot_group, out.agb_t_dm_per_ha);
    if (out.root_shoot == nullptr) {
        return out;
    }
    out.root_shoot_ratio = out.root_shoot->ratio;
    out.bgb_t_dm_per_ha = bgb_from_agb_t_dm_per_ha(out.agb_t_dm_per_ha, out.root_shoot_ratio);
    out.found = true;
    return out;
}

DomCarbon dom_carbon_from_agb(const DomTable &table, std::string_view climate_domain,
                              double elevation_m, double precip_mm_per_yr,
                              double agb_t_dm_per_ha) noexcept {
    DomCarbon out;
    out.row = table.find(climate_domain, elevation_m, precip_mm_per_yr);
    if (out.row == nullptr) {
        return out;
    }
    // CDM AR-TOOL12 v3.0 pp. 17-18 (science.md §2.5): carbon = AGB x fraction x CF
    out.deadwood_t_c_per_ha = deadwood_carbon_t_c_per_ha(
        agb_t_dm_per_ha, out.row->deadwood_fraction_of_agb, out.row->deadwood_carbon_fraction);
    out.litter_t_c_per_ha = litter_carbon_t_c_per_ha(
        agb_t_dm_per_ha, out.row->litter_fraction_of_agb, out.row->litter_carbon_fraction);
    out.found = true;
    return out;
}

} // namespace cs::models
