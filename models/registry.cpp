// The explicit model registry (no static-initializer registration).
#include "models/registry.hpp"

namespace cs::models {

const std::vector<ModelInfo> &model_registry() {
    static const std::vector<ModelInfo> models = {
        {
            .name = "stocks.lookup",
            .section = "stocks",
            .method = "lookup",
            .summary = "Carbon density per land-cover class and pool from a table (InVEST "
                       "Carbon-compatible); IPCC Tier 1 stock accounting by land category.",
            .inputs = {"land_cover.epochs: one class raster per epoch (integer codes)"},
            .parameters = {{"c_above", "Mg C/ha", "above-ground biomass carbon per class",
                            "user table (models.stocks.table); InVEST Carbon pools table format"},
                           {"c_below", "Mg C/ha", "below-ground biomass carbon per class",
                            "user table"},
                           {"c_soil", "Mg C/ha", "soil organic carbon per class", "user table"},
                           {"c_dead", "Mg C/ha",
                            "dead organic matter (dead wood + litter) per class", "user table"},
                           {"c_dead_wood, c_litter (instead of c_dead)", "Mg C/ha",
                            "dead wood and litter per class, as two pools", "user table"}},
            .outputs = {"stocks per pool: above_ground, below_ground, soil, "
                        "dead_organic_matter (Mg C); with c_dead_wood and c_litter: "
                        "above_ground, below_ground, dead_wood, litter, soil",
                        "stock_<year>.tif: total density (Mg C/ha)"},
            .reference = "InVEST User's Guide, Carbon Storage and Sequestration; IPCC 2006 "
                         "Vol. 4 Ch. 2",
        },
        {
            .name = "stocks.agb_raster",
            .section = "stocks",
            .method = "agb_raster",
            .summary = "Above-ground biomass from the user's map (one raster per epoch, Mg dry "
                       "matter/ha or Mg C/ha); below-ground = above x root:shoot ratio; soil and "
                       "dead organic matter per land-cover class from the pools table.",
            .inputs = {"land_cover.epochs: class raster per epoch",
                       "models.stocks.agb: AGB raster per epoch (continuous; bilinear/average "
                       "when warped)"},
            .parameters = {{"carbon_fraction", "Mg C / Mg dm",
                            "dry matter to carbon (required for mg_dm_per_ha maps)",
                            "user; IPCC 2006 Vol. 4 Ch. 4 Table 4.3 (0.47 default; 0.48 temperate "
                            "broadleaf, 0.51 temperate conifer; science.md §2.1)"},
                           {"root_shoot_ratio", "1", "R = BGB / AGB",
                            "user; IPCC 2006 Vol. 4 Ch. 4 Table 4.4 (science.md §2.2)"},
                           {"c_soil, c_dead (or c_dead_wood, c_litter)", "Mg C/ha",
                            "soil and dead organic matter per class", "user pools table"}},
            .outputs = {"stocks per pool: above_ground, below_ground, soil, "
                        "dead_organic_matter (Mg C), or above_ground, below_ground, dead_wood, "
                        "litter, soil with a split pools table",
                        "AGB (t dm/ha) for models.dom: the map, or map / carbon_fraction for a "
                        "carbon map"},
            .reference = "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8 (stocks from biomass), Ch. 4 Tables "
                         "4.3-4.4",
        },
        {
            .name = "stocks.inventory",
            .section = "stocks",
            .method = "inventory",
            .summary = "Forest biomass from growing-stock volume and forest type: China's "
                       "continuous BEF (B = aV + b, roots included, booked unsplit as "
                       "live_biomass_cbef) or IPCC BCEF_S with root:shoot by AGB class, as the "
                       "forest-types table chooses per type; other classes and soil and dead "
                       "organic matter from the pools table.",
            .inputs = {"land_cover.epochs: class raster per epoch",
                       "models.stocks.volume: growing-stock volume per epoch, m3/ha",
                       "models.stocks.forest_type: forest-type codes (one raster)",
                       "models.stocks.forest_types: CSV, code -> method and parameter keys",
                       "models.stocks.forest_classes or .crosswalk: which classes are forest"},
            .parameters =
                {{"a, b", "t dm/m3, t dm/ha", "B = aV + b per Chinese forest type",
                  "configs/parameters/china_cbef.csv (Fang et al. 2001/2007 via ChinaXiv "
                  "papers; science.md §4)"},
                 {"carbon_fraction (CBEF)", "1", "per row of china_cbef.csv (0.5, Fang-style)",
                  "science.md §2.1"},
                 {"BCEF_S", "t dm/m3", "by growing-stock class, climate domain and type",
                  "configs/parameters/ipcc_bcef.csv (IPCC 2006 Vol. 4 Ch. 4 Table 4.5)"},
                 {"R", "1", "root:shoot by AGB class",
                  "configs/parameters/ipcc_root_shoot.csv (IPCC 2006 Vol. 4 Ch. 4 Table 4.4)"},
                 {"carbon_fraction (IPCC)", "1", "per forest type in the forest-types table",
                  "user; IPCC 2006 Vol. 4 Ch. 4 Table 4.3"}},
            .outputs = {"stocks per pool: above_ground, below_ground, live_biomass_cbef, soil, "
                        "dead_organic_matter (Mg C), or above_ground, below_ground, "
                        "live_biomass_cbef, dead_wood, litter, soil with a split pools table",
                        "AGB (t dm/ha) for models.dom: V x BCEF_S on ipcc_bcef pixels (none on "
                        "China CBEF pixels: B = aV + b has no AGB/BGB split)"},
            .reference = "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8, Ch. 4 Tables 4.3-4.5; Fang et al. "
                         "2001 (Science 292:2320) continuous BEF",
        },
        {
            .name = "soil.ipcc_tier1",
            .section = "soil",
            .method = "ipcc_tier1",
            .summary = "Mineral-soil organic carbon (0-30 cm) = SOC_REF(climate zone, soil type) x "
                       "F_LU x F_MG x F_I per land-cover class or management-raster code, moving "
                       "linearly to a new equilibrium over D years after a change; replaces "
                       "the soil pool.",
            .inputs = {"models.soil.climate_zone: IPCC 2019 climate-zone codes",
                       "models.soil.soil_type: soil codes, mapped by models.soil.soil_types",
                       "models.soil.management: per class mode and factor levels",
                       "models.soil.management_raster (optional): management codes per pixel, "
                       "one raster or one per epoch, for classes of mode raster",
                       "models.soil.management_codes: land use and factor levels per code"},
            .parameters =
                {{"SOC_REF", "Mg C/ha", "by climate zone and soil class",
                  "configs/parameters/ipcc2019_soc_ref.csv (IPCC 2019 Vol. 4 Ch. 2 Table 2.3)"},
                 {"F_LU, F_MG, F_I", "1", "stock-change factors by land use, level and zone",
                  "configs/parameters/ipcc2019_soc_factors.csv (IPCC 2019 Tables 5.5, 6.2)"},
                 {"transition_years", "yr", "D, years to the new equilibrium",
                  "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.25 default 20"}},
            .outputs = {"the soil pool of every epoch (Mg C)"},
            .reference = "IPCC 2006/2019 Vol. 4 Ch. 2 Eq. 2.25",
        },
        {
            .name = "dom.agb_fraction",
            .section = "dom",
            .method = "agb_fraction",
            .summary = "Dead wood and litter carbon as fractions of above-ground biomass by "
                       "climate domain, elevation and annual precipitation: dead_wood = AGB x "
                       "f_deadwood x CF_deadwood, litter = AGB x f_litter x CF_litter, on every "
                       "pixel whose stock model gives AGB (method codes agb_map and ipcc_bcef); "
                       "other pixels keep the pools table's c_dead_wood and c_litter. Needs a "
                       "pools table with c_dead_wood and c_litter.",
            .inputs = {"AGB of the stock model (t dm/ha): stocks.agb_raster, or stocks.inventory "
                       "ipcc_bcef pixels",
                       "models.dom.climate_domain (tropical or temperate_or_boreal), or "
                       "models.dom.climate_zone: IPCC 2019 climate-zone codes "
                       "(ipcc_climate_zone_codes.csv; tropical_* zones are tropical)",
                       "models.dom.elevation: m (continuous; needed for tropical pixels)",
                       "models.dom.precipitation: mm/yr (continuous; needed for tropical "
                       "pixels)"},
            .parameters =
                {{"f_deadwood, f_litter", "t dm / t dm AGB",
                  "by domain; tropical by elevation (<= 2000 m, > 2000 m) and precipitation "
                  "(<= 1000, 1000-1600, > 1600 mm/yr)",
                  "configs/parameters/dom_fractions.csv (CDM AR-TOOL12 v3.0 pp. 17-18 as in "
                  "wri/carbon-budget create_carbon_pools.py; Harris et al. 2021 Table S4; "
                  "science.md §2.5)"},
                 {"CF_deadwood, CF_litter", "t C / t dm", "0.47 and 0.37",
                  "configs/parameters/dom_fractions.csv (WRI biomass_to_c_non_mangrove and "
                  "_litter; science.md §2.1)"}},
            .outputs = {"the dead_wood and litter pools of every epoch (Mg C)"},
            .reference = "CDM AR-TOOL12 v3.0 pp. 17-18; IPCC 2006 Vol. 4 Ch. 2 Eq. 2.3 (five "
                         "pools)",
        },
        {
            .name = "flux.stock_difference",
            .section = "sink",
            .method = "stock_difference",
            .summary = "Annual stock change between consecutive epochs, (C_t2 - C_t1)/(t2 - "
                       "t1); positive = uptake (sink). Net emissions = -44/12 x change.",
            .inputs = {"the stocks of two consecutive epochs"},
            .parameters = {{"44/12", "Mg CO2 / Mg C", "CO2:C mass ratio",
                            "science.md §1.1; IPCC 2006 Vol. 4 Ch. 2"}},
            .outputs = {"stock_change_mg_c_per_yr per district and period",
                        "net_emissions_mg_co2_per_yr per district and period",
                        "stock_change_<y1>_<y2>.tif (Mg C/ha/yr)"},
            .reference = "IPCC 2006 Vol. 4 Ch. 2 Eq. 2.8 (stock-difference method)",
        },
        {
            .name = "flux.gain_loss",
            .section = "flux",
            .method = "gain_loss",
            .summary = "Annual change of the live-biomass pools by gain-loss instead of stock "
                       "difference: forest remaining forest gains G_W x (1 + R) x CF per year "
                       "(tier1: IPCC Tier 1 growth by forest type and stand age; "
                       "volume_increment: I_V x BCEF_I, or a x I_V for China CBEF types); "
                       "land converted to or from forest changes by (C_t2 - C_t1)/(t2 - t1) "
                       "of those pools. Other pools keep the stock difference; validate refuses "
                       "a pool given to both methods. Optional losses of forest remaining "
                       "forest per period: wood removals H x BCEF_R x (1 + R) x CF, fuelwood "
                       "[FG_trees x BCEF_R x (1 + R) + FG_part x D] x CF, disturbance "
                       "(disturbed fraction / years) x live carbon x fd.",
            .inputs = {"models.flux.age: stand age at the first epoch, yr (tier1)",
                       "models.flux.forest_type: forest-type codes (tier1; default the "
                       "inventory's)",
                       "models.flux.growth_table: CSV, code -> ecozone, continent, "
                       "growth_forest_type, carbon_fraction (tier1)",
                       "models.flux.volume_increment: net annual increment, m3/ha/yr "
                       "(volume_increment; with stocks.inventory)",
                       "models.flux.harvest_volume, fuelwood_volume, fuelwood_parts_volume: "
                       "removed volumes per period, m3/ha/yr (optional; volume_increment)",
                       "models.flux.disturbed_fraction, disturbance_type, disturbance_table: "
                       "share of the pixel disturbed during the period, type codes and the "
                       "user's fd table (optional)"},
            .parameters =
                {{"r0, r20", "t dm/ha/yr", "AGB growth up to / after 20 years",
                  "configs/parameters/ipcc_tier1_growth.csv (IPCC 2019 Tables 4.9/4.10 as "
                  "compiled by Earthshot Labs, V2-single; science.md §2.4)"},
                 {"K20, Kmax", "t dm/ha", "AGB caps of the growth curve",
                  "ipcc_tier1_growth.csv (IPCC 2019 Tables 4.7/4.8, same compilation)"},
                 {"rs_young, rs_old", "1", "R below / above the AGB break",
                  "ipcc_tier1_growth.csv (IPCC 2019 Table 4.4)"},
                 {"BCEF_I", "t dm/m3", "AGB growth per m3 increment by growing-stock class",
                  "configs/parameters/ipcc_bcef.csv (IPCC 2006 Vol. 4 Ch. 4 Table 4.5)"},
                 {"carbon_fraction", "1", "per forest type", "user growth table / forest types"},
                 {"BCEF_R", "t dm/m3", "AGB per m3 removed by growing-stock class (losses)",
                  "configs/parameters/ipcc_bcef.csv (IPCC 2006 Vol. 4 Ch. 4 Table 4.5)"},
                 {"D", "t dm/m3", "basic wood density of fuelwood parts (losses)",
                  "user: models.flux.wood_density"},
                 {"fd", "1", "fraction of the live biomass a disturbance type removes",
                  "user: models.flux.disturbance_table (no shipped value)"}},
            .outputs = {"stock_change_mg_c_per_yr includes the gain-loss part",
                        "/flux/gain_loss_mg_c_per_yr and districts.csv gain_loss_mg_c_per_yr_* "
                        "(Mg C/yr)",
                        "with losses: /flux/gain_loss/{growth,wood_removals,fuelwood,"
                        "disturbance,conversion}_mg_c_per_yr and districts.csv columns "
                        "(Mg C/yr)"},
            .reference = "IPCC 2006 Vol. 4 Ch. 2 Eqs. 2.7, 2.9-2.16",
        },
    };
    return models;
}

const ModelInfo *find_model(const std::string &section, const std::string &method) {
    for (const auto &m : model_registry()) {
        if (m.section == section && m.method == method) {
            return &m;
        }
    }
    return nullptr;
}

} // namespace cs::models
